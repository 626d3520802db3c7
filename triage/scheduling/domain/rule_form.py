"""The staffing rules as a form: one field per rule with help saying what it does, and back to a rule dict.

JSON stays the API's format (`rules_as_dict`); this module only maps form fields to and from it,
so the form and the API validate through the same `set_rules`.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import time
from typing import Any

from triage.core.scoring import URGENCIES

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
KINDS = ("number", "integer", "minutes", "hours", "time", "text", "longtext", "clock", "weekdays")


@dataclass(frozen=True, slots=True)
class RuleField:
    """One input: `key` is the rule's path in the rule dict ("sla.critical", "quiet_hours.0")."""

    key: str
    label: str
    kind: str
    help: str
    section: str

    @property
    def rule(self) -> str:
        """The top-level rule this field edits (what conflicts name)."""
        return self.key.split(".")[0]

    @property
    def unit(self) -> str:
        return {"minutes": "min", "hours": "h"}.get(self.kind, "")


def _per_urgency(rule: str, label: str, kind: str, help_: str, section: str) -> list[RuleField]:
    return [RuleField(f"{rule}.{u}", f"{label}: {u}", kind, help_.format(u=u), section) for u in URGENCIES]


WORK, HOURS, CALL, TARGETS = "Workload", "Hours and rest", "On call", "Service targets"
FIELDS: tuple[RuleField, ...] = (
    RuleField("max_open_effort", "Open effort cap", "number",
              "How much open work one person may hold at once, in effort points (below).", WORK),
    *_per_urgency("effort", "Effort", "number", "Effort points a {u} item weighs against the cap.", WORK),
    *_per_urgency("handling", "Handling time", "minutes",
                  "Expected time to handle a {u} item, charged to a person's hours when assigned.", WORK),
    RuleField("interruptions_per_hour", "Interruptions per hour", "integer",
              "New assignments one person receives per hour at most (room to think between pings).", WORK),
    RuleField("low_batch_size", "Low-urgency batch", "integer",
              "Low-urgency items are handed out this many at a time, not one ping each.", WORK),
    RuleField("low_batch_max_wait", "Low batch longest wait", "minutes",
              "... unless the oldest low item has waited this long.", WORK),
    RuleField("stale_after", "Untouched assignment returns after", "minutes",
              "An item assigned but not started for this long goes back to the pool.", WORK),
    RuleField("no_new_in_last", "No new work in the last", "minutes",
              "Minutes before a shift ends in which nothing new is assigned (time to finish).", WORK),
    RuleField("max_hours_per_day", "Hours per day", "number",
              "Handling hours a person may work in one day; no assignment goes past it.", HOURS),
    RuleField("max_hours_per_week", "Hours per week", "number",
              "Handling hours a person may work in one week (Monday to Sunday, team time).", HOURS),
    RuleField("min_rest", "Rest between shifts", "hours",
              "Shortest rest between two working days (EU directive: 11 h).", HOURS),
    RuleField("max_consecutive_days", "Consecutive days", "integer",
              "Working days in a row at most, counted in each person's own time zone.", HOURS),
    RuleField("max_nights_per_4_weeks", "Nights per 4 weeks", "integer",
              "Night shifts one person may be rostered in any four weeks.", HOURS),
    RuleField("max_weekend_shifts_per_4_weeks", "Weekend shifts per 4 weeks", "integer",
              "Weekend shifts one person may be rostered in any four weeks.", HOURS),
    RuleField("break_after", "Break due after", "hours",
              "Working time without a break after which nobody gets new work until they take one.", HOURS),
    RuleField("break_length", "Break length", "minutes",
              "How long a break lasts; a shorter one does not reset the rule above.", HOURS),
    RuleField("warn_fraction", "Warn leads at", "number",
              "Share of any hours or page limit (0 to 1) from which leads are warned; 0.9 = 90 %.", HOURS),
    RuleField("quiet_hours.0", "Quiet hours start", "time",
              "From this time (team time) only critical items may page the on-call person.", CALL),
    RuleField("quiet_hours.1", "Quiet hours end", "time", "... until this time.", CALL),
    RuleField("pages_per_night", "Pages per night", "integer",
              "Times one on-call person may be woken in one night.", CALL),
    RuleField("pages_per_week", "Pages per week", "integer",
              "Times one person may be paged in one week; past it the item is a coverage gap.", CALL),
    RuleField("team_timezone", "Team time zone", "text",
              "The zone of business hours, days and weeks (e.g. Europe/Paris).", TARGETS),
    RuleField("business_hours.start", "Business hours start", "time",
              "When the business-hours answer clock starts, team time.", TARGETS),
    RuleField("business_hours.end", "Business hours end", "time", "When it stops.", TARGETS),
    RuleField("business_hours.weekdays", "Business days", "weekdays",
              "Days on which business hours apply.", TARGETS),
    *_per_urgency("sla", "Answer target", "minutes", "Time to the first answer for a {u} item.", TARGETS),
    *_per_urgency("sla_clock", "Target clock", "clock",
                  "Whether the {u} target runs around the clock (24x7) or in business hours only.",
                  TARGETS),
    RuleField("holding_reply", "Holding reply", "longtext",
              "Sent once per thread to messages arriving out of hours (not low or spam); empty = off.",
              TARGETS),
)
SECTIONS = (WORK, HOURS, CALL, TARGETS)
CLOCKS = ("24x7", "business")


def _get(raw: Mapping[str, Any], key: str) -> Any:
    value: Any = raw
    for part in key.split("."):
        value = value[int(part)] if isinstance(value, list) else value.get(part)
    return value


def _set(raw: dict[str, Any], key: str, value: Any) -> None:
    *path, last = key.split(".")
    target: Any = raw
    for part in path:
        target = target[part]
    if isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value


def display_values(rules: Mapping[str, Any]) -> dict[str, Any]:
    """Each field's value as the form shows it, from a rule dict (durations in minutes)."""
    out: dict[str, Any] = {}
    for f in FIELDS:
        value = _get(rules, f.key)
        if f.kind == "hours":
            value = f"{float(value) / 60:g}"
        elif f.kind in ("number", "integer", "minutes"):
            value = f"{float(value):g}"
        elif f.kind == "weekdays":
            value = sorted(int(d) for d in value)
        out[f.key] = "" if value is None else value
    return out


def typed_values(values: Mapping[str, Sequence[str]], current: Mapping[str, Any]) -> dict[str, Any]:
    """What the form shows again after a refusal: what was typed, else the value in force."""
    shown = display_values(current)
    for f in FIELDS:
        if f.key in values:
            typed = values[f.key]
            shown[f.key] = sorted(int(d) for d in typed if d.isdigit()) if f.kind == "weekdays" else (
                typed[0] if typed else "")
    return shown


def _convert(f: RuleField, values: Sequence[str]) -> Any:
    text = values[0].strip() if values else ""
    if f.kind == "weekdays":
        days = sorted({int(v) for v in values if v.isdigit() and 0 <= int(v) < 7})
        if not days:
            raise ValueError("choose at least one day")
        return days
    if f.kind in ("text", "longtext"):
        return text if f.kind == "longtext" else _required(text)
    if f.kind == "clock":
        if text not in CLOCKS:
            raise ValueError(f"choose {' or '.join(CLOCKS)}")
        return text
    if f.kind == "time":
        try:
            return time.fromisoformat(_required(text)).strftime("%H:%M")
        except ValueError:
            raise ValueError("a time as HH:MM, e.g. 09:00") from None
    try:
        number = float(_required(text))
    except ValueError:
        raise ValueError("must be a number") from None
    if f.kind == "integer":
        if number != int(number):
            raise ValueError("must be a whole number")
        return int(number)
    return number * 60 if f.kind == "hours" else number


def _required(text: str) -> str:
    if not text:
        raise ValueError("required")
    return text


def parse_form(values: Mapping[str, Sequence[str]], current: Mapping[str, Any]) -> tuple[dict[str, Any],
                                                                                      dict[str, str]]:
    """A rule dict from the form's fields over `current`, and each field's input error by key.

    A field missing from the form keeps its value; the form sends an empty marker with the weekday
    boxes, so unticking them all is an error rather than "unchanged".
    """
    raw = copy.deepcopy(dict(current))
    raw.pop("version", None)
    errors: dict[str, str] = {}
    for f in FIELDS:
        if f.key not in values:
            continue
        try:
            _set(raw, f.key, _convert(f, values.get(f.key, ())))
        except ValueError as exc:
            errors[f.key] = str(exc)
    return raw, errors


_NAMES = sorted({f.rule for f in FIELDS}, key=len, reverse=True)
_NAMED = re.compile(r"\b(" + "|".join(map(re.escape, _NAMES)) + r")\b")


def conflicts_by_field(conflicts: Sequence[str]) -> tuple[dict[str, list[str]], list[str]]:
    """Conflicts under the first field each names (its first key in the form); the rest stay general."""
    first_key = {}
    for f in FIELDS:
        first_key.setdefault(f.rule, f.key)
    placed: dict[str, list[str]] = {}
    general: list[str] = []
    for text in conflicts:
        match = _NAMED.search(text)
        if match:
            placed.setdefault(first_key[match.group(1)], []).append(text)
        else:
            general.append(text)
    return placed, general
