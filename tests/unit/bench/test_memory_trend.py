"""The soak's memory verdict: warm-up and swings are not growth; a steady creep is."""

from __future__ import annotations

import math
import random

import pytest

from bench.memory_trend import trend

SECONDS = [10.0 * i for i in range(180)]  # a 30-minute soak sampled every 10 s


def test_warm_up_that_levels_off_is_flat_though_the_thirds_differ():
    mb = [200 + 100 * min(1.0, t / 500) + random.Random(t).uniform(-2, 2) for t in SECONDS]
    verdict = trend(SECONDS, mb)
    assert verdict.last_third_mb - verdict.first_third_mb > 0.10 * verdict.first_third_mb + 5
    assert verdict.flat, verdict.describe()


def test_a_model_workers_swings_are_not_growth():
    rng = random.Random(3)
    mb = [900 + 300 * math.sin(t / 97 + rng.uniform(-0.5, 0.5)) for t in SECONDS]
    assert trend(SECONDS, mb).flat


def test_a_steady_creep_after_warm_up_is_growing_though_the_run_holds_it_within_slack():
    mb = [130 + 26 * t / 3600 + random.Random(t).uniform(-3, 3) for t in SECONDS]  # 26 MB/h
    verdict = trend(SECONDS, mb)
    assert verdict.growth_mb < 0.10 * verdict.level_mb + 5  # 9 MB in the run's last 20 minutes
    assert not verdict.flat, verdict.describe()
    assert verdict.per_hour_mb == pytest.approx(26, abs=3)


def test_a_few_high_samples_at_the_end_do_not_tip_a_flat_line():
    mb = [300.0] * 170 + [420.0] * 10
    assert trend(SECONDS, mb).flat


def test_too_few_samples_is_an_error_not_a_verdict():
    with pytest.raises(ValueError):
        trend(SECONDS[:5], [1.0] * 5)
