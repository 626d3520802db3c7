"""An independent re-check of a simulation's raw event log, in each person's own time zone.

It imports nothing from `triage`: it reads plain records (the JSONL a replay writes) and applies the
working-time rules as written in the issue, so a bug in the scheduler's own accounting cannot hide
here. Conventions, chosen to be strict:
- time at work = every rostered shift (whether busy or not) plus every minute spent on an item outside
  a shift, paged work included; overlaps count once;
- a day and a week are the person's local calendar day and local ISO week (DST-aware);
- rest: in the 24 hours from the start of any work period there must be `min_rest` of consecutive
  time off (EU working-time directive art. 3), so a page in the night breaks the night's rest;
- night = 23:00-06:00 local; any shift minute in it, or item work outside a shift and outside an
  on-call window, is night work, allowed only to people with `night_opt_in`;
- an item is answered when someone with its language (and channel, when it has one) starts it;
  items of one incident count once; an unanswered item whose deadline is after the run is left out;
- an item is covered when it arrives while someone who can take it is on shift, or on call with a page
  left in their local night and week (the issue: a page goes "within their own budget ... If no such
  person exists, the item is a coverage gap"); the SLA "where covered" counts covered items only.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

URGENCY_ORDER = ("critical", "high", "normal", "low")
NIGHT_START, NIGHT_END = time(23), time(6)
MINUTE = timedelta(minutes=1)
EXAMPLES = 5  # findings kept per rule, to show a reader what was found


def _t(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass
class Person:
    id: str
    zone: ZoneInfo
    languages: frozenset[str]
    channels: frozenset[str]
    night_opt_in: bool
    on_call_eligible: bool

    def can_take(self, arrival: Mapping[str, Any]) -> bool:
        return (arrival["language"] in self.languages
                and (not arrival.get("channel") or arrival["channel"] in self.channels))


@dataclass
class Report:
    """What the re-check found: breaches per rule (with examples) and SLA figures per urgency."""

    breaches: Counter = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    sla: dict[str, list[int]] = field(default_factory=dict)  # urgency -> [met, counted]
    sla_covered: dict[str, list[int]] = field(default_factory=dict)  # same, items arriving in covered time
    uncovered: Counter = field(default_factory=Counter)  # items arriving while no skilled person was on
    uncovered_why: Counter = field(default_factory=Counter)  # (urgency, reason) -> items
    unanswered: Counter = field(default_factory=Counter)
    answered: Counter = field(default_factory=Counter)
    deferred: Counter = field(default_factory=Counter)
    pages: int = 0
    night_shifts: Counter = field(default_factory=Counter)  # per person, any opt-in status

    @property
    def total_breaches(self) -> int:
        return sum(self.breaches.values())

    def share(self, urgency: str, *, covered: bool = False) -> float | None:
        met, n = (self.sla_covered if covered else self.sla).get(urgency, [0, 0])
        return met / n if n else None

    def found(self, rule: str, detail: str) -> None:
        self.breaches[rule] += 1
        if len(self.examples[rule]) < EXAMPLES:
            self.examples[rule].append(detail)

    def summary(self) -> str:
        lines = [f"breaches: {self.total_breaches}"]
        lines += [f"  {rule}: {n}  e.g. {self.examples[rule][0]}" for rule, n in self.breaches.most_common()]
        for u in URGENCY_ORDER:
            met, n = self.sla.get(u, [0, 0])
            cm, cn = self.sla_covered.get(u, [0, 0])
            lines.append(f"  {u}: SLA {met}/{n}" + (f" = {met / n:.1%}" if n else " (no items)")
                         + f"; where covered {cm}/{cn}" + (f" = {cm / cn:.1%}" if cn else "")
                         + f"; uncovered {self.uncovered[u]}; answered {self.answered[u]},"
                         f" unanswered {self.unanswered[u]}, deferred {self.deferred[u]}")
            lines += [f"    uncovered, {why}: {n}" for (uu, why), n in sorted(self.uncovered_why.items())
                      if uu == u]
        lines.append(f"pages: {self.pages}")
        return "\n".join(lines)


class _Log:
    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        self.rules: Mapping[str, Any] = {}
        self.run: Mapping[str, Any] = {}
        self.people: dict[str, Person] = {}
        self.arrivals: dict[str, Mapping[str, Any]] = {}
        self.shifts: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.on_call: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        self.assignments: list[Mapping[str, Any]] = []
        self.pages: list[Mapping[str, Any]] = []
        self.deferrals: list[Mapping[str, Any]] = []
        for r in records:
            kind = r.get("type")
            if kind == "rules":
                self.rules = r
            elif kind == "run":
                self.run = r
            elif kind == "person":
                self.people[r["person"]] = Person(r["person"], ZoneInfo(r["timezone"]),
                                                  frozenset(r.get("languages", ())),
                                                  frozenset(r.get("channels", ())),
                                                  bool(r.get("night_opt_in")),
                                                  bool(r.get("on_call_eligible")))
            elif kind == "arrival":
                self.arrivals[r["item"]] = r
            elif kind in ("shift", "on_call"):
                target = self.shifts if kind == "shift" else self.on_call
                target[r["person"]].append((_t(r["start"]), _t(r["end"])))
            elif kind == "assignment":
                self.assignments.append(r)
            elif kind == "page":
                self.pages.append(r)
            elif kind == "deferral":
                self.deferrals.append(r)
        for spans in (*self.shifts.values(), *self.on_call.values()):
            spans.sort()

    def minutes(self, key: str) -> timedelta:
        return timedelta(minutes=float(self.rules[key]))


def _span(a: Mapping[str, Any]) -> tuple[datetime, datetime] | None:
    """Time actually spent on an item by this holder: from start to the last minute worked."""
    start = _t(a.get("started"))
    end = _t(a.get("worked_until")) or _t(a.get("resolved")) or _t(a.get("released"))
    return (start, end) if start and end and end > start else None


def _union(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[list[datetime]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _inside(spans: list[tuple[datetime, datetime]], s: datetime, e: datetime) -> bool:
    return any(a <= s and e <= b for a, b in spans)


def _local_days(s: datetime, e: datetime, zone: ZoneInfo) -> Iterable[tuple[date, timedelta]]:
    """Split [s, e) at local midnights: (local date, time in it)."""
    day = s.astimezone(zone).date()
    while s < e:
        midnight = datetime.combine(day + timedelta(days=1), time(0), zone)
        cut = min(e, midnight)
        if cut > s:
            yield day, cut - s
        s, day = cut, day + timedelta(days=1)


def _night_minutes(s: datetime, e: datetime, zone: ZoneInfo) -> float:
    total = 0.0
    day = s.astimezone(zone).date() - timedelta(days=1)
    while datetime.combine(day, NIGHT_START, zone) < e:
        ns = datetime.combine(day, NIGHT_START, zone)
        ne = datetime.combine(day + timedelta(days=1), NIGHT_END, zone)
        total += max(timedelta(0), min(e, ne) - max(s, ns)) / MINUTE
        day += timedelta(days=1)
    return total


def check(records: Iterable[Mapping[str, Any]]) -> Report:
    """Re-check a raw event log: working time, rest, nights, pages, skills and SLA."""
    log, report = _Log(records), Report()
    work = _working_time(log, report)
    for pid, spans in work.items():
        person = log.people.get(pid)
        if person is None:
            report.found("person missing from the log", pid)
            continue
        _hours(log, report, person, spans)
        _rest(log, report, person, spans)
        _nights(log, report, person)
    _pages(log, report)
    _sla(log, report)
    return report


def _working_time(log: _Log, report: Report) -> dict[str, list[tuple[datetime, datetime]]]:
    per_person: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for pid, spans in log.shifts.items():
        per_person[pid].extend(spans)
    for a in log.assignments:
        pid, span = a["person"], _span(a)
        arrival = log.arrivals.get(a["item"])
        person = log.people.get(pid)
        if arrival is not None and person is not None and not person.can_take(arrival):
            report.found("item given to someone without its language or channel",
                         f"{a['item']} ({arrival['language']}/{arrival.get('channel') or '-'}) to {pid}")
        if span is None:
            continue
        per_person[pid].append(span)
        if not a.get("via_page") and not _inside(log.shifts.get(pid, []), *span):
            report.found("worked off shift", f"{pid} on {a['item']} {span[0]:%m-%d %H:%M}Z")
    return {pid: _union(spans) for pid, spans in per_person.items()}


def _hours(log: _Log, report: Report, person: Person, spans: list[tuple[datetime, datetime]]) -> None:
    per_day: Counter = Counter()
    for s, e in spans:
        for day, spent in _local_days(s, e, person.zone):
            per_day[day] += spent / timedelta(hours=1)
    per_week: Counter = Counter()
    for day, hours in per_day.items():
        per_week[day.isocalendar()[:2]] += hours
        if hours > float(log.rules["max_hours_per_day"]) + 1e-6:
            report.found("daily hours", f"{person.id} {hours:.2f} h on {day} local")
    for week, hours in sorted(per_week.items()):
        if hours > float(log.rules["max_hours_per_week"]) + 1e-6:
            report.found("weekly hours", f"{person.id} {hours:.2f} h in week {week[0]}-W{week[1]:02d} local")
    limit, run = int(log.rules["max_consecutive_days"]), 0
    days = sorted(per_day)
    for i, day in enumerate(days):
        run = run + 1 if i and (day - days[i - 1]).days == 1 else 1
        if run > limit:
            report.found("consecutive days (no free calendar day)",
                         f"{person.id} day {run} in a row on {day} local")


def _rest(log: _Log, report: Report, person: Person, spans: list[tuple[datetime, datetime]]) -> None:
    need = log.minutes("min_rest")
    for i, (start, _) in enumerate(spans):
        window_end, longest, cursor = start + timedelta(hours=24), timedelta(0), start
        for s, e in spans[i:]:
            if s >= window_end:
                break
            longest, cursor = max(longest, s - cursor), max(cursor, e)
        longest = max(longest, window_end - cursor)
        if longest < need:
            report.found("rest", f"{person.id}: longest rest {longest / timedelta(hours=1):.1f} h in the 24 h"
                                 f" from {start.astimezone(person.zone):%m-%d %H:%M} local")


def _nights(log: _Log, report: Report, person: Person) -> None:
    for s, e in log.shifts.get(person.id, []):
        minutes = _night_minutes(s, e, person.zone)
        if minutes <= 0:
            continue
        report.night_shifts[person.id] += 1
        if not person.night_opt_in:
            report.found("night shift without opt-in",
                         f"{person.id} {s.astimezone(person.zone):%a %m-%d %H:%M}-"
                         f"{e.astimezone(person.zone):%H:%M} local ({minutes:.0f} min at night)")


def _pages(log: _Log, report: Report) -> None:
    nights: Counter = Counter()
    weeks: Counter = Counter()
    for p in log.pages:
        report.pages += 1
        pid, at = p["person"], _t(p["time"])
        person, arrival = log.people.get(pid), log.arrivals.get(p["item"])
        if person is None:
            report.found("person missing from the log", pid)
            continue
        if arrival is not None and not person.can_take(arrival):
            report.found("page without the skill", f"{p['item']} ({arrival['language']}/"
                                                   f"{arrival.get('channel') or '-'}) paged to {pid}")
        if not person.on_call_eligible:
            report.found("page to someone not on call", f"{pid} is not on-call eligible")
        elif not any(s <= at < e for s, e in log.on_call.get(pid, [])):
            report.found("page outside the on-call window",
                         f"{pid} at {at.astimezone(person.zone):%a %H:%M} local")
        night, week = _night_and_week(at, person.zone)
        nights[pid, night] += 1
        weeks[pid, week] += 1
    for (pid, night), n in nights.items():
        if n > int(log.rules["pages_per_night"]):
            report.found("pages per night", f"{pid} {n} pages in the night of {night}")
    for (pid, week), n in weeks.items():
        if n > int(log.rules["pages_per_week"]):
            report.found("pages per week", f"{pid} {n} pages in week {week}")


def _night_and_week(at: datetime, zone: ZoneInfo) -> tuple[date, tuple[int, int]]:
    """The local night (named by the date it starts on) and local ISO week a page at `at` counts in."""
    local = at.astimezone(zone)
    return (local - timedelta(hours=12)).date(), local.isocalendar()[:2]


NOBODY = "nobody with the skill on shift or on call"
PAGES_USED = "only on call, and their pages for the night or week were used"


def _coverage_gap(log: _Log, arrival: Mapping[str, Any], at: datetime,
                  cache: dict[tuple[str, str], list[tuple[datetime, datetime]]],
                  paged: Mapping[str, list[datetime]]) -> str | None:
    """None when someone who can take `arrival` was on shift at `at`, or on call with a page left
    (pages sent before `at` in their local night and ISO week, against the rules' budget); else why not."""
    key = (arrival["language"], arrival.get("channel") or "")
    if key not in cache:
        cache[key] = _union(span for pid, person in log.people.items() if person.can_take(arrival)
                            for span in log.shifts.get(pid, ()))
    spans = cache[key]
    i = bisect.bisect_right(spans, (at, datetime.max.replace(tzinfo=at.tzinfo))) - 1
    if i >= 0 and spans[i][0] <= at < spans[i][1]:
        return None
    on_call = [person for pid, person in log.people.items() if person.can_take(arrival)
               and any(s <= at < e for s, e in log.on_call.get(pid, ()))]
    if not on_call:
        return NOBODY
    for person in on_call:
        night, week = _night_and_week(at, person.zone)
        earlier = [_night_and_week(p, person.zone) for p in paged.get(person.id, ()) if p < at]
        in_night = sum(n == night for n, _ in earlier)
        in_week = sum(w == week for _, w in earlier)
        if in_night < int(log.rules["pages_per_night"]) and in_week < int(log.rules["pages_per_week"]):
            return None
    return PAGES_USED


def _sla(log: _Log, report: Report) -> None:
    end = _t(log.run.get("end")) if log.run else None
    first_start: dict[str, datetime] = {}
    for a in log.assignments:
        arrival, person = log.arrivals.get(a["item"]), log.people.get(a["person"])
        start = _t(a.get("started"))
        if start and arrival and person and person.can_take(arrival):
            key = arrival.get("incident") or a["item"]
            first_start[key] = min(start, first_start.get(key, start))
    deferred = {d["item"] for d in log.deferrals}
    groups: dict[str, Mapping[str, Any]] = {}
    cache: dict[tuple[str, str], list[tuple[datetime, datetime]]] = {}
    paged: dict[str, list[datetime]] = defaultdict(list)
    for p in log.pages:
        paged[p["person"]].append(_t(p["time"]))
    for arrival in sorted(log.arrivals.values(), key=lambda r: r["time"]):
        groups.setdefault(arrival.get("incident") or arrival["item"], arrival)
    for key, arrival in groups.items():
        u, at = arrival["urgency"], _t(arrival["time"])
        due = at + timedelta(minutes=float(log.rules["sla"][u]))
        started = first_start.get(key)
        report.answered[u] += started is not None
        report.unanswered[u] += started is None
        report.deferred[u] += arrival["item"] in deferred
        if started is None and end is not None and due > end:
            continue  # still inside its SLA when the run stopped
        met = started is not None and started <= due
        tally = report.sla.setdefault(u, [0, 0])
        tally[0] += met
        tally[1] += 1
        gap = _coverage_gap(log, arrival, at, cache, paged)
        if gap is None:
            covered = report.sla_covered.setdefault(u, [0, 0])
            covered[0] += met
            covered[1] += 1
        else:
            report.uncovered[u] += 1
            report.uncovered_why[u, gap] += 1


def check_file(path: str | Path) -> Report:
    """Re-check one JSONL event log file."""
    with Path(path).open() as fh:
        return check(json.loads(line) for line in fh if line.strip())


if __name__ == "__main__":
    import sys

    for name in sys.argv[1:]:
        print(f"== {name}")
        print(check_file(name).summary())



def priority_inversions(records: Iterable[Mapping[str, Any]]) -> list[str]:
    """Assignments made while a more urgent item the same person could take (skill, on shift, room in
    their open effort instead of the item given) waited, held by nobody, past its SLA. Pages are left
    out: a page answers one item by design."""
    log = _Log(records)
    held: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    spans: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)  # person -> holdings
    resolved: dict[str, datetime] = {}
    for a in log.assignments:
        start = _t(a["assigned"])
        end = _t(a.get("released")) or _t(a.get("resolved")) or start + timedelta(days=3650)
        held[a["item"]].append((start, end))
        spans[a["person"]].append((start, end, a["urgency"]))
        if a.get("resolved"):
            resolved[a["item"]] = min(_t(a["resolved"]), resolved.get(a["item"], _t(a["resolved"])))
    rank = {u: n for n, u in enumerate(URGENCY_ORDER)}
    leaders = [r for r in log.arrivals.values() if r.get("incident") in (None, r["item"])]
    found = []
    for a in log.assignments:
        person, at = log.people.get(a["person"]), _t(a["assigned"])
        if a.get("via_page") or person is None or not _inside(log.shifts.get(person.id, []), at, at):
            continue
        for other in leaders:
            if rank[other["urgency"]] >= rank[a["urgency"]] or not person.can_take(other):
                continue
            arrived = _t(other["time"])
            if arrived + timedelta(minutes=float(log.rules["sla"][other["urgency"]])) >= at:
                continue  # not past its target yet
            if other["item"] in resolved and resolved[other["item"]] <= at:
                continue
            was_held = any(s <= at < e for s, e in held[other["item"]])
            if not was_held and _fits(log, spans, person.id, at, a, other):
                found.append(f"{a['item']} ({a['urgency']}) to {person.id} at {at:%m-%d %H:%M}Z while"
                             f" {other['item']} ({other['urgency']}, since {arrived:%H:%M}Z) waited")
    return found


def _fits(log: _Log, spans: Mapping[str, list[tuple[datetime, datetime, str]]], pid: str, at: datetime,
          given: Mapping[str, Any], other: Mapping[str, Any]) -> bool:
    """Would `other` fit in `pid`'s open effort at `at` instead of `given`?"""
    effort = log.rules.get("effort") or {}
    if not effort:
        return True
    open_effort = sum(float(effort[u]) for s, e, u in spans.get(pid, ()) if s <= at < e)
    room = float(log.rules["max_open_effort"]) - open_effort + float(effort[given["urgency"]])
    return float(effort[other["urgency"]]) <= room + 1e-9
