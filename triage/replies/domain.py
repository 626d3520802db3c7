"""Reply rules that need no I/O: channel length limits, when to send, back-off, holding replies."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from triage.core.errors import Invalid
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.sla import business_open, business_windows

KINDS = ("reply", "holding")
STATUSES = ("queued", "deferred", "sending", "sent", "failed", "dead")
RETRYABLE_BY_HAND = ("failed", "dead")

# What each platform accepts, in characters; a longer reply is refused before it is queued.
CHANNEL_LIMITS = {
    "x": 280,  # one post (X weighs URLs and CJK differently; this is the plain-text bound)
    "mastodon": 500,  # the default instance limit, mention included
    "linkedin": 1250,  # a comment
    "meta": 2000,  # Messenger's limit; FB comments allow 8000 and IG 2200, so 2000 fits all three
    "discourse": 32_000,  # Discourse's default max_post_length
    "slack": 40_000,  # chat.postMessage truncates beyond this
    "imap": 100_000,  # e-mail has no hard limit; past this it is a paste accident
    "reddit": 10_000,  # a comment's documented maximum
    "youtube": 10_000,  # comments.insert refuses longer text
}
DEFAULT_LIMIT = 10_000  # channels without a documented limit (generic webhooks, demo sources)

# Back-off after a temporary failure (rate limit, 5xx, timeout); a platform's Retry-After wins
# when it asks for longer. Eight tries span about eight hours, then the row is `dead`.
RETRY_DELAYS = (timedelta(seconds=15), timedelta(minutes=1), timedelta(minutes=5),
                timedelta(minutes=15), timedelta(hours=1), timedelta(hours=2), timedelta(hours=4))
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def check_text(text: str, *, channel: str, prefix: str = "") -> str:
    """The reply without surrounding blanks, or Invalid saying why the channel would refuse it."""
    body = text.strip()
    if not body:
        raise Invalid("a reply needs some text")
    limit = CHANNEL_LIMITS.get(channel, DEFAULT_LIMIT)
    size = len(prefix) + len(body)
    if size > limit:
        mention = f" including the mention {prefix.strip()}" if prefix else ""
        raise Invalid(f"{channel} replies are limited to {limit:,} characters; this one has"
                      f" {size:,}{mention}: shorten it by {size - limit:,}")
    return body


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
