"""Errors of the scheduling domain; each names the offending field so a lead can fix it."""

from __future__ import annotations


class SchedulingError(ValueError):
    """Base of every scheduling error; a ValueError so API edges can map it to 422."""


class InvalidStaff(SchedulingError):
    """A staff record is malformed: time zone typo, overlapping time off, bad hours."""


class UnknownStaff(SchedulingError):
    """An id refers to nobody on the staff list."""

    def __init__(self, staff_id: str) -> None:
        super().__init__(f"unknown staff id {staff_id!r}")
        self.staff_id = staff_id


class RuleConflict(SchedulingError):
    """A rule set cannot be satisfied; `conflicts` lists each clash naming the rules involved."""

    def __init__(self, conflicts: list[str]) -> None:
        super().__init__("staffing rules cannot be satisfied: " + "; ".join(conflicts))
        self.conflicts = list(conflicts)
