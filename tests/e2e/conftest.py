"""A running stack for end-to-end tests: the API under uvicorn and real RQ workers, as processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, TEST_SECRET
from tests.integration.helpers import wait_for
from triage.platform.redis_server import free_port

SECRET_KEY = "e2e-secret-key-" + "y" * 32


@dataclass
class Stack:
    env: dict[str, str]
    base_url: str
    log_dir: Path
    procs: list[subprocess.Popen] = field(default_factory=list)

    def spawn(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen([sys.executable, "-m", "triage.cli", *args], env=self.env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(proc)
        return proc

    def worker(self, *extra: str) -> subprocess.Popen:
        return self.spawn("worker", "worker", "--rules-only", "--log-level", "WARNING", *extra)

    def kill(self, proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group: the worker and its forked work-horse."""
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=30)  # a warm shutdown finishes the job in hand, slower on a busy machine
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                self.kill(p, signal.SIGTERM)


@pytest.fixture
def stack(tmp_path, db_url, redis_server, redis_conn):  # noqa: ARG001 (Redis flushed first)
    from triage.platform.db import migrate

    migrate(db_url)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env.update({
        "TRIAGE_ENV": "test", "TRIAGE_SECRET_KEY": SECRET_KEY, "TRIAGE_DATABASE_URL": db_url,
        "TRIAGE_REDIS_URL": redis_server.url, "TRIAGE_DATA_DIR": str(tmp_path / "var"),
        "TRIAGE_PORT": str(port), "TRIAGE_SCORER": "rules", "TRIAGE_STALE_AFTER_SECONDS": "3",
        "TRIAGE_SOURCES": json.dumps({"test": {"channel": "generic", "secret": TEST_SECRET}}),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    })
    (tmp_path / "metrics").mkdir()
    s = Stack(env=env, base_url=f"http://127.0.0.1:{port}", log_dir=tmp_path)
    s.spawn("api", "api", "--log-level", "warning")
    try:
        wait_for(lambda: _up(s.base_url), timeout=30)
        yield s
    finally:
        s.stop()


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
