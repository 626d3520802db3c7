"""The small base class every channel connector implements, and the errors they raise."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, SecretStr, ValidationError

from triage.core.message import Message


class ChannelError(Exception):
    """Base of the errors a connector raises; the HTTP edge maps each to a status code."""


class SignatureError(ChannelError):
    """Signature missing, wrong or outside the replay window: 401, nothing stored."""


class PayloadError(ChannelError):
    """The body is not what the channel documents: names the field at fault."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


EXCERPT_CHARS = 4000  # of a skipped entry kept for the quarantine record: enough to see the fault
# What reading a hostile body can raise besides our own errors: each becomes a PayloadError, so
# the edge answers 400 or quarantines the delivery instead of a 500 that the platform retries.
PARSE_FAULTS = (ValidationError, KeyError, TypeError, ValueError, AttributeError, IndexError,
                OverflowError, RecursionError, UnicodeError)


def declared_errors_only(method: Callable) -> Callable:
    """Wrap parse/poll so a connector bug on odd input surfaces as PayloadError, naming the fault."""
    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except ChannelError:
            raise
        except PARSE_FAULTS as exc:
            raise PayloadError(f"malformed payload ({type(exc).__name__}: {str(exc)[:300]})") from exc
    guarded.__wrapped_declared__ = True  # type: ignore[attr-defined]
    return guarded


@dataclass(frozen=True, slots=True)
class HandshakeReply:
    """What to answer a platform's verification request (hub.challenge, CRC, url_verification)."""

    status: int = 200
    body: str | bytes = ""
    content_type: str = "text/plain"


@dataclass(frozen=True, slots=True)
class Skipped:
    """One entry we could not read: its id when known, why, and an excerpt to quarantine."""

    entry_id: str
    reason: str
    excerpt: str


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Messages found in one delivery; events we don't handle are counted, not retried.

    An unreadable entry of a multi-entry delivery is `skipped` (quarantined on its own, the rest
    ingested); an unreadable envelope fails the delivery whole (PayloadError), and the edge
    quarantines the signed body, so nothing is lost and a replay after a fix takes every entry."""

    messages: list[Message] = field(default_factory=list)
    ignored: int = 0
    skipped: list[Skipped] = field(default_factory=list)


def excerpt(entry: Any) -> str:
    """A bounded, JSON-safe copy of an entry for its quarantine record."""
    if isinstance(entry, bytes):
        text = entry[:EXCERPT_CHARS].decode("utf-8", "replace")
    else:
        try:
            text = json.dumps(entry, default=str, ensure_ascii=False)
        except (TypeError, ValueError, RecursionError):
            text = repr(entry)
    return text[:EXCERPT_CHARS]


class ChannelConfig(BaseModel):
    """Per-account settings; every secret is a SecretStr so it never reaches a log."""

    secret: SecretStr | None = None
    # Pollers refuse private, loopback and link-local hosts unless a source says so (triage.intake.netguard).
    allow_private_network: bool = False


class Channel:
    """A connector: `slug` names it, `kind` says webhook or poller, `Config` validates its account."""

    slug: ClassVar[str]
    kind: ClassVar[Literal["webhook", "poller"]] = "webhook"
    Config: ClassVar[type[ChannelConfig]] = ChannelConfig

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every plugin keeps the contract "PayloadError or nothing", including ones written later.
        super().__init_subclass__(**kwargs)
        for name in ("parse", "poll"):
            method = cls.__dict__.get(name)
            if callable(method) and not getattr(method, "__wrapped_declared__", False):
                setattr(cls, name, declared_errors_only(method))

    def __init__(self, config: ChannelConfig, *, source: str):
        self.config = config
        self.source = source

    def handshake(self, *, method: str, query: Mapping[str, str], headers: Mapping[str, str],
                  body: bytes) -> HandshakeReply | None:
        """Answer the platform's verification request, or None when this request is not one."""
        return None

    def verify(self, *, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        """Raise SignatureError unless the body is signed by this account's secret."""
        raise NotImplementedError

    def parse(self, *, headers: Mapping[str, str], body: bytes) -> ParseResult:
        """Turn one verified delivery into messages; raise PayloadError naming the bad field."""
        raise NotImplementedError

    def _secret(self) -> bytes:
        if self.config.secret is None:
            raise SignatureError(f"source {self.source!r} has no secret configured")
        return self.config.secret.get_secret_value().encode()


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup for plain dicts as well as Starlette's Headers."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return None


def loads_json(body: bytes) -> Any:
    """Parse JSON or raise PayloadError; bytes that are not UTF-8 are refused with a reason."""
    import json

    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise PayloadError(f"body is not UTF-8: {exc.reason} at byte {exc.start}", field="body") from exc
    except json.JSONDecodeError as exc:
        raise PayloadError(f"body is not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
                           field="body") from exc
