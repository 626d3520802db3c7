"""Re-ranking open items runs on the workers: the API queues chunks, RQ runs them, status follows."""

from __future__ import annotations

import re

import pytest
from rq import SimpleWorker
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from tests.integration.helpers import PASSWORD, add_user, bearer, run_jobs
from tests.integration.relationship_support import T0, doc, ingest
from triage.intake import messages as messages_repo
from triage.platform import tables as t
from triage.platform.queue import RESCORE, queue
from triage.scoring import relationship, rescoring
from workers import jobs

CHURN = "I want to cancel my subscription"
STATUS = "/api/policy/rescore/status"


@pytest.fixture
def tokens(services):
    return {"lead": add_user(services, "lee", "lead"), "agent": add_user(services, "ana")}


@pytest.fixture
def backlog(services, monkeypatch):
    """Five open churn messages scored under the default policy, re-ranked two per job."""
    monkeypatch.setattr(relationship, "RESCORE_CHUNK", 2)
    # distinct texts: five copies of one text would be a storm, whose item ranks above the rest
    ids = ingest(services, [doc(f"m{k}", f"{CHURN} ({k})") for k in range(5)], at=T0)
    run_jobs(services)  # the route jobs scoring queued; nothing else is waiting after this
    return ids


def ranks(services) -> dict[str, tuple[float, float]]:
    """external id -> (relationship value, the priority the inbox sorts by)."""
    with services.db() as session:
        return {e: (v, p) for e, v, p in session.execute(
            select(t.Message.external_id, t.Score.relationship_value, t.Message.priority)
            .join(t.Score))}


def new_policy(client, tokens) -> None:
    r = client.put("/api/policy", headers=bearer(tokens["lead"]),
                   json={"intent_bonus": {"churn_risk": 0.6}})
    assert r.status_code == 200


def run_one(services) -> None:
    jobs.configure(services)
    SimpleWorker([queue(services.redis, RESCORE)], connection=services.redis).work(
        burst=True, max_jobs=1)


def test_the_api_queues_chunks_and_answers_202_without_rescoring_inline(
        client, services, tokens, backlog, monkeypatch):
    before = ranks(services)
    new_policy(client, tokens)
    calls = []
    real = relationship.rescore_chunk
    monkeypatch.setattr(relationship, "rescore_chunk",
                        lambda **kw: calls.append(kw["ids"]) or real(**kw))
    r = client.post("/api/policy/rescore", headers=bearer(tokens["lead"]))
    assert r.status_code == 202, r.text
    body = r.json()
    assert (body["items"], body["jobs"], body["queued"], body["done"]) == (5, 3, 3, False)
    assert body["status_url"] == STATUS and body["by"] == "lee"
    assert calls == [] and ranks(services) == before, "the request re-ranked nothing itself"
    assert queue(services.redis, RESCORE).count == 3
    assert [j.args for j in queue(services.redis, RESCORE).get_jobs()] == [
        ([backlog[0], backlog[1]],), ([backlog[2], backlog[3]],), ([backlog[4]],)]


@pytest.mark.usefixtures("backlog")
def test_after_the_workers_ran_every_open_item_ranks_under_the_new_policy(
        client, services, tokens):
    before = ranks(services)
    new_policy(client, tokens)
    ingest(services, [doc("fresh", CHURN)], at=T0)  # scored under the new policy from the start
    expected = ranks(services)["fresh"]
    assert all(v < expected[0] and p < expected[1] for v, p in before.values())
    client.post("/api/policy/rescore", headers=bearer(tokens["lead"]))
    run_jobs(services)
    after = ranks(services)
    assert {e: after[e] for e in before} == {e: pytest.approx(expected) for e in before}


@pytest.mark.usefixtures("backlog")
def test_the_status_reports_progress_from_rq_job_states(client, services, tokens):
    lead = bearer(tokens["lead"])
    empty = client.get(STATUS, headers=lead).json()
    assert (empty["items"], empty["jobs"], empty["done"], empty["started_at"]) == (0, 0, True, None)
    new_policy(client, tokens)
    client.post("/api/policy/rescore", headers=lead)
    run_one(services)
    status = client.get(STATUS, headers=lead).json()
    assert {k: status[k] for k in ("items", "jobs", "queued", "started", "finished", "failed",
                                   "done")} == {"items": 5, "jobs": 3, "queued": 2, "started": 0,
                                                "finished": 1, "failed": 0, "done": False}
    run_jobs(services)
    status = client.get(STATUS, headers=lead).json()
    assert (status["finished"], status["queued"], status["done"]) == (3, 0, True)


@pytest.mark.usefixtures("backlog")
def test_agents_may_neither_start_a_rescore_nor_read_its_status(client, services, tokens):
    agent = bearer(tokens["agent"])
    denied = client.post("/api/policy/rescore", headers=agent)
    assert denied.status_code == 403 and "lead" in denied.json()["detail"]
    assert client.get(STATUS, headers=agent).status_code == 403
    assert client.post("/api/policy/rescore").status_code == 401
    assert queue(services.redis, RESCORE).count == 0


@pytest.mark.usefixtures("backlog")
def test_a_chunk_that_fails_half_way_writes_nothing_and_its_retry_recomputes(
        client, services, tokens, monkeypatch):
    before = ranks(services)
    new_policy(client, tokens)
    monkeypatch.setattr(services.settings, "job_retries", 0)  # straight to the failed registry
    real, crashes = messages_repo.refresh_priorities, []

    def crash_once(**kw):
        if not crashes:
            crashes.append(kw["ids"])
            raise ConnectionError("worker lost the database mid-chunk")
        return real(**kw)

    monkeypatch.setattr(messages_repo, "refresh_priorities", crash_once)
    client.post("/api/policy/rescore", headers=bearer(tokens["lead"]))
    run_jobs(services)
    status = rescoring.progress(services=services)
    assert (status.finished, status.failed, status.done) == (2, 1, True)
    after = ranks(services)
    with services.db() as session:
        failed_chunk = set(session.scalars(select(t.Message.external_id).where(
            t.Message.id.in_(crashes[0]))))
    assert len(failed_chunk) == 2
    assert {e: after[e] for e in failed_chunk} == {e: before[e] for e in failed_chunk}, \
        "the failed chunk's scores were rolled back with its priorities"
    assert all(after[e] != before[e] for e in set(before) - failed_chunk)
    registry = FailedJobRegistry(queue=queue(services.redis, RESCORE))
    for job_id in registry.get_job_ids():  # what `triage jobs retry` does
        registry.requeue(job_id)
    run_jobs(services)
    fixed = ranks(services)
    assert len({fixed[e] for e in before}) == 1 and fixed != before
    assert rescoring.progress(services=services).finished == 3
    # running every chunk again changes nothing: each one only recomputes
    client.post("/api/policy/rescore", headers=bearer(tokens["lead"]))
    run_jobs(services)
    assert ranks(services) == fixed


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.mark.usefixtures("tokens", "backlog")
def test_the_policy_page_queues_the_rescore_and_shows_it_running_then_done(
        client, services):
    client.post("/login", data={"username": "lee", "password": PASSWORD,
                                "csrf_token": _csrf(client.get("/login").text)})
    page = client.get("/policy")
    assert "open items in the background" not in page.text
    form = {"intent_bonus.churn_risk": "0.6", "cap": "1", "rescore": "1"}
    assert client.post("/policy", data=form).status_code == 403  # no CSRF token
    assert queue(services.redis, RESCORE).count == 0
    r = client.post("/policy", data={**form, "csrf_token": _csrf(page.text)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/policy?saved=1"
    assert queue(services.redis, RESCORE).count == 3
    page = client.get(r.headers["location"])
    assert "Re-ranking 5 open items in the background" in page.text
    assert "0 of 3 batches done" in page.text
    run_jobs(services)
    assert "Done: 5 open items re-ranked" in client.get("/policy").text
