"""Spike alerts: a topic far above its recent baseline raises a metric and an inbox banner; a steady
one does not."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from tests.integration.helpers import add_user, bearer
from tests.integration.relationship_support import T0, doc, ingest
from triage import pipeline
from triage.api.app import create_app
from triage.core.clock import FixedClock
from triage.scoring.storms import current_spikes

STORM = "Your latest update deleted all my saved projects!!! Fix this now #outage"
STEADY = "Where can I find the API docs for webhooks?"


def _alerts() -> float:
    return REGISTRY.get_sample_value("triage_spike_alerts_total") or 0.0


def _traffic(services, *, storm_now: int) -> None:
    """An hour of 2 storm copies and 25 steady questions per 5 min, then `storm_now` copies."""
    for k in range(13):
        at = T0 + timedelta(minutes=5 * k + 1)
        storm = storm_now if k == 12 else 2
        ingest(services, [doc(f"s{k}-{i}", STORM, created_at=at) for i in range(storm)]
               + [doc(f"q{k}-{i}", STEADY, created_at=at) for i in range(25)], at=at)
    services.clock = FixedClock(T0 + timedelta(minutes=65))


def test_a_storm_far_above_its_baseline_raises_one_alert_and_a_banner(services):
    _traffic(services, storm_now=60)
    before = _alerts()
    assert pipeline.tick(services=services)["spikes"] == 1
    [spike] = current_spikes(services.redis)
    assert spike["topic"] == STORM and spike["current"] == 60 and spike["baseline"] == 2
    assert spike["reason"] == "84 similar messages in 60 min"
    assert _alerts() == before + 1
    pipeline.tick(services=services)
    assert _alerts() == before + 1, "the same spike is not alerted twice"
    token = add_user(services, "ana")
    with TestClient(create_app(services)) as client:
        page = client.get("/inbox", headers=bearer(token))
    assert page.status_code == 200 and "Spike:" in page.text and "30x its recent baseline" in page.text


def test_steady_volume_and_a_modest_rise_raise_no_alert(services):
    _traffic(services, storm_now=5)
    assert pipeline.tick(services=services)["spikes"] == 0
    assert current_spikes(services.redis) == []
