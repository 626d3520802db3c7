"""The stream buffer, poison messages, the tick's isolation and leadership, and /health's stall report."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
import redis as redis_py
from sqlalchemy import func, select

from tests.integration.helpers import message, post_signed, run_jobs
from triage import pipeline
from triage.core.clock import FixedClock
from triage.core.message import MAX_FOLLOWERS
from triage.intake import messages as repo
from triage.intake.importer import to_message
from triage.intake.ingest import buffer_messages
from triage.platform import tables as t
from triage.platform.leader import Leader, last_beat, run_periodically


def _msgs(services, n, prefix="m"):
    now = services.clock.now()
    return [to_message({"external_id": f"{prefix}{i}", "text": f"hello {i}"}, source="test", now=now)
            for i in range(n)]


def _count(services) -> int:
    with services.db() as s:
        return s.execute(select(func.count()).select_from(t.Message)).scalar_one()


def test_a_signed_message_with_1e20_followers_is_stored_clamped_and_blocks_nothing(client, services):
    for i in range(3):
        assert post_signed(client, message(f"ok{i}", "fine")).status_code == 202
    poison = message("huge", "followers overflow", author_id="big")
    poison["author"]["followers"] = 1e20
    poison["created_at"] = "9999-01-01T00:00:00Z"
    assert post_signed(client, poison).status_code == 202
    run_jobs(services)
    assert _count(services) == 4 and services.buffer.depth() == 0
    with services.db() as s:
        row = s.scalars(select(t.Message).where(t.Message.external_id == "huge")).one()
        assert row.author.followers == MAX_FOLLOWERS and row.created_at.year == services.clock.now().year
        assert row.raw["_triage_flags"]["created_at_replaced"].startswith("9999")


def test_any_error_storing_one_message_quarantines_it_with_its_reason(services, monkeypatch):
    real = repo.insert_messages

    def explode_on_poison(*, session, messages, now):
        if any(m.external_id == "m3" for m in messages):
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        return real(session=session, messages=messages, now=now)

    monkeypatch.setattr(repo, "insert_messages", explode_on_poison)
    buffer_messages(services=services, messages=_msgs(services, 8))
    assert pipeline.drain_ingest(services=services) == 7
    [kept] = services.buffer.quarantined()
    assert '"m3"' in kept["message"] and kept["error"].startswith("OverflowError")
    assert _count(services) == 7 and services.buffer.depth() == 0


def test_an_outage_leaves_the_batch_pending_and_a_later_drainer_claims_it(services, monkeypatch):
    from sqlalchemy.exc import OperationalError

    buffer_messages(services=services, messages=_msgs(services, 5))
    monkeypatch.setattr(repo, "insert_messages", lambda **_: (_ for _ in ()).throw(
        OperationalError("INSERT", {}, Exception("database is locked"))))
    try:
        pipeline.drain_ingest(services=services, consumer="dies")
    except OperationalError:
        pass
    monkeypatch.undo()
    assert services.buffer.depth() == 5 and not services.buffer.quarantined()
    assert pipeline.drain_ingest(services=services) == 0  # still the first drainer's, not idle yet
    services.buffer.claim_idle_ms = 0
    assert pipeline.drain_ingest(services=services) == 5 and services.buffer.depth() == 0


def test_two_drainers_at_once_store_every_message_exactly_once(services):
    buffer_messages(services=services, messages=_msgs(services, 300))
    services.settings.ingest_batch = 20
    results = []
    threads = [threading.Thread(target=lambda: results.append(
        pipeline.drain_ingest(services=services))) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sum(results) == 300 and _count(services) == 300 and services.buffer.depth() == 0


def test_messages_left_in_the_old_list_buffer_are_moved_into_the_stream(services):
    services.redis.rpush(services.buffer.pending_key, *[m.model_dump_json() for m in _msgs(services, 4)])
    assert services.buffer.depth() == 4
    assert pipeline.drain_ingest(services=services) == 4 and services.buffer.depth() == 0


def test_one_failing_tick_duty_is_logged_and_the_others_still_run(services, monkeypatch):
    from triage.intake import polling

    monkeypatch.setattr(polling, "enqueue_due", lambda **_: 1 / 0)
    buffer_messages(services=services, messages=_msgs(services, 2))
    pipeline.drain_ingest(services=services)
    from triage.platform.queue import SCORE, queue
    queue(services.redis, SCORE).empty()
    services.clock = FixedClock(services.clock.now() + timedelta(minutes=5))
    out = pipeline.tick(services=services)
    assert out["errors"] == 1 and "polls" not in out and out["score"] == 2 and "replies" in out


def test_only_one_tick_leads_and_a_dead_leader_is_replaced_after_its_lock_expires(services):
    first, second = Leader(services.redis, ttl=0.3), Leader(services.redis, ttl=0.3)
    assert first.hold() and not second.hold() and first.hold()
    time.sleep(0.4)  # the first died without releasing
    assert second.hold() and not first.hold()


def test_the_tick_loop_survives_errors_and_leaves_a_heartbeat(services):
    calls, stop = [], threading.Event()
    services.clock = FixedClock(services.clock.now())

    def duty():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        if len(calls) >= 3:
            stop.set()
        return {"errors": 0}

    loop = threading.Thread(target=run_periodically, kwargs={
        "conn": services.redis, "duty": duty, "now": services.clock.now, "every": 0.05, "stop": stop})
    loop.start()
    loop.join(timeout=10)
    assert len(calls) >= 3 and last_beat(services.redis) == services.clock.now()


def test_health_reports_a_stalled_buffer_and_a_silent_tick(client, services):
    assert client.get("/health").status_code == 200  # no tick yet: new, not broken
    buffer_messages(services=services, messages=_msgs(services, 1))
    services.settings.ingest_stall_seconds = 0.2
    time.sleep(0.3)
    r = client.get("/health")
    assert r.status_code == 503 and r.json()["ingestion"].startswith("stalled")
    pipeline.drain_ingest(services=services)
    from triage.platform.leader import beat
    beat(services.redis, at=services.clock.now() - timedelta(minutes=10), summary={})
    r = client.get("/health")
    assert r.status_code == 503 and r.json()["tick"].startswith("down")
    beat(services.redis, at=services.clock.now(), summary={})
    assert client.get("/health").status_code == 200


def test_a_message_the_scorer_chokes_on_is_set_aside_and_its_batch_is_scored(services, monkeypatch):
    from triage.scoring.domain.rules import RuleScorer

    class ChokesOnM2:
        name = "picky"

        def score_batch(self, messages, contexts):
            if any(m.external_id == "m2" for m in messages):
                raise TypeError("cannot score this one")
            return RuleScorer().score_batch(messages, contexts)

    monkeypatch.setattr(pipeline, "RuleScorer", ChokesOnM2)  # the fallback chokes as well
    services._scorer = ChokesOnM2()
    buffer_messages(services=services, messages=_msgs(services, 5))
    pipeline.drain_ingest(services=services)
    with services.db() as s:
        ids = dict(s.execute(select(t.Message.external_id, t.Message.id)).all())
    assert pipeline.score(services=services, ids=sorted(ids.values())) == 4
    kept = services.buffer.quarantined_stored()
    assert list(kept) == [ids["m2"]] and kept[ids["m2"]]["error"].startswith("TypeError")
    # The tick does not loop on it.
    services.clock = FixedClock(services.clock.now() + timedelta(minutes=5))
    from triage.platform.queue import SCORE, queue
    queue(services.redis, SCORE).empty()
    assert pipeline.tick(services=services)["score"] == 0


def test_set_aside_messages_can_be_taken_back_for_scoring(services):
    services.buffer.quarantine_stored(message_id=7, stage="score", error="TypeError: x")
    services.buffer.quarantine_stored(message_id=3, stage="score", error="TypeError: y")
    assert services.buffer.take_quarantined_stored() == [3, 7]
    assert services.buffer.quarantined_stored() == {}


@pytest.mark.usefixtures("services")
def test_health_answers_within_seconds_when_redis_is_down():
    from triage.bootstrap import connect_redis, without_retries
    from triage.platform.redis_server import free_port

    dead = connect_redis(f"redis://127.0.0.1:{free_port()}/0")  # retries ~30 s by design
    started = time.monotonic()
    with pytest.raises(redis_py.ConnectionError):
        without_retries(dead).ping()
    assert time.monotonic() - started < 5
