"""The raw facts a replay starts from (run, people, arrivals, on-call), so anyone can re-check it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from triage.scheduling.domain.staff import Interval, Staff
from triage.scheduling.planning.scenario import Arrival

EVENT_LOG_VERSION = 2  # 2: run, person, arrival and on_call records added


def person_record(staff: Staff) -> dict[str, Any]:
    """Who someone is for a checker: their zone, skills, and what they agreed to (nights, on-call)."""
    return {"type": "person", "person": staff.id, "timezone": staff.timezone,
            "languages": sorted(staff.skills.languages), "channels": sorted(staff.skills.channels),
            "topics": sorted(staff.skills.topics), "contract_hours": staff.contract_hours,
            "on_call_eligible": staff.on_call_eligible,
            "night_opt_in": bool(getattr(staff, "night_opt_in", False))}


def arrival_record(a: Arrival) -> dict[str, Any]:
    """One message as it arrived: the checker computes SLA from these, not from the simulator's counts."""
    return {"type": "arrival", "item": a.id, "time": a.at.isoformat(), "urgency": a.urgency,
            "language": a.language, "channel": a.channel, "incident": a.incident, "author": a.author}


def header_records(*, policy: str, scenario_name: str, seed: int, team_timezone: str, start: datetime,
                   end: datetime, staff: Iterable[Staff], arrivals: Sequence[Arrival],
                   on_call: Mapping[str, Sequence[Interval]]) -> list[dict[str, Any]]:
    """The run, every person, every arrival inside [start, end) and every on-call window touching it."""
    out: list[dict[str, Any]] = [{"type": "run", "version": EVENT_LOG_VERSION, "policy": policy,
                                  "scenario": scenario_name, "seed": seed, "team_timezone": team_timezone,
                                  "start": start.isoformat(), "end": end.isoformat()}]
    out += [person_record(s) for s in staff]
    out += [arrival_record(a) for a in arrivals if start <= a.at < end]
    for pid, windows in on_call.items():
        out += [{"type": "on_call", "person": pid, "start": w.start.isoformat(), "end": w.end.isoformat()}
                for w in windows if w.start < end and w.end > start]
    return out
