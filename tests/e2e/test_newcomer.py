"""The newcomer's path: `triage up` in a fresh copy of the checkout with default settings only.

Defaults mean a relative data dir (`var`), the embedded Redis, SQLite and the learned model, which is
exactly what the other tests avoid (they pass absolute paths and their own servers); a relative data
dir once made `make run` crash on every fresh clone while every test passed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urljoin

import httpx
import psutil
import pytest

from tests.conftest import ROOT
from tests.integration.helpers import wait_for
from triage.platform.redis_server import free_port, reachable


def _fresh_copy(dest: Path) -> Path:
    """The checkout's tracked and new files as a clone would have them (no var/, no .venv)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, (n.decode() for n in listed)):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.mark.timeout(300)
def test_triage_up_on_defaults_in_a_fresh_copy_serves_the_inbox_and_stops_cleanly(tmp_path):
    clone = _fresh_copy(tmp_path / "project")
    port = free_port()
    squatter = socket.socket()  # another suite's server on the demo blog's default port (API + 1)
    with contextlib.suppress(OSError):
        squatter.bind(("127.0.0.1", port + 1))
        squatter.listen()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIAGE_", "PROMETHEUS_"))}
    env["TRIAGE_PORT"] = str(port)  # the one setting a test must give: a port it checked is free
    proc = subprocess.Popen([sys.executable, "-m", "triage.cli", "up"], cwd=clone, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    children: list[psutil.Process] = []
    try:
        with httpx.Client(base_url=base, timeout=30) as c:
            wait_for(lambda: _answers(c, "/login"), timeout=150)
            children = psutil.Process(proc.pid).children(recursive=True)
            c.post("/login", data={"username": "agent", "password": "demo-password",
                                   "csrf_token": _csrf(c.get("/login").text)})
            inbox = wait_for(lambda: (p := c.get("/inbox").text).count('class="item ') >= 50
                             and 'class="pager"' in p and p, timeout=120)
            links = re.findall(r'href="([^"]+)"', re.search(r'<nav class="pager">.*?</nav>',
                                                            inbox, re.DOTALL).group(0))
            assert links, "the pager offers no link although there is more than one page"
            for link in links:
                r = c.get(urljoin(base + "/inbox", link.replace("&amp;", "&")))
                assert r.status_code == 200 and "text/html" in r.headers["content-type"], link
                assert r.text.count('class="item ') > 0, link
            docs = c.get("/api/docs").text  # offline: every asset is ours, none from a CDN
            assets = re.findall(r'(?:src|href)="([^"]+)"', docs)
            assert assets and all(a.startswith("/") for a in assets), assets
            assert all(c.get(a).status_code == 200 for a in assets)
            # The demo blog moved to a free port, and its comments arrive through the RSS poller.
            wait_for(lambda: c.get("/api/inbox?source=demo-blog&status=all").json()["total"] > 0,
                     timeout=90)
    finally:
        squatter.close()
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal sends to the foreground group
        out, _ = proc.communicate(timeout=60)
    (tmp_path / "up.log").write_text(out)
    assert "Inbox: http://127.0.0.1" in out, out[-2000:]
    assert "Traceback" not in out, out[-3000:]
    assert children, "triage up started no child processes"
    assert not [p for p in children if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert (clone / "var" / "triage.db").exists()  # the relative default, under the copy
    assert not reachable((clone / "var" / "redis" / "url").read_text())


def _answers(c: httpx.Client, path: str) -> bool:
    try:
        return c.get(path).status_code == 200
    except httpx.HTTPError:
        return False
