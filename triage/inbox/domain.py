"""Inbox item states and the moves a manager can make on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from triage.core.errors import Conflict, Invalid

STATUSES = ("open", "claimed", "snoozed", "resolved")
MAX_SNOOZE = timedelta(days=14)  # longer than that is not a snooze, it is forgetting


@dataclass(frozen=True, slots=True)
class ItemState:
    status: str
    assignee_id: int | None
    snoozed_until: datetime | None = None


def effective_status(state: ItemState, now: datetime) -> str:
    """A snooze that has run out counts as open again, with no job needed to wake it."""
    if state.status == "snoozed" and state.snoozed_until and state.snoozed_until <= now:
        return "open"
    return state.status


def claim(state: ItemState, *, user_id: int, now: datetime, override: bool = False) -> ItemState:
    """Take an item; taking one someone else holds needs a lead's override."""
    status = effective_status(state, now)
    if status == "resolved":
        raise Conflict("item is already resolved")
    if status == "claimed" and state.assignee_id not in (None, user_id) and not override:
        raise Conflict("item is claimed by someone else; a lead can reassign it")
    return ItemState("claimed", user_id)


def release(state: ItemState, *, user_id: int, override: bool = False) -> ItemState:
    if state.status != "claimed":
        raise Conflict(f"item is {state.status}, not claimed")
    if state.assignee_id != user_id and not override:
        raise Conflict("only the holder or a lead can release an item")
    return ItemState("open", None)


def resolve(state: ItemState, *, user_id: int, now: datetime, override: bool = False) -> ItemState:
    status = effective_status(state, now)
    if status == "resolved":
        raise Conflict("item is already resolved")
    # Held covers both a claim and the router's assignment not yet started (status still open).
    if state.assignee_id not in (None, user_id) and not override:
        raise Conflict("item is held by someone else; they or a lead can resolve it")
    return ItemState("resolved", state.assignee_id or user_id)


def assign(state: ItemState, *, assignee_id: int, now: datetime) -> ItemState:
    """A lead gives an item to someone: theirs to start (it stays open until they claim it)."""
    status = effective_status(state, now)
    if status == "resolved":
        raise Conflict("item is already resolved")
    if status == "claimed" and state.assignee_id == assignee_id:
        return state  # already theirs and started
    return ItemState("open", assignee_id)


def held_by_other(state: ItemState, user_id: int) -> bool:
    """Someone else holds the item: a claim, or the router's assignment not yet started."""
    return state.assignee_id not in (None, user_id)


def check_holder(state: ItemState, *, user_id: int, verb: str, override: bool = False) -> None:
    """Only the holder, anyone while nobody holds it, or a lead (override) may change an item."""
    if held_by_other(state, user_id) and not override:
        raise Conflict(f"item is held by someone else; they or a lead can {verb} it")


def snooze(state: ItemState, *, until: datetime, now: datetime, user_id: int | None = None,
           override: bool = False) -> ItemState:
    """Put an item aside until a time; an item someone else holds only by them or a lead."""
    if effective_status(state, now) == "resolved":
        raise Conflict("a resolved item cannot be snoozed")
    if user_id is not None:
        check_holder(state, user_id=user_id, verb="snooze", override=override)
    if until <= now:
        raise Invalid("snooze time must be in the future")
    if until - now > MAX_SNOOZE:
        raise Invalid(f"snooze at most {MAX_SNOOZE.days} days")
    return ItemState("snoozed", state.assignee_id, until)


SENTIMENT_VALUE = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}
TREND_STEP = 0.5  # a half-step on the -1..1 scale between older and recent messages is a change


def sentiment_trend(sentiments: list[str | None]) -> dict[str, str]:
    """Whether a person's mood is improving, steady or worsening, oldest message first, with why."""
    values = [SENTIMENT_VALUE[s] for s in sentiments if s in SENTIMENT_VALUE]
    if len(values) < 2:
        return {"direction": "unknown", "reason": f"{len(values)} scored message(s): too few to tell"}
    half = len(values) // 2
    older, recent = values[:half], values[half:]
    delta = sum(recent) / len(recent) - sum(older) / len(older)
    direction = "improving" if delta >= TREND_STEP else "worsening" if delta <= -TREND_STEP else "steady"
    return {"direction": direction,
            "reason": f"recent {len(recent)} messages average {sum(recent) / len(recent):+.1f}, "
                      f"the {len(older)} before {sum(older) / len(older):+.1f}"}
