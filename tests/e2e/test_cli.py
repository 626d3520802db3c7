"""The CLI as a person runs it: `triage up` with demo traffic, `triage import`, `triage jobs`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import httpx
import pytest

from tests.conftest import ROOT
from tests.integration.helpers import wait_for
from triage.platform.redis_server import free_port


def _env(tmp_path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIAGE_", "PROMETHEUS_"))}
    env.update({"TRIAGE_DATA_DIR": str(tmp_path / "var"), **extra})
    return env


def triage(*args: str, env: dict[str, str], input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "triage.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, input=input, check=False)


@pytest.mark.timeout(180)
def test_triage_up_serves_demo_traffic_in_priority_order_on_embedded_defaults(tmp_path):
    port = free_port()
    env = _env(tmp_path, TRIAGE_PORT=str(port))  # development defaults: SQLite + embedded Redis
    proc = subprocess.Popen([sys.executable, "-m", "triage.cli", "up", "--demo", "60", "--rules-only"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10) as c:
            wait_for(lambda: _ok(c), timeout=90)
            login = c.post("/login", data={"username": "lead", "password": "demo-password",
                                           "csrf_token": _csrf(c)})
            assert login.status_code in (200, 303)
            items = wait_for(lambda: (r := c.get("/api/inbox?per_page=500").json())["total"] >= 60
                             and r["items"], timeout=60)
        priorities = [i["priority"] for i in items]
        assert priorities == sorted(priorities, reverse=True)
        assert {i["source"] for i in items} >= {"demo-x", "demo-email"}
        assert any(i["urgency"] == "critical" for i in items)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    assert "Inbox: http://127.0.0.1" in out and "demo-password" in out
    # Stopping `up` stops the embedded Redis it started.
    url = (tmp_path / "var" / "redis" / "url").read_text()
    from triage.platform.redis_server import reachable
    assert not reachable(url)


def _ok(c: httpx.Client) -> bool:
    try:
        return c.get("/health").status_code == 200
    except httpx.HTTPError:
        return False


def _csrf(c: httpx.Client) -> str:
    page = c.get("/login").text
    return page.split('name="csrf_token" value="')[1].split('"')[0]


@pytest.mark.usefixtures("redis_conn")
def test_import_reports_bad_lines_and_brings_in_the_rest(tmp_path, redis_server):
    env = _env(tmp_path, TRIAGE_REDIS_URL=redis_server.url)
    assert triage("migrate", env=env).returncode == 0
    lines = [json.dumps({"external_id": "i1", "text": "hello", "author": {"id": "a"}}),
             "{not json", json.dumps({"id": "ds:2", "text": "labelled-data format"}),
             json.dumps({"external_id": "i3", "text": "x" * 10, "created_at": "yesterday"}),
             json.dumps({"external_id": "i1", "text": "hello again"})]
    f = tmp_path / "in.jsonl"
    f.write_text("\n".join(lines) + "\n")
    r = triage("import", str(f), "--source", "bulk", env=env)
    assert r.returncode == 1
    assert "accepted 2, duplicates 1, rejected 2" in r.stdout
    assert "line 2: not JSON" in r.stdout and "line 4: created_at" in r.stdout
    assert triage("import", str(tmp_path / "missing.jsonl"), env=env).returncode == 2
    csv_file = tmp_path / "in.csv"
    csv_file.write_text("external_id,text,author_id\nc1,from csv,u9\n")
    r = triage("import", str(csv_file), env=env)
    assert r.returncode == 0 and "accepted 1" in r.stdout


@pytest.mark.usefixtures("redis_conn")
def test_users_and_jobs_commands(tmp_path, redis_server):
    env = _env(tmp_path, TRIAGE_REDIS_URL=redis_server.url)
    triage("migrate", env=env)
    r = triage("users", "add", "maria", "--role", "lead", "--password", "a-long-password", env=env)
    assert r.returncode == 0 and "created lead 'maria'" in r.stdout
    dup = triage("users", "add", "maria", "--password", "a-long-password", env=env)
    assert dup.returncode == 2 and "exists already" in dup.stdout
    weak = triage("users", "add", "bob", "--password", "short", env=env)
    assert weak.returncode == 2 and "at least 10" in weak.stdout
    token = triage("users", "token", "maria", env=env).stdout.strip()
    assert token.startswith("trg_")
    assert "no failed jobs" in triage("jobs", "failed", env=env).stdout
    assert "requeued 0" in triage("jobs", "retry", env=env).stdout
