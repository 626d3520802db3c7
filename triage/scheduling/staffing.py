"""Staff, shifts, time off and staffing rules as leads manage them: validated, versioned, audited."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from triage.accounts import service as accounts
from triage.core.errors import NotFound
from triage.platform import tables as t
from triage.platform import tables_scheduling as ts
from triage.platform.audit import audit
from triage.scheduling import store as repo
from triage.scheduling.domain.errors import InvalidStaff, RuleConflict, SchedulingError
from triage.scheduling.domain.rules import (
    ShiftTemplate,
    StaffingRules,
    rules_as_dict,
    rules_from_dict,
    template_from_dict,
    validate_rules,
)
from triage.scheduling.domain.staff import MAX_CONTRACT_HOURS, Interval, check_timezone
from triage.scheduling.planning.scenario import DEFAULT_TEMPLATES

SKILL_KINDS = ("channels", "languages", "topics")
STAFF_FIELDS = ("name", "email", "team", "timezone", "skills", "contract_hours", "on_call", "active")


def _skills(raw: Any) -> dict[str, list[str]]:
    if raw is None:
        return {k: [] for k in SKILL_KINDS}
    if not isinstance(raw, Mapping) or set(raw) - set(SKILL_KINDS):
        raise InvalidStaff(f"skills must be an object with {', '.join(SKILL_KINDS)} lists")
    return {k: sorted({str(v).strip() for v in raw.get(k, ()) if str(v).strip()}) for k in SKILL_KINDS}


def _check(values: dict[str, Any], owner: str) -> dict[str, Any]:
    if "name" in values and not str(values["name"] or "").strip():
        raise InvalidStaff("name must not be empty")
    if "timezone" in values:
        check_timezone(str(values["timezone"]), owner=owner)
    if "contract_hours" in values and not 0 <= float(values["contract_hours"]) <= MAX_CONTRACT_HOURS:
        raise InvalidStaff(f"contract_hours of {owner} must be within 0..{MAX_CONTRACT_HOURS:g},"
                           f" got {values['contract_hours']:g}")
    if "skills" in values:
        values["skills"] = _skills(values["skills"])
    return values


def _link(session: Session, staff: t.Staff, username: str | None) -> None:
    if username is None:
        return
    user = accounts.find_user(session=session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r} to link to staff {staff.name!r}")
    user.staff_id = staff.id


def create_staff(*, session: Session, data: Mapping[str, Any], actor: str, now: datetime) -> t.Staff:
    """Add a staff member (optionally linked to a login by `username`); bad input names the field."""
    values = _check({k: data[k] for k in STAFF_FIELDS if k in data and data[k] is not None},
                    f"staff {data.get('name')!r}")
    if "name" not in values:
        raise InvalidStaff("name is required")
    values.setdefault("skills", _skills(None))
    row = t.Staff(**values)
    session.add(row)
    session.flush()
    _link(session, row, data.get("username"))
    audit(session=session, actor=actor, action="staff.create", entity="staff", entity_id=row.id,
          detail=dict(values.items()), now=now)
    return row


def update_staff(*, session: Session, staff_id: int, changes: Mapping[str, Any], actor: str,
                 now: datetime) -> t.Staff:
    """Change some fields of a staff member; unknown staff is NotFound."""
    row = repo.get_staff(session=session, staff_id=staff_id)
    values = _check({k: changes[k] for k in STAFF_FIELDS if k in changes and changes[k] is not None},
                    f"staff {row.name!r}")
    for key, value in values.items():
        setattr(row, key, value)
    _link(session, row, changes.get("username"))
    audit(session=session, actor=actor, action="staff.update", entity="staff", entity_id=row.id,
          detail=dict(values), now=now)
    return row


def _span(start: datetime, end: datetime) -> Interval:
    return Interval(start, end)  # raises InvalidStaff for naive or reversed times


def add_shift(*, session: Session, staff_id: int, start: datetime, end: datetime,
              kind: str = "regular") -> ts.Shift:
    """Add a shift; it may not overlap the person's other shifts of that kind or their time off."""
    person = repo.get_staff(session=session, staff_id=staff_id)
    if kind not in ts.SHIFT_KINDS:
        raise InvalidStaff(f"shift kind must be one of {', '.join(ts.SHIFT_KINDS)}")
    span = _span(start, end)
    for other in repo.shifts_between(session=session, start=start, end=end, staff_ids=[staff_id]):
        if other.kind == kind:
            raise InvalidStaff(f"{person.name} already has a {kind} shift"
                               f" {other.start:%Y-%m-%d %H:%M}..{other.end:%H:%M} overlapping this one")
    if kind == "regular":
        for away in repo.time_off_between(session=session, start=start, end=end, staff_ids=[staff_id]):
            raise InvalidStaff(f"{person.name} has time off {away.start:%Y-%m-%d}..{away.end:%Y-%m-%d}"
                               f" during this shift")
    row = ts.Shift(staff_id=staff_id, start=span.start, end=span.end, kind=kind)
    session.add(row)
    session.flush()
    return row


def add_time_off(*, session: Session, staff_id: int, start: datetime, end: datetime,
                 reason: str | None = None) -> ts.TimeOff:
    """Record time off; overlapping time off is an error, shifts inside it simply stop counting."""
    person = repo.get_staff(session=session, staff_id=staff_id)
    _span(start, end)
    for other in repo.time_off_between(session=session, start=start, end=end, staff_ids=[staff_id]):
        raise InvalidStaff(f"time off of {person.name} overlaps existing time off"
                           f" {other.start:%Y-%m-%d %H:%M}..{other.end:%Y-%m-%d %H:%M}")
    row = ts.TimeOff(staff_id=staff_id, start=start, end=end, reason=reason)
    session.add(row)
    session.flush()
    return row


def current_rule_set(*, session: Session) -> tuple[StaffingRules, list[ShiftTemplate], ts.RuleSet | None]:
    """The rules in force, the shift templates they were validated with, and their row."""
    row = repo.active_rule_set(session=session)
    if row is None:
        return StaffingRules(), [template_from_dict(x) for x in DEFAULT_TEMPLATES], None
    rules = rules_from_dict({**row.rules, "version": row.version})
    return rules, [template_from_dict(x) for x in (row.templates or DEFAULT_TEMPLATES)], row


def current_rules(*, session: Session) -> StaffingRules:
    """The rules in force (the defaults when a lead never set any): the one way to read them."""
    return current_rule_set(session=session)[0]


def _parse_rules(raw: Mapping[str, Any], base: StaffingRules) -> StaffingRules:
    merged = {**rules_as_dict(base), **{k: v for k, v in raw.items() if k != "version"}}
    try:
        return rules_from_dict(merged)
    except RuleConflict:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise RuleConflict([f"malformed rule value: {exc}"]) from None


def set_rules(*, session: Session, raw: Mapping[str, Any], actor: str, now: datetime,
              templates: list[Mapping[str, Any]] | None = None, note: str | None = None) -> ts.RuleSet:
    """Store a new rule version: rules not given keep their value; conflicts raise RuleConflict.

    Work already in hand is never touched: the router only applies the limits to new assignments.
    """
    base, current_templates, previous = current_rule_set(session=session)
    rules = _parse_rules(raw, base)
    try:
        shapes = [template_from_dict(x) for x in templates] if templates is not None else current_templates
    except (KeyError, TypeError, ValueError, SchedulingError) as exc:
        raise RuleConflict([f"malformed shift template: {exc}"]) from None
    validate_rules(rules, shapes)
    stored = {k: v for k, v in rules_as_dict(rules).items() if k != "version"}
    row = repo.save_rule_set(session=session, rules=stored, actor=actor, now=now, note=note,
                             templates=[{"name": s.name, "start": s.start.strftime("%H:%M"), "hours": s.hours,
                                         "local": s.local} for s in shapes])
    changed = {k: v for k, v in stored.items() if previous is None or previous.rules.get(k) != v}
    audit(session=session, actor=actor, action="rules.set", entity="staffing_rules",
          entity_id=row.version, detail={"changed": changed, "note": note}, now=now)
    return row


def staff_for_user(*, session: Session, user: t.User) -> list[t.Staff]:
    """What a caller may read: leads see everyone, an agent only their own staff record."""
    if user.role in ("lead", "admin"):
        return repo.list_staff(session=session, active_only=False)
    return [repo.get_staff(session=session, staff_id=user.staff_id)] if user.staff_id else []


def staff_public(row: t.Staff, login: str | None = None) -> dict[str, Any]:
    """A staff member as the API returns it."""
    return {"id": row.id, "name": row.name, "email": row.email, "team": row.team,
            "timezone": row.timezone, "skills": row.skills or _skills(None),
            "contract_hours": row.contract_hours, "on_call": row.on_call, "active": row.active,
            "login": login}
