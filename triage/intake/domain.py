"""When a polled source is due, and how it backs off: pure policy, time passed in."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal

DEFAULT_INTERVAL = timedelta(seconds=60)  # most platforms' read limits allow a minute per account
MIN_INTERVAL = timedelta(seconds=1)
BACKOFF_CAP = timedelta(hours=1)  # a broken source is still tried hourly, so a fix shows up by itself
MAX_ERROR_CHARS = 500  # what the status page shows of an error

ErrorKind = Literal["rate_limited", "transient", "auth_expired", "error"]
# The status a source shows after each kind of failure.
STATUS_FOR: dict[str, str] = {"rate_limited": "rate_limited", "transient": "retrying",
                              "auth_expired": "auth_expired", "error": "error"}
STATUSES = ("new", "ok", "backlog", "rate_limited", "retrying", "error", "auth_expired")


@dataclass(frozen=True, slots=True)
class PollState:
    """A source's schedule and health between polls, as the sources table keeps it."""

    status: str = "new"
    next_poll_at: datetime | None = None  # None: not scheduled (never polled, or waiting for a person)
    failures: int = 0  # consecutive failed polls
    last_ok_at: datetime | None = None
    last_polled_at: datetime | None = None
    last_error: str | None = None
    taken: int = 0  # new messages taken over the source's life


def interval_from(options: dict[str, object]) -> timedelta:
    """The source's `interval` option (seconds), else the default; never below one second."""
    raw = options.get("interval")
    if raw is None:
        return DEFAULT_INTERVAL
    try:
        seconds = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"interval must be a number of seconds, not {raw!r}") from None
    return max(MIN_INTERVAL, timedelta(seconds=seconds))


def is_due(state: PollState, now: datetime, *, credentials_changed: bool = False) -> bool:
    """True when the scheduler should poll now.

    An expired login is never retried blindly: only new credentials (or a person's "poll now")
    bring the source back.
    """
    if state.status == "auth_expired":
        return credentials_changed
    if state.status == "new" or state.next_poll_at is None:
        return True
    return state.next_poll_at <= now


def backoff(failures: int, *, interval: timedelta, retry_after: float | None = None) -> timedelta:
    """Wait after the n-th consecutive failure: interval doubled each time, capped, never below
    what the platform asked for (Retry-After)."""
    exponent = max(0, failures - 1)
    grown = interval * (2 ** min(exponent, 20))  # 2**20 intervals is far past the cap already
    wait = min(BACKOFF_CAP, grown)
    if retry_after is not None:
        wait = max(wait, timedelta(seconds=retry_after))
    return wait


def after_success(state: PollState, *, now: datetime, interval: timedelta, taken: int,
                  backlog: bool = False, retry_after: float | None = None) -> PollState:
    """The state after a poll that worked; a backlog is due again at once."""
    if backlog:
        next_at = now
    elif retry_after is not None:  # the platform's own pace, never faster than ours
        next_at = now + max(interval, timedelta(seconds=retry_after))
    else:
        next_at = now + interval
    return replace(state, status="backlog" if backlog else "ok", next_poll_at=next_at, failures=0,
                   last_ok_at=now, last_polled_at=now, last_error=None, taken=state.taken + taken)


def after_failure(state: PollState, *, now: datetime, interval: timedelta, kind: ErrorKind,
                  error: str, retry_after: float | None = None) -> PollState:
    """The state after a failed poll: backoff, or no schedule at all for an expired login."""
    failures = state.failures + 1
    next_at = None if kind == "auth_expired" else now + backoff(
        failures, interval=interval, retry_after=retry_after)
    return replace(state, status=STATUS_FOR[kind], next_poll_at=next_at, failures=failures,
                   last_polled_at=now, last_error=error[:MAX_ERROR_CHARS])


def describe(state: PollState, now: datetime) -> str:
    """One line for people: what the source is doing and when it polls next."""
    if state.status == "auth_expired":
        return "login expired or revoked: fix the credentials, then poll now"
    if state.next_poll_at is None:
        return "polls on the next tick"
    wait = (state.next_poll_at - now).total_seconds()
    when = "now" if wait <= 0 else f"in {_span(wait)}"
    if state.status in ("rate_limited", "retrying", "error"):
        return f"{state.failures} failed poll(s) in a row; next try {when}"
    return f"next poll {when}"


def _span(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
