"""The one normalized message every stage (ingest, score, route, inbox) works on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_TEXT_CHARS = 50_000  # longer texts are truncated for scoring, the raw payload keeps all


def clean_text(value: str) -> str:
    """Text every store accepts: lone surrogates (broken UTF-8) replaced, NUL bytes dropped."""
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


def _clean_tree(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): _clean_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean_tree(v) for v in value]
    return value


class Author(BaseModel):
    """An identity on one channel; the same person on two channels is linked later, not merged here."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(min_length=1, max_length=256)
    handle: str | None = Field(default=None, max_length=256)
    name: str | None = Field(default=None, max_length=256)
    followers: int | None = Field(default=None, ge=0)
    verified: bool = False


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

    @field_validator("text", mode="before")
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

    @property
    def key(self) -> tuple[str, str]:
        """The deduplication key: a re-delivered message has the same one."""
        return (self.source, self.external_id)

    @property
    def thread_key(self) -> str:
        """Messages of one conversation share this; a message with no thread starts its own."""
        return self.thread_id or self.external_id
