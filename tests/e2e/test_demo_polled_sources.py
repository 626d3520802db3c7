"""`triage up` as a person runs it: the demo's blog comments and support mails are served locally,
polled through RQ by the real RSS and IMAP pollers, and show in the inbox and on /sources."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT
from tests.integration.helpers import wait_for
from triage.devstack.mailbox_server import available
from triage.platform.redis_server import free_port


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


@pytest.mark.timeout(180)
def test_triage_up_polls_the_demo_blog_and_mailbox_into_the_inbox():
    if not available():
        pytest.skip("dovecot is not installed (make test installs dovecot-imapd when run as root)")
    data = Path(tempfile.mkdtemp(prefix="triage-up-"))
    data.chmod(0o755)  # dovecot reads the demo maildir as nobody when we are root
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIAGE_", "PROMETHEUS_"))}
    env.update(TRIAGE_DATA_DIR=str(data / "var"), TRIAGE_PORT=str(port), TRIAGE_TICK_SECONDS="1")
    proc = subprocess.Popen([sys.executable, "-m", "triage.cli", "up", "--demo", "10", "--rules-only"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            wait_for(lambda: _up(c), timeout=90)
            lead = {"Authorization": f"Bearer {_token(env)}"}

            def count(source: str) -> int:
                return c.get(f"/api/inbox?source={source}&status=all", headers=lead).json()["total"]

            wait_for(lambda: count("demo-blog") >= 6 and count("demo-mailbox") >= 5, timeout=60)
            sources = {s["slug"]: s for s in c.get("/api/sources", headers=lead).json()}
        assert sources["demo-blog"]["status"] == sources["demo-mailbox"]["status"] == "ok"
        assert sources["demo-blog"]["kind"] == "poller" and sources["demo-x"]["kind"] == "webhook"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
        shutil.rmtree(data, ignore_errors=True)
    assert "published 6 blog comment(s) and delivered 5 support mail(s)" in out
    # Stopping `up` stops the blog and the mailbox it started.
    assert not _listening(port + 1) and not _listening(port + 2)


def _up(c: httpx.Client) -> bool:
    try:
        return c.get("/health").status_code == 200
    except httpx.HTTPError:
        return False


def _token(env: dict[str, str]) -> str:
    r = subprocess.run([sys.executable, "-m", "triage.cli", "users", "token", "lead"], env=env,
                       cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    return r.stdout.strip()
