"""Team figures read from a replay's event log: relationship continuity and the hours no one can cover."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

HOUR = timedelta(hours=1)


def continuity(records: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """(follow-ups handled by whoever handled the author's previous item, follow-ups handled)."""
    authors: dict[str, str] = {}
    arrived: dict[str, str] = {}
    handler: dict[str, str] = {}
    for r in records:
        if r["type"] == "arrival" and (r.get("incident") in (None, r["item"])):
            authors[r["item"]], arrived[r["item"]] = r.get("author") or "", r["time"]
        elif r["type"] == "assignment" and r.get("started") and r["item"] not in handler:
            handler[r["item"]] = r["person"]
    by_author: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for item, person in handler.items():
        if authors.get(item):
            by_author[authors[item]].append((arrived[item], person))
    same = total = 0
    for handled in by_author.values():
        handled.sort()
        for (_, before), (_, now) in zip(handled, handled[1:], strict=False):
            total += 1
            same += before == now
    return same, total


def gap_hours_by_skill(records: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Per language and channel the traffic needs: hours of the run with no one holding it on shift
    or on call."""
    records = list(records)
    run = next(r for r in records if r["type"] == "run")
    start, end = datetime.fromisoformat(run["start"]), datetime.fromisoformat(run["end"])
    skills_of = {r["person"]: set(r.get("languages", ())) | set(r.get("channels", ()))
                 for r in records if r["type"] == "person"}
    needed = {r["language"] for r in records if r["type"] == "arrival"}
    needed |= {r["channel"] for r in records if r["type"] == "arrival" and r.get("channel")}
    spans: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
    for r in records:
        if r["type"] in ("shift", "on_call"):
            s, e = max(start, datetime.fromisoformat(r["start"])), min(end, datetime.fromisoformat(r["end"]))
            for skill in skills_of.get(r["person"], ()):
                if s < e:
                    spans[skill].append((s, e))
    out = {}
    for skill in sorted(needed):
        covered, reach = timedelta(0), start
        for s, e in sorted(spans.get(skill, ())):
            if e > reach:
                covered += e - max(s, reach)
                reach = e
        out[skill] = round(((end - start) - covered) / HOUR, 1)
    return out


def utilisation(rostered: Mapping[str, float], busy: Mapping[str, float]) -> dict[str, float]:
    """Per person: share of rostered minutes spent on items while work they could take was waiting."""
    return {pid: busy.get(pid, 0.0) / minutes for pid, minutes in sorted(rostered.items()) if minutes > 0}
