"""Timestamps a platform claims, checked against when we received them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from triage.core.message import TIME_FLAG_KEY

FUTURE_TOLERANCE = timedelta(days=1)  # clock skew and time zones; more is a wrong or forged date
# Nothing on a channel can predate the channel itself. Conservative: the company's founding or
# first internal use, not the public launch (Slack's own docs show a 2012 message; the web: 1991).
PLATFORM_START = {
    "email": datetime(1971, 1, 1, tzinfo=UTC), "rss": datetime(1991, 1, 1, tzinfo=UTC),
    "meta": datetime(2004, 1, 1, tzinfo=UTC), "x": datetime(2006, 1, 1, tzinfo=UTC),
    "reddit": datetime(2005, 6, 1, tzinfo=UTC), "slack": datetime(2009, 1, 1, tzinfo=UTC),
    "discourse": datetime(2012, 1, 1, tzinfo=UTC), "mastodon": datetime(2016, 1, 1, tzinfo=UTC),
    "youtube": datetime(2005, 1, 1, tzinfo=UTC), "linkedin": datetime(2002, 1, 1, tzinfo=UTC),
}
FLAG_KEY = TIME_FLAG_KEY  # in Message.raw: why the platform's date was not used


def received() -> datetime:
    """The receive time of a webhook delivery (parse has no clock passed in: this is the edge)."""
    return datetime.now(UTC)


def checked(when: datetime | None, *, received: datetime, channel: str) -> tuple[datetime, str | None]:
    """The claimed time, or the receive time and the reason when it is absent or implausible."""
    if when is None:
        return received, "no date: receive time used"
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    if when > received + FUTURE_TOLERANCE:
        return received, f"date {when.isoformat()} is in the future: receive time used"
    start = PLATFORM_START.get(channel, PLATFORM_START["email"])
    if when < start:
        return received, f"date {when.isoformat()} predates {channel}: receive time used"
    return when, None


def flagged(raw: dict[str, Any], flag: str | None) -> dict[str, Any]:
    """raw with the time flag added when there is one (a copy: the payload stays untouched)."""
    return {**raw, FLAG_KEY: flag} if flag else raw


def localized(text: str | None) -> datetime | None:
    """A date written in any language ('Seg, 24 Set 2018 10:00 -0300'), or None (dateparser)."""
    if not text or len(text) > 100:
        return None
    import dateparser  # imported on use: it costs ~0.3 s and only odd feeds need it

    try:
        parsed = dateparser.parse(text, settings={"RETURN_AS_TIMEZONE_AWARE": True,
                                                  "TO_TIMEZONE": "UTC", "PREFER_DATES_FROM": "past"})
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None
    return parsed.astimezone(UTC) if parsed else None
