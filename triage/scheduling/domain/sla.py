"""SLA clocks: a 24x7 clock counts all time, a business clock only the team's business hours."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from triage.scheduling.domain.rules import StaffingRules

MAX_DAYS_SCANNED = 400  # a business clock with no open days at all must still terminate


def business_windows(start: datetime, rules: StaffingRules):
    """Business-hour windows (UTC) from the local day containing `start` onwards."""
    zone = ZoneInfo(rules.team_timezone)
    hours = rules.business_hours
    day = start.astimezone(zone).date()
    for offset in range(MAX_DAYS_SCANNED):
        current = day + timedelta(days=offset)
        if current.weekday() not in hours.weekdays:
            continue
        open_at = datetime.combine(current, hours.start, zone).astimezone(UTC)
        close_at = datetime.combine(current, hours.end, zone).astimezone(UTC)
        if close_at > open_at:
            yield open_at, close_at


def business_elapsed(start: datetime, end: datetime, rules: StaffingRules) -> timedelta:
    """Business time between `start` and `end`."""
    total = timedelta(0)
    if end <= start:
        return total
    for open_at, close_at in business_windows(start, rules):
        if open_at >= end:
            break
        total += max(timedelta(0), min(close_at, end) - max(open_at, start))
    return total


def sla_deadline(*, received_at: datetime, urgency: str, rules: StaffingRules) -> datetime:
    """When an item of `urgency` received at `received_at` must be answered."""
    target = rules.sla[urgency]
    if rules.sla_clock.get(urgency, "24x7") != "business":
        return received_at + target
    left = target
    for open_at, close_at in business_windows(received_at, rules):
        begin = max(open_at, received_at)
        if close_at <= begin:
            continue
        if begin + left <= close_at:
            return begin + left
        left -= close_at - begin
    return received_at + target + timedelta(days=MAX_DAYS_SCANNED)


def within_sla(*, received_at: datetime, answered_at: datetime, urgency: str,
               rules: StaffingRules) -> bool:
    """True when the first answer came by the SLA deadline of its urgency."""
    return answered_at <= sla_deadline(received_at=received_at, urgency=urgency, rules=rules)


def in_window(moment: datetime, start: time, end: time, zone: str) -> bool:
    """Whether local time at `moment` falls in [start, end), a window that may cross midnight."""
    local = moment.astimezone(ZoneInfo(zone)).time()
    return start <= local < end if start <= end else (local >= start or local < end)


def is_quiet(moment: datetime, rules: StaffingRules) -> bool:
    """True inside the team's quiet hours, when only critical items may page anyone."""
    return in_window(moment, rules.quiet_hours[0], rules.quiet_hours[1], rules.team_timezone)


def business_open(moment: datetime, rules: StaffingRules) -> bool:
    """True while the business-hours clock runs: outside it, customers get a holding reply."""
    return business_elapsed(moment, moment + timedelta(minutes=1), rules) > timedelta(0)


def defer_until(moment: datetime, rules: StaffingRules) -> datetime | None:
    """When a reply written at `moment` in quiet hours should be sent (quiet hours' end), else None."""
    if not is_quiet(moment, rules):
        return None
    zone = ZoneInfo(rules.team_timezone)
    local = moment.astimezone(zone)
    end = datetime.combine(local.date(), rules.quiet_hours[1], zone)
    if end <= local:
        end = datetime.combine(local.date() + timedelta(days=1), rules.quiet_hours[1], zone)
    return end.astimezone(UTC)
