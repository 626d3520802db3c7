"""docker-compose.yml's services as local processes, for the tests that need the real stack.

Docker is not available here, so the paths compose mounts are mapped to temporary ones that do
not exist yet (the multiprocess and data directories: what crashed the stack before), the
service hostnames to local ones, and the ports to free ones.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from tests.conftest import PG_ADMIN_URL

ROOT = Path(__file__).resolve().parents[3]
OURS = ("migrate", "api", "worker", "tick")
SECRET = "compose-webhook-secret-0123456789abcdef"
STARTUP_SECONDS = 240  # the worker loads the sentence-transformer before its first job
METRICS_TOKEN = "m" * 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_database(postgres_reason):
    """A fresh PostgreSQL database for one stack, dropped afterwards (a generator for a fixture)."""
    if postgres_reason:
        pytest.skip(postgres_reason)
    import psycopg

    name = f"triage_compose_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Stack:
    """The compose services as processes, with compose's values mapped onto this machine."""

    def __init__(self, tmp: Path, redis_url: str, database_url: str):
        self.compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        self.tmp, self.secrets = tmp, tmp / "secrets"
        self.secrets.mkdir()
        files = {"secret_key": "k" * 48, "database_url": database_url, "metrics_token": METRICS_TOKEN,
                 "sources": json.dumps({"shop": {"channel": "generic", "secret": SECRET}})}
        for name, value in files.items():
            (self.secrets / name).write_text(value + "\n")
        self.ports = {"8000": free_port(), "9100": free_port(), "9101": free_port()}
        self.replace = {"/run/secrets/": f"{self.secrets}/", "redis://redis:6379/0": redis_url,
                        "/app/models": str(ROOT / "models"), "0.0.0.0": "127.0.0.1"}
        self.procs: dict[str, subprocess.Popen] = {}

    def local(self, value: str, service: str) -> str:
        value = str(value)
        for old, new in self.replace.items():
            value = value.replace(old, new)
        if value == "/data":
            return str(self.tmp / f"data-{service}")  # not created: the service must manage
        if value == "/tmp/metrics":
            return str(self.tmp / f"metrics-{service}" / "nested")  # likewise
        return re.sub(r"\b(8000|9100|9101)\b", lambda m: str(self.ports[m.group(1)]), value)

    def env(self, service: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items()
                if not k.startswith("TRIAGE_") and k != "PROMETHEUS_MULTIPROC_DIR"}
        spec = self.compose["services"][service]
        for secret in spec.get("secrets", []):
            assert (self.secrets / secret).exists(), f"{service} mounts unknown secret {secret}"
        return {**base, **{k: self.local(v, service) for k, v in spec["environment"].items()},
                "PYTHONPATH": str(ROOT)}

    def command(self, argv: list[str], service: str) -> list[str]:
        exe = {"triage": [sys.executable, "-m", "triage.cli"], "python": [sys.executable]}
        head = exe[argv[0]]
        return [*head, *(self.local(a, service) for a in argv[1:])]

    def run_once(self, service: str) -> subprocess.CompletedProcess:
        spec = self.compose["services"][service]
        return subprocess.run(self.command(spec["command"], service), env=self.env(service), cwd=self.tmp,
                              capture_output=True, text=True, timeout=180)

    def cli(self, *args: str, service: str = "api") -> str:
        """Run a `triage` command the way an operator would in that service's container."""
        done = subprocess.run(self.command(["triage", *args], service), env=self.env(service), cwd=self.tmp,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def start(self, service: str) -> None:
        spec = self.compose["services"][service]
        log = (self.tmp / f"{service}.log").open("w")
        self.procs[service] = subprocess.Popen(self.command(spec["command"], service), env=self.env(service),
                                               cwd=self.tmp, stdout=log, stderr=subprocess.STDOUT,
                                               start_new_session=True)

    def log(self, service: str) -> str:
        return (self.tmp / f"{service}.log").read_text()

    def wait_healthy(self, service: str, deadline: float) -> None:
        test = self.compose["services"][service]["healthcheck"]["test"]
        assert test[0] == "CMD"
        argv = self.command(test[1:], service)
        while True:
            proc = self.procs[service]
            assert proc.poll() is None, \
                f"{service} exited with {proc.returncode}:\n{self.log(service)[-4000:]}"
            if subprocess.run(argv, env=self.env(service), capture_output=True).returncode == 0:
                return
            assert time.monotonic() < deadline, f"{service} never healthy:\n{self.log(service)[-4000:]}"
            time.sleep(1)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def get(self, port: str, path: str, token: str | None = None) -> str:
        request = urllib.request.Request(f"http://127.0.0.1:{self.ports[port]}{path}")
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.read().decode()


def post_signed(port: int, payload: dict) -> int:
    body = json.dumps(payload).encode()
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/webhooks/shop", data=body, method="POST",
                                     headers={"Content-Type": "application/json", "X-Triage-Timestamp": ts,
                                              "X-Triage-Signature": f"sha256={sig}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def sample(body: str, name: str, **labels: str) -> float | None:
    for line in body.splitlines():
        if line.startswith(name) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None




def started(tmp: Path, redis_url: str, database_url: str) -> Stack:
    """Migrate, then start api, worker and tick and wait until each passes its healthcheck."""
    stack = Stack(tmp, redis_url, database_url)
    migrated = stack.run_once("migrate")
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    try:
        for service in ("api", "worker", "tick"):
            stack.start(service)
        deadline = time.monotonic() + STARTUP_SECONDS
        for service in ("api", "tick", "worker"):
            stack.wait_healthy(service, deadline)
    except BaseException:
        stack.stop()
        raise
    return stack
