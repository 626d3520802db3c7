"""Scenarios (staff, rules, traffic) from YAML/JSON, and the synthetic traffic they describe."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from triage.core.scoring import URGENCIES
from triage.scheduling.domain.errors import InvalidStaff
from triage.scheduling.domain.rules import (
    ShiftTemplate,
    StaffingRules,
    rules_from_dict,
    template_from_dict,
    validate_rules,
)
from triage.scheduling.domain.staff import (
    Skills,
    Staff,
    check_timezone,
    index_staff,
    staff_from_dict,
)
from triage.scheduling.planning.roster_model import RosterRequest, candidates, unworkable_templates
from triage.scheduling.planning.sick_calls import SickCall, sick_calls_from_list, with_announced
from triage.scheduling.planning.storm_sim import (
    StormMix,
    group_storms,
    storm_extras,
    storm_mix_from_dict,
)

# A community inbox: quiet at night, a morning climb, an evening peak after work (weights per hour).
DEFAULT_DAILY_PROFILE = (2, 1.5, 1, 1, 1, 1.5, 3, 5, 7, 8, 8, 8,
                         7.5, 7.5, 7.5, 7, 7, 7.5, 8, 8.5, 8, 6.5, 4.5, 3)
DEFAULT_WEEKLY_PROFILE = (1.1, 1.05, 1.0, 1.0, 0.95, 0.7, 0.65)  # Monday busiest, weekends lighter
DEFAULT_MIX = {"critical": 0.03, "high": 0.15, "normal": 0.52, "low": 0.30}
DEFAULT_HANDLING_MIN = {"critical": 20.0, "high": 12.0, "normal": 6.0, "low": 3.0}
DEFAULT_NIGHT_SHARE = 0.15  # of a generated team, this many volunteer for night shifts
DEFAULT_TEMPLATES = ({"name": "early", "start": "07:00", "hours": 8},
                     {"name": "day", "start": "10:00", "hours": 8},
                     {"name": "late", "start": "15:00", "hours": 8},
                     {"name": "night", "start": "23:00", "hours": 8})


@dataclass(frozen=True)
class Traffic:
    per_day: float = 3000
    daily_profile: Sequence[float] = DEFAULT_DAILY_PROFILE
    weekly_profile: Sequence[float] = DEFAULT_WEEKLY_PROFILE
    urgency_mix: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_MIX))
    languages: Mapping[str, float] = field(default_factory=lambda: {"en": 0.7, "es": 0.2, "de": 0.1})
    handling_minutes: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_HANDLING_MIN))
    storm_day: int | None = 9  # day index of the two weeks with a traffic storm
    storm_factor: float = 2.5
    storm_hours: tuple[int, int] = (10, 18)
    sick_calls_per_day: float = 1.5
    authors: int = 5000
    channels: Mapping[str, float] = field(default_factory=dict)  # channel mix; empty: channels not modelled
    storm: StormMix = field(default_factory=StormMix)  # what the storm's extra messages are made of


@dataclass(frozen=True)
class Scenario:
    name: str
    start: datetime  # Monday 00:00 in the team time zone
    days: int
    seed: int
    rules: StaffingRules
    templates: tuple[ShiftTemplate, ...]
    staff: tuple[Staff, ...]
    traffic: Traffic
    history_weeks: int = 3
    tick_minutes: int = 2
    sick: tuple[SickCall, ...] = ()  # named sick calls, on top of the random ones


@dataclass(frozen=True, slots=True)
class Arrival:
    id: str
    at: datetime
    urgency: str
    language: str
    author: str
    relationship: float
    handling: float  # minutes of work this item really takes
    channel: str = ""  # "" when the scenario has no channel mix (no channel skill needed)
    incident: str | None = None  # storm incident this item belongs to, when grouped
    text: str = ""  # only a storm's copies carry text: it is what the live grouping compares


def _generated_staff(spec: Mapping[str, Any], seed: int, team_zone: str) -> list[Staff]:
    rng = np.random.default_rng(seed)
    langs = spec.get("languages", {"en": 1.0, "es": 0.35, "de": 0.25})
    contracts = spec.get("contract_hours", [40, 40, 32])
    count = int(spec.get("count", 40))
    # Own streams, so adding zones or night volunteers leaves everyone's skills as they were.
    zones = dict(spec.get("timezones", {team_zone: 1.0}))
    for zone in zones:
        check_timezone(zone, owner="staff.generate.timezones")
    mix = np.asarray(list(zones.values()), float)
    where = np.random.default_rng(seed + 11).choice(len(zones), count, p=mix / mix.sum()).tolist()
    nights = round(count * float(spec.get("night_share", DEFAULT_NIGHT_SHARE)))
    volunteers = set(np.random.default_rng(seed + 13).permutation(count)[:nights].tolist())
    out = []
    for i in range(count):
        mine = {lang for lang, share in langs.items() if rng.random() < share} or {"en"}
        out.append(Staff(id=f"cm{i:03d}", name=f"CM {i:03d}", skills=Skills(languages=frozenset(mine)),
                         timezone=list(zones)[where[i]], contract_hours=float(contracts[i % len(contracts)]),
                         on_call_eligible=rng.random() < float(spec.get("on_call_share", 0.25)),
                         night_opt_in=i in volunteers))
    return out


def _staff(raw: Mapping[str, Any], seed: int, team_zone: str) -> list[Staff]:
    """Listed people (each defaulting to the team's zone) or a generated team."""
    staff_raw = raw.get("staff", {"generate": {"count": 40}})
    if isinstance(staff_raw, Mapping):
        return _generated_staff(staff_raw["generate"], seed, team_zone)
    return [staff_from_dict({"timezone": team_zone, **s}) for s in staff_raw]


def _check_templates(templates: Sequence[ShiftTemplate], staff: Sequence[Staff], rules: StaffingRules,
                     monday: date) -> None:
    """A template nobody can work in their own local day (no night opt-in) is a scenario error."""
    week = datetime.combine(monday, datetime.min.time(), ZoneInfo(rules.team_timezone))
    request = RosterRequest(week, staff, templates, {}, rules)
    idle = unworkable_templates(request, candidates(request))
    if idle and staff:
        raise InvalidStaff(f"templates: nobody can work {', '.join(map(repr, idle))} (it falls in the local"
                           " night of everyone without night_opt_in, or in their time off): set night_opt_in"
                           " for someone, make it local ('09:00 local'), or drop it")


def scenario_from_dict(raw: Mapping[str, Any]) -> Scenario:
    """Build and validate a Scenario from plain data (a parsed YAML or JSON file)."""
    traffic_raw = dict(raw.get("traffic", {}))
    if "storm_hours" in traffic_raw:
        traffic_raw["storm_hours"] = tuple(traffic_raw["storm_hours"])
    traffic_raw["storm"] = storm_mix_from_dict(traffic_raw.get("storm"))
    traffic = Traffic(**traffic_raw)
    rules_raw = dict(raw.get("rules", {}))
    # One rule set: unless the lead says otherwise, the hours budget charges what items really take.
    rules_raw.setdefault("handling", dict(traffic.handling_minutes))
    rules = rules_from_dict(rules_raw | {"team_timezone": raw.get("team_timezone", "UTC")})
    templates = tuple(template_from_dict(t) for t in raw.get("templates", DEFAULT_TEMPLATES))
    validate_rules(rules, templates)
    seed = int(raw.get("seed", 7))
    staff = _staff(raw, seed, rules.team_timezone)
    index_staff(staff)
    start = date.fromisoformat(str(raw.get("start", "2026-03-02")))
    monday = start - timedelta(days=start.weekday())
    days = int(raw.get("days", 14))
    sick = sick_calls_from_list(raw.get("sick_calls", ()), staff, days)
    staff = list(with_announced(staff, sick, monday))
    _check_templates(templates, staff, rules, monday)
    return Scenario(name=str(raw.get("name", "scenario")),
                    start=datetime.combine(monday, datetime.min.time(), ZoneInfo(rules.team_timezone)),
                    days=days, seed=seed, rules=rules, templates=templates,
                    staff=tuple(staff), traffic=traffic,
                    history_weeks=int(raw.get("history_weeks", 3)),
                    tick_minutes=int(raw.get("tick_minutes", 2)), sick=sick)


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario file (.yaml/.yml or .json)."""
    text = Path(path).read_text()
    if str(path).endswith((".yaml", ".yml")):
        import yaml
        return scenario_from_dict(yaml.safe_load(text) or {})
    return scenario_from_dict(json.loads(text))


def hourly_rates(traffic: Traffic, start: datetime, hours: int, *, storm_day: int | None) -> np.ndarray:
    """Expected arrivals per hour from `start`, with daily and weekly seasonality and the storm."""
    daily = np.asarray(traffic.daily_profile, float)
    daily = daily / daily.sum()
    weekly = np.asarray(traffic.weekly_profile, float)
    weekly = weekly / weekly.mean()
    rates = np.empty(hours)
    for h in range(hours):
        day = h // 24
        rates[h] = traffic.per_day * daily[h % 24] * weekly[(start.weekday() + day) % 7]
        in_storm_hours = traffic.storm_hours[0] <= h % 24 < traffic.storm_hours[1]
        if storm_day is not None and day == storm_day and in_storm_hours:
            rates[h] *= traffic.storm_factor
    return rates


def arrivals(traffic: Traffic, start: datetime, hours: int, *, seed: int, storm_day: int | None,
             prefix: str = "m") -> list[Arrival]:
    """Poisson arrivals per hour, then the storm's extra messages, its copies grouped into incidents."""
    base = _arrivals(traffic, start, hours, seed=seed)
    if storm_day is None:
        return [Arrival(f"{prefix}{n}", *fields) for n, fields in enumerate(base)]
    extra = hourly_rates(traffic, start, hours, storm_day=storm_day) - hourly_rates(traffic, start, hours,
                                                                                   storm_day=None)
    rng = np.random.default_rng(seed + 3_000_017)
    counts = rng.poisson(np.clip(extra, 0, None))
    offsets = np.sort(np.repeat(np.arange(hours), counts) * 60 + rng.uniform(0, 60, int(counts.sum())))
    start_utc, minute = start.astimezone(UTC), timedelta(minutes=1)
    times = [start_utc + off * minute for off in offsets.tolist()]
    mix = {"urgency": traffic.urgency_mix, "languages": traffic.languages, "channels": traffic.channels}
    authors = rng.integers(0, traffic.authors, len(times)).tolist()
    storm = [(at, e["urgency"], e["language"], f"a{author}", 0.2,
              max(1.0, traffic.handling_minutes[e["urgency"]]), e["channel"], None, e["text"])
             for at, e, author in zip(times,
                                      storm_extras(mix=traffic.storm, base=mix, times=times, seed=seed),
                                      authors, strict=True)]
    merged = sorted(base + storm, key=lambda f: f[0])
    return group_storms([Arrival(f"{prefix}{n}", *fields) for n, fields in enumerate(merged)])


def _arrivals(traffic: Traffic, start: datetime, hours: int, *, seed: int) -> list[tuple]:
    """Ordinary traffic as field tuples (all but the id), in time order."""
    rng = np.random.default_rng(seed)
    rates = hourly_rates(traffic, start, hours, storm_day=None)
    counts = rng.poisson(rates)
    total = int(counts.sum())
    offsets = np.repeat(np.arange(hours), counts) * 60 + rng.uniform(0, 60, total)
    order = np.argsort(offsets, kind="stable")
    urg, mix = list(traffic.urgency_mix), np.asarray(list(traffic.urgency_mix.values()), float)
    langs, lmix = list(traffic.languages), np.asarray(list(traffic.languages.values()), float)
    u_idx = rng.choice(len(urg), total, p=mix / mix.sum())
    l_idx = rng.choice(len(langs), total, p=lmix / lmix.sum())
    weights = 1.0 / np.arange(1, traffic.authors + 1) ** 0.9
    a_idx = rng.choice(traffic.authors, total, p=weights / weights.sum())
    rel = rng.beta(2, 5, traffic.authors)
    noise = rng.lognormal(-0.08, 0.4, total)  # mean ~1: handling times vary, some take twice as long
    start = start.astimezone(UTC)  # absolute time: a DST night must not duplicate or drop an hour
    minute = timedelta(minutes=1)
    # plain Python lists: numpy scalar access per item is slow
    cols = zip(offsets[order].tolist(), u_idx[order].tolist(), l_idx[order].tolist(), a_idx[order].tolist(),
               noise[order].tolist(), strict=False)
    rel_list, handling = rel.tolist(), traffic.handling_minutes
    chans = _channels(traffic, total, seed=seed, order=order)
    return [(start + off * minute, urg[u], langs[lang], f"a{author}", rel_list[author],
             max(1.0, handling[urg[u]] * jitter), chans[n])
            for n, (off, u, lang, author, jitter) in enumerate(cols)]


def _channels(traffic: Traffic, total: int, *, seed: int, order: np.ndarray) -> list[str]:
    """One channel per arrival, from its own random stream so adding a mix changes nothing else."""
    if not traffic.channels:
        return [""] * total
    names, mix = list(traffic.channels), np.asarray(list(traffic.channels.values()), float)
    drawn = np.random.default_rng(seed + 1_000_003).choice(len(names), total, p=mix / mix.sum())
    return [names[i] for i in drawn[order].tolist()]


def hourly_counts(items: Sequence[Arrival], start: datetime, hours: int) -> dict[str, list[float]]:
    """Arrivals per hour per language, plus the total under '*'."""
    out: dict[str, list[float]] = {}
    start = start.astimezone(UTC)
    total = out.setdefault("*", [0.0] * hours)
    hour = timedelta(hours=1)
    for a in items:
        h = (a.at - start) // hour
        if 0 <= h < hours:
            total[h] += 1
            series = out.get(a.language)
            if series is None:
                series = out[a.language] = [0.0] * hours
            series[h] += 1
    return out


def mean_handling(traffic: Traffic) -> float:
    mix = traffic.urgency_mix
    return sum(mix[u] * traffic.handling_minutes[u] for u in URGENCIES if u in mix) / sum(mix.values())


