"""Storm grouping and spike alerts: 2,000 copies must be one item, quiet topics no banner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from triage.scoring.classifier.storms import (
    bucket_counts,
    detect_spikes,
    group_near_duplicates,
    incident_of,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def unit(v):
    v = np.asarray(v, dtype=np.float32)
    return v / np.linalg.norm(v)


def test_copies_within_the_window_form_one_incident_and_distinct_messages_do_not():
    rng = np.random.default_rng(1)
    base = unit(rng.normal(size=32))
    copies = [unit(base + 0.01 * rng.normal(size=32)) for _ in range(200)]
    others = [unit(rng.normal(size=32)) for _ in range(5)]
    emb = np.stack(copies + others)
    times = [T0 + timedelta(seconds=i) for i in range(len(emb))]
    incidents = group_near_duplicates(emb, times)
    assert sorted(i.count for i in incidents) == [1, 1, 1, 1, 1, 200]
    storm = max(incidents, key=lambda i: i.count)
    assert storm.id == 0 and storm.reason() == "200 similar messages in 3 min"
    assert set(incident_of(incidents, len(emb))[:200]) == {0}


def test_a_copy_after_the_window_closes_opens_a_new_incident():
    v = unit([1, 0, 0])
    times = [T0, T0 + timedelta(minutes=5), T0 + timedelta(minutes=40)]
    incidents = group_near_duplicates(np.stack([v, v, v]), times,
                                      window=timedelta(minutes=10))
    assert [i.members for i in incidents] == [(0, 1), (2,)]


def test_a_steady_storm_keeps_its_incident_open_past_the_window():
    v = unit([0, 1, 0])
    times = [T0 + timedelta(minutes=8 * k) for k in range(6)]  # 40 min, never a 10-min gap
    incidents = group_near_duplicates(np.stack([v] * 6), times)
    assert len(incidents) == 1 and incidents[0].count == 6


def test_input_order_does_not_matter_only_time_does():
    a, b = unit([1, 0]), unit([0, 1])
    times = [T0 + timedelta(minutes=2), T0, T0 + timedelta(minutes=1)]
    incidents = group_near_duplicates(np.stack([a, a, b]), times)
    assert {i.id: i.members for i in incidents} == {1: (1, 0), 2: (2,)}


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError):
        group_near_duplicates(np.zeros((2, 3)), [T0])


def test_spike_fires_on_a_surge_and_not_on_a_busy_but_steady_topic():
    series = {"billing": [10, 12, 9, 11, 10, 13, 10, 11, 12, 9, 10, 11, 240],
              "login": [100, 110, 95, 105, 98, 102, 99, 101, 104, 97, 103, 100, 115]}
    spikes = detect_spikes(series)
    assert [s.topic for s in spikes] == ["billing"]
    assert "23x its recent baseline (240 vs ~10" in spikes[0].reason()


def test_small_counts_never_raise_a_banner():
    assert detect_spikes({"rare": [0] * 12 + [8]}) == []
    assert [s.topic for s in detect_spikes({"new": [0] * 12 + [25]})] == ["new"]


def test_bucket_counts_put_each_message_in_its_bucket():
    now = T0 + timedelta(hours=1)
    times = [T0 + timedelta(minutes=m) for m in (1, 2, 55, 59, 61)]
    series = bucket_counts(times, ["a", "a", "a", "b", "a"], now=now,
                           bucket=timedelta(minutes=10), n_buckets=6)
    assert series == {"a": [2, 0, 0, 0, 0, 1], "b": [0, 0, 0, 0, 0, 1]}


def test_blocked_search_gives_the_same_incidents_as_one_message_at_a_time(monkeypatch):
    from triage.scoring.classifier import storms

    rng = np.random.default_rng(3)
    centres = [unit(rng.normal(size=16)) for _ in range(40)]
    emb = np.stack([unit(centres[rng.integers(40)] + 0.05 * rng.normal(size=16))
                    for _ in range(700)])
    times = [T0 + timedelta(seconds=int(s)) for s in rng.integers(0, 3600, 700)]
    blocked = group_near_duplicates(emb, times)
    monkeypatch.setattr(storms, "BLOCK", 1)
    assert group_near_duplicates(emb, times) == blocked
    assert 40 <= len(blocked) < 700
