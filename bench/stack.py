"""A real local stack for benchmarks: embedded Redis, SQLite, the API under uvicorn, RQ workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from triage.accounts import store as users_repo
from triage.platform.db import make_engine, migrate, session_factory, transaction
from triage.platform.redis_server import EmbeddedRedis, free_port

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-webhook-secret"


class Stack:
    def __init__(self, *, scorer: str = "rules", extra_env: dict[str, str] | None = None,
                 db_url: str | None = None):
        self.dir = Path(tempfile.mkdtemp(prefix="triage-bench-"))
        self.redis = EmbeddedRedis(self.dir / "redis").start()
        self.port = free_port()
        self.db_url = db_url or f"sqlite:///{self.dir / 'triage.db'}"  # default: embedded SQLite
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
        self.env.update({
            "TRIAGE_ENV": "test", "TRIAGE_SECRET_KEY": "bench-" + "k" * 40,
            "TRIAGE_DATABASE_URL": self.db_url, "TRIAGE_REDIS_URL": self.redis.url,
            "TRIAGE_DATA_DIR": str(self.dir), "TRIAGE_PORT": str(self.port), "TRIAGE_SCORER": scorer,
            "TRIAGE_SOURCES": json.dumps({"bench": {"channel": "generic", "secret": SECRET}}),
            "PROMETHEUS_MULTIPROC_DIR": str(self.dir / "metrics"), **(extra_env or {}),
        })
        (self.dir / "metrics").mkdir()
        self.procs: dict[str, subprocess.Popen] = {}
        self.base_url = f"http://127.0.0.1:{self.port}"
        migrate(self.db_url)
        self.token = self._token()

    def _token(self) -> str:
        engine = make_engine(self.db_url)
        with transaction(session_factory(engine)) as s:
            u = users_repo.create_user(session=s, username="bench", password="bench-password-1",
                                       role="admin", now=datetime.now(UTC))
            token = users_repo.issue_token(session=s, user=u, name="bench", now=datetime.now(UTC))
        engine.dispose()
        return token

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = (self.dir / f"{name}.log").open("ab")
        p = subprocess.Popen([sys.executable, "-m", "triage.cli", *args], env=self.env, cwd=ROOT,
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs[name] = p
        return p

    def start_api(self, workers: int = 1) -> None:
        self.start("api", "api", "--log-level", "warning", "--workers", str(workers))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("api did not start")

    def peak_rss_mb(self, name: str) -> float:
        """Peak resident memory (VmHWM) of a process and its live children, in MB."""
        pid = self.procs[name].pid
        pids = [pid] + [int(c) for c in _children(pid)]
        total = 0
        for p in pids:
            try:
                for line in Path(f"/proc/{p}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total = max(total, int(line.split()[1]))
            except FileNotFoundError:
                pass
        return total / 1024

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
        self.redis.stop()


def _children(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except FileNotFoundError:
        return []
