"""Reply rules that need no I/O: channel length limits, when to send, back-off, holding replies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from triage.core.errors import Invalid
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.sla import business_open, business_windows

KINDS = ("reply", "holding")
STATUSES = ("queued", "deferred", "sending", "sent", "failed", "dead")
RETRYABLE_BY_HAND = ("failed", "dead")

# What each platform accepts, in characters; a longer reply is refused before it is queued.
CHANNEL_LIMITS: dict[str, int | None] = {
    "x": 280,  # weighted: URLs count 23, CJK and emoji 2 (twitter-text config v3, replies/lengths.py)
    "mastodon": 500,  # the default instance limit, mention included
    "linkedin": 1250,  # a comment
    "meta": 8000,  # a Facebook comment; Instagram and Messenger are narrower (META_LIMITS)
    "discourse": 32_000,  # Discourse's default max_post_length; a source may set its own
    "slack": 40_000,  # chat.postMessage truncates beyond this
    "imap": None,  # e-mail has no limit
    "reddit": 10_000,  # a comment's documented maximum
    "youtube": 10_000,  # comments.insert refuses longer text
}
META_LIMITS = {"instagram": 2200, "instagram-dm": 1000, "messenger": 2000}
DEFAULT_LIMIT = 10_000  # channels without a documented limit (generic webhooks, demo sources)
URGENT = ("critical", "high")  # their replies go out at once, never held for business hours

# Back-off after a temporary failure (rate limit, 5xx, timeout); a platform's Retry-After wins
# when it asks for longer. Eight tries span about eight hours, then the row is `dead`.
RETRY_DELAYS = (timedelta(seconds=15), timedelta(minutes=1), timedelta(minutes=5),
                timedelta(minutes=15), timedelta(hours=1), timedelta(hours=2), timedelta(hours=4))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


# Time between two posts to one account when many go at once (an incident's reply to every
# thread), from each platform's published write limits; the outbox's retry handles a 429 anyway.
SEND_SPACING = {
    "x": timedelta(seconds=9),  # POST /2/tweets: 100 per 15 min per user
    "mastodon": timedelta(seconds=36),  # default instance limit: 300 statuses per 3 h
    "meta": timedelta(seconds=2), "linkedin": timedelta(seconds=2),  # app-level hourly budgets
    "slack": timedelta(seconds=1),  # chat.postMessage: about one per second per channel
    "discourse": timedelta(seconds=1), "reddit": timedelta(seconds=1),  # 60-100 requests/min
    "youtube": timedelta(seconds=1),  # comments.insert spends 50 of 10,000 daily quota units
}


def paced(*, channel: str, position: int, now: datetime) -> datetime | None:
    """When the `position`-th (0-based) of many replies through one account may leave."""
    spacing = SEND_SPACING.get(channel)
    if not spacing or position <= 0:
        return None
    return now + spacing * position


def limit_for(channel: str, *, variant: str | None = None,
              configured: int | None = None) -> int | None:
    """The most a reply on `channel` may hold (None: no limit); a source's own setting wins."""
    if configured:
        return configured
    if channel == "meta" and variant in META_LIMITS:
        return META_LIMITS[variant]
    return CHANNEL_LIMITS.get(channel, DEFAULT_LIMIT)


def check_text(text: str, *, channel: str, prefix: str = "", limit: int | None | bool = True,
               length: Callable[[str], int] = len) -> str:
    """The reply without surrounding blanks, or Invalid saying why the channel would refuse it.

    `limit` True means the channel's default; `length` measures as the platform does (X weighs).
    """
    body = text.strip()
    if not body:
        raise Invalid("a reply needs some text")
    if limit is True:
        limit = limit_for(channel)
    if limit is None or limit is False:
        return body
    size = length(prefix + body)
    if size > limit:
        mention = f" including the mention {prefix.strip()}" if prefix else ""
        raise Invalid(f"{channel} replies are limited to {limit:,} characters; this one has"
                      f" {size:,}{mention}: shorten it by {size - limit:,}")
    return body


def check_defer(*, defer: bool, urgency: str | None) -> None:
    """Holding a reply until business hours is for low and normal items only."""
    if defer and urgency in URGENT:
        raise Invalid(f"{urgency} replies go out at once; holding until business hours is for"
                      " low and normal items only")


def next_business_start(moment: datetime, rules: StaffingRules) -> datetime:
    """`moment` itself during business hours, else when business hours next open."""
    if business_open(moment, rules):
        return moment
    # No business day configured: holding a reply back would mean never, so it goes now.
    return next((open_at for open_at, _ in business_windows(moment, rules) if open_at > moment),
                moment)


def suggest_morning(moment: datetime, rules: StaffingRules) -> bool:
    """Outside business hours the reply form proposes "send in the morning" by default."""
    return not business_open(moment, rules)


def retry_at(*, attempts: int, now: datetime, retry_after: float | None = None) -> datetime | None:
    """When to try again after `attempts` tries ended in a temporary error; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    delay = RETRY_DELAYS[min(max(attempts, 1), len(RETRY_DELAYS)) - 1]
    if retry_after and retry_after > 0:
        delay = max(delay, timedelta(seconds=retry_after))
    return now + delay


def wants_holding(*, template: str, received_at: datetime, urgency: str | None,
                  intent: str | None, rules: StaffingRules) -> bool:
    """A holding reply goes to real messages that arrive while nobody is at work, if one is set."""
    if not template.strip() or urgency in (None, "low") or intent == "spam":
        return False
    return not business_open(received_at, rules)


def when_label(moment: datetime, *, now: datetime, zone: str) -> str:
    """'09:00' today, 'Mon 09:00' on another day, in the team's time zone."""
    local, today = moment.astimezone(ZoneInfo(zone)), now.astimezone(ZoneInfo(zone))
    return local.strftime("%H:%M") if local.date() == today.date() else local.strftime("%a %H:%M")


def status_label(*, status: str, dry_run: bool, send_after: datetime | None,
                 next_attempt_at: datetime | None, last_error: str | None, attempts: int,
                 now: datetime, zone: str) -> str:
    """How a reply's state reads in the inbox: 'deferred until 09:00', 'failed: token revoked'."""
    if status == "sent":
        return "sent (dry run)" if dry_run else "sent"
    if status == "deferred" and send_after:
        return f"deferred until {when_label(send_after, now=now, zone=zone)}"
    if status == "queued" and next_attempt_at and next_attempt_at > now:
        at = when_label(next_attempt_at, now=now, zone=zone)
        return f"retrying at {at} after: {last_error or 'an error'}"
    if status == "failed":
        return f"failed: {last_error or 'unknown reason'}"
    if status == "dead":
        return f"gave up after {attempts} attempts: {last_error or 'unknown reason'}"
    return status
