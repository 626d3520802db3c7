"""Hourly volume forecast per skill (Holt-Winters, weekly season) and people needed per hour (Erlang C)."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from triage.scheduling.domain.rules import StaffingRules

WEEK_HOURS = 168  # the weekly season holds the daily one: Monday 09:00 differs from Sunday 09:00
DEFAULT_SERVICE_LEVEL = 0.95  # share answered within target, the goal for critical items
MAX_OCCUPANCY = 0.85  # above this queues grow without bound on a busy hour and people burn out
DEFAULT_SHRINKAGE = 0.10  # breaks, handoffs and meetings: a rostered hour is not a handling hour


@dataclass(frozen=True, slots=True)
class Forecast:
    """Expected arrivals per hour for one skill, with the error measured on a held-back week."""

    skill: str
    hourly: tuple[float, ...]
    mae: float | None
    mape: float | None  # over hours with at least one arrival (MAPE is undefined at zero)
    model: str


def _fit_predict(history: np.ndarray, horizon: int) -> tuple[np.ndarray, str]:
    """Holt-Winters with a weekly season when two weeks exist, else a seasonal-naive repeat."""
    if len(history) >= 2 * WEEK_HOURS:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter on flat series is not actionable
            model = ExponentialSmoothing(history, trend=None, seasonal="add",
                                         seasonal_periods=WEEK_HOURS,
                                         initialization_method="heuristic").fit()
        return np.clip(model.forecast(horizon), 0.0, None), "holt-winters(weekly)"
    period = WEEK_HOURS if len(history) >= WEEK_HOURS else 24
    if len(history) < period:
        return np.full(horizon, float(np.mean(history)) if len(history) else 0.0), "mean"
    last = history[-period:]
    return np.resize(last, horizon).astype(float), f"seasonal-naive({period})"


def errors(actual: Sequence[float], predicted: Sequence[float]) -> tuple[float, float | None]:
    """MAE, and MAPE over the hours with non-zero actuals (None when there are none)."""
    a, p = np.asarray(actual, float), np.asarray(predicted, float)
    mae = float(np.mean(np.abs(a - p)))
    nonzero = a > 0
    mape = float(np.mean(np.abs(a[nonzero] - p[nonzero]) / a[nonzero])) if nonzero.any() else None
    return mae, mape


def forecast_skill(skill: str, history: Sequence[float], *, horizon: int = WEEK_HOURS) -> Forecast:
    """Forecast `horizon` hours after `history`, scoring the model on the last week first."""
    series = np.asarray(history, float)
    mae = mape = None
    if len(series) >= 3 * WEEK_HOURS:
        held_back, _ = _fit_predict(series[:-WEEK_HOURS], WEEK_HOURS)
        mae, mape = errors(series[-WEEK_HOURS:], held_back)
    predicted, model = _fit_predict(series, horizon)
    return Forecast(skill, tuple(float(v) for v in predicted), mae, mape, model)


def forecast_by_skill(history: Mapping[str, Sequence[float]], *, horizon: int = WEEK_HOURS
                      ) -> dict[str, Forecast]:
    """One forecast per skill from hourly arrival counts."""
    return {skill: forecast_skill(skill, series, horizon=horizon) for skill, series in history.items()}


def erlang_c(agents: int, load: float) -> float:
    """Probability an arrival waits, for `agents` servers and `load` Erlangs (stable recursion)."""
    if load <= 0:
        return 0.0
    if agents <= load:
        return 1.0
    b = 1.0  # Erlang B by recursion: no factorials or powers, so no overflow for large N
    for k in range(1, agents + 1):
        b = load * b / (k + load * b)
    return agents * b / (agents - load * (1 - b))


def service_level(agents: int, load: float, aht_minutes: float, target_minutes: float) -> float:
    """Share of arrivals answered within `target_minutes` (Erlang C, FIFO)."""
    if load <= 0:
        return 1.0
    if agents <= load:
        return 0.0
    return 1.0 - erlang_c(agents, load) * math.exp(-(agents - load) * target_minutes / aht_minutes)


def agents_needed(*, per_hour: float, aht_minutes: float, target_minutes: float,
                  level: float = DEFAULT_SERVICE_LEVEL, max_occupancy: float = MAX_OCCUPANCY,
                  max_new_per_hour: int | None = None) -> int:
    """Fewest people meeting the service level, the occupancy cap and the interruption budget."""
    if per_hour <= 0:
        return 0
    load = per_hour * aht_minutes / 60.0
    n = max(1, math.ceil(load / max_occupancy))
    if max_new_per_hour:
        n = max(n, math.ceil(per_hour / max_new_per_hour))
    while service_level(n, load, aht_minutes, target_minutes) < level:
        n += 1
    return n


def people_needed(hourly: Sequence[float], *, rules: StaffingRules, mix: Mapping[str, float],
                  level: float = DEFAULT_SERVICE_LEVEL, shrinkage: float = DEFAULT_SHRINKAGE) -> list[int]:
    """People to roster per hour: Erlang C against the strictest SLA in `mix`, grossed up for shrinkage."""
    total = sum(mix.values()) or 1.0
    aht = sum(share * rules.handling[u].total_seconds() / 60 for u, share in mix.items()) / total
    strictest = min(rules.sla[u].total_seconds() / 60 for u, share in mix.items() if share > 0)
    out = []
    for rate in hourly:
        n = agents_needed(per_hour=rate, aht_minutes=aht, target_minutes=strictest, level=level,
                          max_new_per_hour=rules.interruptions_per_hour)
        out.append(math.ceil(n / (1 - shrinkage)) if n else 0)
    return out
