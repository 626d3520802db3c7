"""The tick's refresh looks only at items that crossed a waiting step since the last tick; after
any run of ticks every open item must hold the priority the formula gives it now, as a full pass
over the whole pile would leave it."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.integration.relationship_support import T0, doc, ingest
from triage import periodic, pipeline
from triage.core.clock import FixedClock
from triage.core.priority import WAIT_STEPS, priority
from triage.platform import tables as t
from triage.platform.tables_relationship import Incident

TEXTS = ("How do I export my data?", "Your site is down and I can't log in, fix this now!",
         "Love the new release, great work team!", "I was charged twice, refund me today",
         "My account was hacked and someone made unauthorized purchases")


def _expected(services) -> dict[str, tuple[float, float]]:
    now = services.clock.now()
    with services.db() as session:
        rows = session.execute(select(t.Message.external_id, t.Message.urgency, t.Message.received_at,
                                      t.Message.priority, t.Score.relationship_value, t.Message.incident_id,
                                      t.Message.id)
                               .join(t.Score, t.Score.message_id == t.Message.id)).all()
        lifts = dict(session.execute(select(Incident.id, Incident.lift)).all())
    return {r.external_id: (r.priority, min(100.0, priority(
                r.urgency, r.relationship_value or 0.0, waited=now - _aware(r.received_at), steps=WAIT_STEPS)
                + ((lifts.get(r.id) or 0.0) if r.incident_id == r.id else 0.0)))
            for r in rows}


def _aware(at):
    return at if at.tzinfo else at.replace(tzinfo=T0.tzinfo)


def test_ticks_that_look_at_crossed_steps_only_keep_every_item_where_a_full_pass_would(services):
    rng = random.Random(7)
    for n in range(60):  # received over 30 hours: items in every step of every band
        at = T0 + timedelta(minutes=rng.randint(0, 30 * 60))
        ingest(services, [doc(f"m{n}", TEXTS[n % len(TEXTS)], created_at=at)], at=at)
    now = T0 + timedelta(hours=30)
    services.clock = FixedClock(now)
    pipeline.tick(services=services)  # the first tick after a start looks at everything
    full_at = services.redis.get(periodic.FULL_KEY)
    for _ in range(25):  # gaps of seconds to an hour, shorter than FULL_EVERY
        now += timedelta(seconds=rng.choice([5, 30, 90, 400, 700]))
        services.clock = FixedClock(now)
        pipeline.tick(services=services)
        wrong = {k: v for k, v in _expected(services).items() if v[0] != pytest.approx(v[1])}
        assert wrong == {}, f"at {now}: stored, expected"
    assert services.redis.get(periodic.FULL_KEY) != full_at  # 15 min passed: a full pass ran since
    assert {u for (u,) in _urgencies(services)} == {"critical", "high", "normal", "low"}


def test_a_tick_after_a_pause_longer_than_the_overlap_still_catches_every_step(services):
    ingest(services, [doc(f"q{n}", TEXTS[n % 2], created_at=T0 + timedelta(minutes=n)) for n in range(20)],
           at=T0 + timedelta(minutes=20))
    services.clock = FixedClock(T0 + timedelta(minutes=21))
    pipeline.tick(services=services)
    services.clock = FixedClock(T0 + timedelta(minutes=33))  # 12 min: within FULL_EVERY, past OVERLAP
    assert pipeline.tick(services=services)["reprioritised"] > 0
    wrong = {k: v for k, v in _expected(services).items() if v[0] != pytest.approx(v[1])}
    assert wrong == {}


def _urgencies(services):
    with services.db() as session:
        return session.execute(select(t.Message.urgency).distinct()).all()
