"""From signed webhook over HTTP, through Redis and real RQ workers, to the prioritized inbox."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import TEST_SECRET
from tests.integration.helpers import message, wait_for
from triage.accounts import store as users_repo
from triage.devstack.webhook_client import signed_headers
from triage.platform import tables as t
from triage.platform.db import make_engine, session_factory, transaction


def _token(db_url: str) -> str:
    engine = make_engine(db_url)
    with transaction(session_factory(engine)) as session:
        user = users_repo.create_user(session=session, username="e2e", password="long-e2e-password",
                                      role="agent", now=datetime.now(UTC))
        token = users_repo.issue_token(session=session, user=user, name="e2e", now=datetime.now(UTC))
    engine.dispose()
    return token


def _post(client: httpx.Client, payload: dict) -> httpx.Response:
    body = json.dumps(payload).encode()
    return client.post("/webhooks/test", content=body, headers=signed_headers(TEST_SECRET, body))


def _inbox(client: httpx.Client, token: str, **params) -> dict:
    r = client.get("/api/inbox", params={"per_page": 500, **params},
                   headers={"Authorization": f"Bearer {token}"})
    r.raise_for_status()
    return r.json()


def test_signed_webhooks_reach_the_inbox_in_priority_order(stack, db_url):
    token = _token(db_url)
    stack.worker()
    texts = ["thanks, great app", "how do I change my email?", "checkout is broken, error 500",
             "someone hacked my account and stole money", "love it"]
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        for i, text in enumerate(texts):
            assert _post(client, message(f"e{i}", text)).status_code == 202
        inbox = wait_for(lambda: (d := _inbox(client, token))["total"] == len(texts) and d)
    items = inbox["items"]
    assert [i["priority"] for i in items] == sorted((i["priority"] for i in items), reverse=True)
    assert items[0]["text"].startswith("someone hacked")
    assert items[0]["reasons"], "the top item explains its score"
    # Counters from the worker process reach /metrics through the multiprocess directory.
    metrics = httpx.get(f"{stack.base_url}/metrics", headers={"Authorization": f"Bearer {token}"}).text
    assert 'triage_job_duration_seconds_count{task="score"}' in metrics
    assert 'triage_messages_scored_total{model="rules-v1",urgency="critical"} 1.0' in metrics
    assert 'triage_messages_ingested_total{source="test"} 5.0' in metrics


@pytest.mark.timeout(240)
def test_a_worker_killed_mid_work_loses_nothing_and_scores_each_message_once(stack, db_url):
    token = _token(db_url)
    n = 1500
    stack.env["TRIAGE_SCORE_BATCH"] = "10"  # many small jobs, so the kill lands mid-stream
    with httpx.Client(base_url=stack.base_url, timeout=30) as client:
        for start in range(0, n, 250):
            batch = [message(f"k{i}", f"message number {i}, is anything broken?")
                     for i in range(start, start + 250)]
            assert _post(client, {"messages": batch}).status_code == 202
        first = stack.worker()
        wait_for(lambda: 0 < _inbox(client, token, per_page=1)["total"], timeout=60, interval=0.05)
        stack.kill(first)  # SIGKILL to the worker and its work-horse, mid-stream
        partial = _inbox(client, token, per_page=1)["total"]
        assert partial < n, "the kill should land before all work is done"
        stack.worker()
        stack.spawn("tick", "tick", "--every", "1")
        wait_for(lambda: _inbox(client, token, per_page=1)["total"] == n, timeout=150, interval=0.5)
        ids = [i["external_id"] for p in range(1, 4)
               for i in _inbox(client, token, page=p)["items"]]
    assert sorted(ids) == sorted(f"k{i}" for i in range(n))  # each exactly once
    engine = make_engine(db_url)
    with session_factory(engine)() as s:
        assert s.execute(select(func.count()).select_from(t.Score)).scalar_one() == n
        assert s.execute(select(func.count(func.distinct(t.Score.message_id)))).scalar_one() == n
    engine.dispose()
