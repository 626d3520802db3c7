"""The one normalized message every stage (ingest, score, route, inbox) works on."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_TEXT_CHARS = 50_000  # longer texts are truncated for scoring, the raw payload keeps all
# The largest follower count any platform reports is about 1e9; authors.followers is a 32-bit
# INTEGER on every backend, so a larger number is clamped to its top, not refused.
MAX_FOLLOWERS = 2**31 - 1
# Dates a platform cannot mean: clocks drift by minutes, not days, and no channel we read predates 2000.
FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")  # a valid pair is one code point in a str
FLAGS_KEY = "_triage_flags"  # where `raw` records what normalisation changed, for people to see
TIME_FLAG_KEY = "_triage_time"  # where a connector says why the platform's date was not used


def clean_text(value: str) -> str:
    """The text policy, applied to every string a message carries (text, names, raw payload).

    NUL bytes are dropped (PostgreSQL text cannot hold them), lone surrogates from broken UTF-8 or
    JSON escapes become U+FFFD (no encoder accepts them); everything else is kept as sent.
    """
    return _LONE_SURROGATE.sub("\ufffd", value).replace("\x00", "")


def _clean_tree(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_tree(v) for v in value]
    return value


def _bounded_count(value: Any) -> Any:
    """Follower counts clamped to [0, MAX_FOLLOWERS]; NaN or infinity means unknown."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value  # strings and the rest: pydantic decides
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return int(min(max(value, 0), MAX_FOLLOWERS))


class Author(BaseModel):
    """An identity on one channel; the same person on two channels is linked later, not merged here."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=256)
    handle: str | None = Field(default=None, max_length=256)
    name: str | None = Field(default=None, max_length=256)
    followers: int | None = Field(default=None, ge=0, le=MAX_FOLLOWERS)
    verified: bool = False

    @field_validator("id", "handle", "name", mode="before")
    @classmethod
    def _clean(cls, value: Any) -> Any:
        return clean_text(value) if isinstance(value, str) else value

    @field_validator("followers", mode="before")
    @classmethod
    def _bounded(cls, value: Any) -> Any:
        return _bounded_count(value)


class Message(BaseModel):
    """A message from any channel, normalized; `raw` keeps the original payload untouched."""

    model_config = ConfigDict(frozen=True)

    source: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    external_id: str = Field(min_length=1, max_length=256)
    thread_id: str | None = Field(default=None, max_length=256)
    author: Author
    text: str = Field(max_length=MAX_TEXT_CHARS * 4)
    language: str | None = Field(default=None, max_length=16)
    created_at: datetime
    url: str | None = Field(default=None, max_length=2048)
    raw: dict[str, Any] = Field(default_factory=dict)

    @field_validator("external_id", "thread_id", "text", "language", "url", mode="before")
    @classmethod
    def _clean_text(cls, value: Any) -> Any:
        return clean_text(value) if isinstance(value, str) else value

    @field_validator("raw", mode="before")
    @classmethod
    def _clean_raw(cls, value: Any) -> Any:
        return _clean_tree(value)

    @field_validator("created_at")
    @classmethod
    def _aware_utc(cls, value: datetime) -> datetime:
        # Naive timestamps are taken as UTC so SQLite and PostgreSQL order them the same way.
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def received(self, now: datetime) -> Message:
        """This message as stored at `now`: a date a day ahead of `now` or before 2000 becomes `now`.

        The replaced date stays in `raw[FLAGS_KEY]`, so the change is visible, never silent.
        """
        if EARLIEST <= self.created_at <= now + FUTURE_TOLERANCE:
            return self
        flags = {**self.raw.get(FLAGS_KEY, {}), "created_at_replaced": self.created_at.isoformat()}
        return self.model_copy(update={"created_at": now, "raw": {**self.raw, FLAGS_KEY: flags}})

    @property
    def key(self) -> tuple[str, str]:
        """The deduplication key: a re-delivered message has the same one."""
        return (self.source, self.external_id)

    @property
    def thread_key(self) -> str:
        """Messages of one conversation share this; a message with no thread starts its own."""
        return self.thread_id or self.external_id


def date_note(raw: Any) -> tuple[str, str] | None:
    """(what to tell a person, the detail) when the platform's date was replaced, else None.

    Read from the flags a connector (`TIME_FLAG_KEY`) or storage (`FLAGS_KEY`) left in `raw`, so
    the inbox and the API show why an item's time is the receive time."""
    if not isinstance(raw, dict):
        return None
    why = raw.get(TIME_FLAG_KEY)
    flags = raw.get(FLAGS_KEY)
    replaced = flags.get("created_at_replaced") if isinstance(flags, dict) else None
    if isinstance(why, str) and why.startswith("no date"):
        return "no date from the platform; receive time used", why
    if why or replaced:
        detail = str(why) if why else f"the platform said {replaced}"
        return "date from the platform looked wrong; receive time used", detail
    return None
