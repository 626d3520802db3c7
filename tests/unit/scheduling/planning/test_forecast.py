import math

import numpy as np
import pytest

from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.planning.forecast import (
    agents_needed,
    erlang_c,
    errors,
    forecast_skill,
    people_needed,
    service_level,
)


def weekly_series(weeks: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    h = np.arange(weeks * 168)
    weekend = np.where((h // 24) % 7 >= 5, 0.5, 1)
    lam = 5 + 30 * np.clip(np.sin((h % 24 - 7) / 14 * math.pi), 0, None) * weekend
    return rng.poisson(lam)


def test_erlang_c_matches_the_textbook_value():
    assert erlang_c(10, 8.0) == pytest.approx(0.4092, abs=1e-4)


def test_erlang_c_stays_finite_for_a_large_team():
    value = erlang_c(2000, 1950.0)
    assert 0.0 < value < 1.0 and math.isfinite(value)


def test_an_overloaded_queue_always_waits():
    assert erlang_c(5, 6.0) == 1.0 and service_level(5, 6.0, 6, 30) == 0.0


def test_more_agents_never_lower_the_service_level():
    levels = [service_level(n, 8.0, 6, 2) for n in range(9, 20)]
    assert levels == sorted(levels)


def test_agents_needed_respects_the_occupancy_cap_and_the_interruption_budget():
    n = agents_needed(per_hour=100, aht_minutes=6, target_minutes=30, max_new_per_hour=8)
    assert n >= math.ceil(10 / 0.85) and n >= math.ceil(100 / 8)
    assert agents_needed(per_hour=0, aht_minutes=6, target_minutes=30) == 0


def test_people_needed_is_zero_for_an_empty_hour_and_grows_with_volume():
    needed = people_needed([0, 10, 40], rules=StaffingRules(), mix={"critical": 0.05, "normal": 0.95})
    assert needed[0] == 0 and needed[1] < needed[2]


def test_the_seasonal_forecast_beats_a_flat_average_on_the_held_back_week():
    series = weekly_series(5)
    result = forecast_skill("en", series)
    flat_mae, _ = errors(series[-168:], [series[:-168].mean()] * 168)
    assert result.model.startswith("holt-winters")
    assert result.mae is not None and result.mae < 0.6 * flat_mae
    assert len(result.hourly) == 168 and min(result.hourly) >= 0


def test_a_short_history_falls_back_to_a_seasonal_repeat():
    result = forecast_skill("es", weekly_series(1))
    assert result.model == "seasonal-naive(168)" and result.mae is None
