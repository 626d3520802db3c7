"""`triage train --limit` for quick runs and tests, and versions that never overwrite each other."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from triage.scoring.classifier.data import split_of, subsample
from triage.scoring.classifier.pipeline import free_version


def _records(n: int, dataset: str) -> list[dict]:
    return [{"id": f"{dataset}:{i}", "text": f"text {i}", "dataset": dataset} for i in range(n)]


def test_limit_caps_each_source_and_keeps_small_sources_whole():
    records = _records(1000, "airline_tweets") + _records(30, "synthetic_tickets")
    kept = subsample(records, 100)
    assert Counter(r["dataset"] for r in kept) == {"airline_tweets": 100, "synthetic_tickets": 30}


def test_limit_is_the_same_subset_every_run_and_keeps_a_held_back_share():
    records = _records(2000, "airline_tweets")
    first, again = subsample(records, 200), subsample(list(reversed(records)), 200)
    assert sorted(r["id"] for r in first) == sorted(r["id"] for r in again)
    held = sum(split_of(r) == "holdout" for r in first) / len(first)
    assert 0.35 < held < 0.65  # airline lends half: a subset must not be all train or all held back


def test_a_second_version_in_the_same_second_gets_its_own_directory(tmp_path):
    now = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
    first = free_version(tmp_path, now)
    (tmp_path / first).mkdir()
    second = free_version(tmp_path, now)
    (tmp_path / second).mkdir()
    assert first == "clf-20260301-120005" and second != first
    assert free_version(tmp_path, now) not in (first, second)
