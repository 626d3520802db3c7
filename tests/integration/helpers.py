"""Small helpers the integration tests share: users, signed posts, running queued jobs."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

from rq import SimpleWorker

from tests.conftest import TEST_SECRET
from triage.accounts import store as users_repo
from triage.devstack.webhook_client import signed_headers
from triage.platform.db import transaction
from triage.platform.queue import WORK_ORDER, PromptStop, queue
from workers import jobs

PASSWORD = "correct-horse-battery"


def add_user(services, username: str, role: str = "agent") -> str:
    """Create a user and return a bearer token for them."""
    with transaction(services.db) as session:
        user = users_repo.create_user(session=session, username=username, password=PASSWORD,
                                      role=role, now=datetime.now(UTC))
        return users_repo.issue_token(session=session, user=user, name="test", now=datetime.now(UTC))


def message(external_id: str, text: str, **extra) -> dict:
    return {"external_id": external_id, "text": text,
            "author": {"id": extra.pop("author_id", f"a-{external_id}"), "handle": "@someone"},
            "created_at": "2026-11-20T10:00:00Z", **extra}


def post_signed(client, payload, *, source="test", secret=TEST_SECRET, timestamp=None,
                body: bytes | None = None):
    body = body if body is not None else json.dumps(payload).encode()
    return client.post(f"/webhooks/{source}", content=body,
                       headers=signed_headers(secret, body, timestamp=timestamp))


class BurstWorker(PromptStop, SimpleWorker):
    """RQ's SimpleWorker that stops promptly after a burst (see PromptStop)."""


def run_jobs(services) -> None:
    """Run every queued job to completion in-process with a real RQ worker (burst mode)."""
    jobs.configure(services)
    worker = BurstWorker([queue(services.redis, n) for n in WORK_ORDER], connection=services.redis)
    worker.work(burst=True)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def wait_for(predicate, timeout=30.0, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
