"""The poller contract: poll(cursor, http, now) -> PollResult, and the errors a scheduler acts on."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Literal

import httpx
from pydantic import ValidationError

from triage.core.message import Message
from triage.intake.connectors.base import (
    Channel,
    ChannelError,
    ParseResult,
    PayloadError,
    Skipped,
    excerpt,
)

SEEN_IDS_KEPT = 1000  # ids remembered per account: more than any overlap between two polls
DEFAULT_RETRY_AFTER = 60.0  # seconds, when a 429 or 5xx gives no Retry-After
MAX_PAGES_PER_POLL = 20  # one poll stays short; a backlog is finished by the following polls
# What a malformed entry raises while we read it: each skips that entry only, never the poll.
ENTRY_ERRORS = (ChannelError, ValidationError, KeyError, TypeError, ValueError, AttributeError,
                IndexError, OverflowError, RecursionError)


@dataclass(frozen=True, slots=True)
class PollResult:
    """What one poll took, the cursor to save for next time, and when to come back."""

    messages: list[Message] = field(default_factory=list)
    cursor: dict[str, Any] = field(default_factory=dict)
    retry_after: float | None = None
    status: str = "ok"  # "ok", or "backlog" when a page cap left more to fetch right away
    skipped: list[Skipped] = field(default_factory=list)
    ignored: int = 0  # deleted, removed, empty, automated or our own: left out on purpose


@dataclass
class Entries:
    """Collects the entries of one poll or delivery: a bad one is skipped with its reason, the
    rest go on."""

    messages: list[Message] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    ignored: int = 0

    def take(self, entry_id: Any, build: Callable[[], Message | None], entry: Any) -> Message | None:
        """Build one message; None (left out on purpose) is counted, an error is skipped."""
        try:
            message = build()
        except ENTRY_ERRORS as exc:
            self.skip(entry_id, exc, entry)
            return None
        if message is None:
            self.ignored += 1
        else:
            self.messages.append(message)
        return message

    def skip(self, entry_id: Any, exc: BaseException, entry: Any) -> None:
        """Quarantine one unreadable entry with its reason (naming the field when known)."""
        reason = f"{type(exc).__name__}: {exc}"
        field_name = getattr(exc, "field", None) if isinstance(exc, PayloadError) else None
        if field_name and field_name not in reason:
            reason += f" (field {field_name})"
        self.skipped.append(Skipped(str(entry_id or "?")[:256], reason[:500], excerpt(entry)))

    def parsed(self) -> ParseResult:
        """These entries as one webhook delivery's ParseResult."""
        return ParseResult(messages=self.messages, ignored=self.ignored, skipped=self.skipped)

    def result(self, *, cursor: dict[str, Any], backlog: bool = False) -> PollResult:
        """The PollResult of these entries; `backlog` asks to poll again right away."""
        if backlog:
            return PollResult(messages=self.messages, cursor=cursor, retry_after=0.0,
                              status="backlog", skipped=self.skipped, ignored=self.ignored)
        return PollResult(messages=self.messages, cursor=cursor, skipped=self.skipped,
                          ignored=self.ignored)


class PollError(ChannelError):
    """A poll failed; the saved cursor is unchanged so nothing is lost or taken twice."""


class RateLimited(PollError):
    """The platform said 429: wait retry_after seconds before polling this account again."""

    def __init__(self, retry_after: float, message: str = "rate limited"):
        super().__init__(f"{message}; retry after {retry_after:.0f}s")
        self.retry_after = retry_after


class AuthExpired(PollError):
    """Token expired or access revoked: show it on the source's status, don't retry blindly."""


class TransientError(PollError):
    """5xx, timeout or connection error: retry later with backoff."""

    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Poller(Channel):
    """A channel we fetch from on a schedule, one account (cursor) at a time."""

    kind: ClassVar[Literal["webhook", "poller"]] = "poller"

    def poll(self, *, cursor: dict | None, http: httpx.Client, now: datetime) -> PollResult:
        """Fetch what is new since `cursor`; raise RateLimited, AuthExpired or TransientError."""
        raise NotImplementedError


def retry_after_seconds(response: httpx.Response, now: datetime) -> float:
    """Retry-After as seconds (delta or HTTP date), else the platform's reset header, else 60."""
    raw = response.headers.get("Retry-After")
    if raw:
        try:
            return max(0.0, float(raw))
        except ValueError:
            try:
                return max(0.0, (parsedate_to_datetime(raw) - now).total_seconds())
            except (TypeError, ValueError):
                pass
    reset = response.headers.get("x-ratelimit-reset")  # Reddit: seconds until the window resets
    if reset:
        try:
            return max(0.0, float(reset))
        except ValueError:
            pass
    return DEFAULT_RETRY_AFTER


def get_json(http: httpx.Client, url: str, *, now: datetime, **kwargs: Any) -> httpx.Response:
    """GET and map the platform's answer to our errors; returns the 2xx response."""
    return send(http, "GET", url, now=now, **kwargs)


def send(http: httpx.Client, method: str, url: str, *, now: datetime,
         **kwargs: Any) -> httpx.Response:
    """Any request, with 429 -> RateLimited, 401/403 -> AuthExpired, 5xx/network -> Transient."""
    try:
        response = http.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise TransientError(f"{method} {url} timed out") from exc
    except httpx.TransportError as exc:
        raise TransientError(f"{method} {url} failed: {exc}") from exc
    return check(response, now=now)


def check(response: httpx.Response, *, now: datetime) -> httpx.Response:
    """Return a 2xx/3xx response, or raise the typed error its status means."""
    status = response.status_code
    where = f"{response.request.method} {response.request.url.copy_with(query=None)}"
    if status == 429:
        raise RateLimited(retry_after_seconds(response, now))
    if status in (401, 403):
        raise AuthExpired(f"{where} answered {status}: {response.text[:200]}")
    if status >= 500 or status == 408:
        retry = retry_after_seconds(response, now) if "Retry-After" in response.headers else None
        raise TransientError(f"{where} answered {status}", retry_after=retry)
    if status >= 400:
        raise PollError(f"{where} answered {status}: {response.text[:200]}")
    return response


def remember(seen: list[str], new_ids: list[str], limit: int = SEEN_IDS_KEPT) -> list[str]:
    """The seen-id list to save: newest last, bounded so the cursor stays small."""
    fresh = set(new_ids)
    merged = [i for i in seen if i not in fresh] + new_ids
    return merged[-limit:]
