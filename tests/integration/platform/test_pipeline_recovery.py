"""Failures lose nothing: quarantine, failed jobs that can be retried, and the recovery tick."""

from __future__ import annotations

import json
from datetime import timedelta

from rq.registry import FailedJobRegistry
from sqlalchemy import func, select

from tests.integration.helpers import run_jobs
from triage import pipeline
from triage.core.clock import FixedClock
from triage.intake.importer import to_message
from triage.intake.ingest import buffer_messages
from triage.platform import tables as t
from triage.platform.queue import SCORE, queue


def _msgs(services, n, prefix="m"):
    now = services.clock.now()
    return [to_message({"external_id": f"{prefix}{i}", "text": f"hello {i}"}, source="test", now=now)
            for i in range(n)]


def _count(services, *where) -> int:
    with services.db() as s:
        return s.execute(select(func.count()).select_from(t.Message).where(*where)).scalar_one()


def test_a_message_that_cannot_be_stored_is_quarantined_and_the_rest_go_in(services):
    buffer_messages(services=services, messages=_msgs(services, 3))
    services.redis.rpush(services.buffer.pending_key, '{"not": "a message"}')
    buffer_messages(services=services, messages=_msgs(services, 2, prefix="late"))
    run_jobs(services)
    assert _count(services) == 5
    [kept] = services.buffer.quarantined()
    assert json.loads(kept["message"]) == {"not": "a message"} and "ValidationError" in kept["error"]
    assert services.buffer.replay_quarantine() == 1 and services.buffer.depth() == 1


def test_a_failing_score_job_retries_then_waits_in_the_failed_registry(services, monkeypatch):
    class Broken:
        name = "broken"

        def score_batch(self, _messages, _contexts):
            raise RuntimeError("model exploded")

    buffer_messages(services=services, messages=_msgs(services, 4))
    monkeypatch.setattr(pipeline, "RuleScorer", Broken)  # the fallback fails too
    services._scorer = Broken()
    services.settings.job_retries = 0
    run_jobs(services)
    failed = FailedJobRegistry(queue=queue(services.redis, SCORE))
    assert len(failed.get_job_ids()) == 1
    assert _count(services, t.Message.stage == "received") == 4  # stored, waiting, not lost
    monkeypatch.undo()
    from triage.scoring.domain.rules import RuleScorer
    services._scorer = RuleScorer()
    failed.requeue(failed.get_job_ids()[0])
    run_jobs(services)
    assert _count(services, t.Message.stage == "routed") == 4


def test_the_scorer_falling_over_on_a_batch_hands_it_to_the_rules(services):
    class Flaky:
        name = "flaky"

        def score_batch(self, _messages, _contexts):
            raise ValueError("bad tensor")

    services._scorer = Flaky()
    buffer_messages(services=services, messages=_msgs(services, 3))
    run_jobs(services)
    with services.db() as s:
        assert set(s.scalars(select(t.Score.model))) == {"rules-v1"}


def test_the_tick_re_enqueues_messages_a_dead_worker_left_unscored(services):
    buffer_messages(services=services, messages=_msgs(services, 3))
    pipeline.drain_ingest(services=services)
    queue(services.redis, SCORE).empty()  # the score job died with its worker
    later = services.clock.now() + timedelta(seconds=services.settings.stale_after_seconds + 1)
    services.clock = FixedClock(later)
    assert pipeline.tick(services=services)["score"] == 3
    run_jobs(services)
    assert _count(services, t.Message.stage == "routed") == 3


def test_retrying_a_finished_score_job_scores_nothing_twice(services):
    buffer_messages(services=services, messages=_msgs(services, 3))
    run_jobs(services)
    with services.db() as s:
        ids = list(s.scalars(select(t.Message.id)))
    assert pipeline.score(services=services, ids=ids) == 0
    with services.db() as s:
        assert s.execute(select(func.count()).select_from(t.Score)).scalar_one() == 3


def test_text_with_nul_bytes_and_broken_unicode_is_stored_on_every_backend(services):
    now = services.clock.now()
    odd = to_message({"external_id": "odd", "text": "nul\x00 and \udcff broken",
                      "extra": "x\x00y"}, source="test", now=now)
    buffer_messages(services=services, messages=[odd])
    run_jobs(services)
    with services.db() as s:
        row = s.scalars(select(t.Message)).one()
    assert "\x00" not in row.text and row.stage == "routed"
