"""Slack Events API: v0 signing secret with a replay window, url_verification, message events."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from pydantic import SecretStr

from triage.core.message import Author, Message
from triage.intake.connectors.base import (
    Channel,
    ChannelConfig,
    HandshakeReply,
    ParseResult,
    PayloadError,
    SignatureError,
    header,
    loads_json,
)
from triage.intake.connectors.signing import epoch, hex_sig, need, require_match

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
REPLAY_WINDOW_SECONDS = 300  # Slack's own guidance: reject requests older than five minutes
# Subtypes that are still a person speaking; every other subtype (joins, edits, bots) is ignored.
HUMAN_SUBTYPES = frozenset({"thread_broadcast", "file_share"})
MESSAGE_EVENTS = frozenset({"message", "app_mention"})


class SlackConfig(ChannelConfig):
    """The app's signing secret; bot_user_id lets us skip what our own bot posted."""

    signing_secret: SecretStr
    bot_user_id: str | None = None


class SlackEvents(Channel):
    """Messages in channels, DMs and threads delivered through the Events API."""

    slug = "slack"
    kind = "webhook"
    Config = SlackConfig

    def _signature(self, headers: Mapping[str, str], body: bytes) -> str:
        ts = header(headers, TIMESTAMP_HEADER)
        if not ts:
            raise SignatureError(f"missing {TIMESTAMP_HEADER} header")
        secret = self.config.signing_secret.get_secret_value().encode()
        require_match(hex_sig(secret, b"v0:" + ts.encode() + b":" + body, prefix="v0="),
                      header(headers, SIGNATURE_HEADER), header_name=SIGNATURE_HEADER)
        return ts

    def handshake(self, *, method: str, query: Mapping[str, str], headers: Mapping[str, str],
                  body: bytes) -> HandshakeReply | None:
        if method.upper() != "POST" or b"url_verification" not in body:
            return None
        try:
            data = json.loads(body)
        except ValueError:
            return None
        if not isinstance(data, dict) or data.get("type") != "url_verification":
            return None
        # Slack asks to verify the request before answering; the handshake has no clock, so the
        # replay window is not checked here (echoing a challenge twice leaks nothing).
        self._signature(headers, body)
        return HandshakeReply(status=200, body=str(data.get("challenge", "")))

    def verify(self, *, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        ts = self._signature(headers, body)
        try:
            age = abs(now.timestamp() - int(ts))
        except ValueError as exc:
            raise SignatureError(f"{TIMESTAMP_HEADER} is not a unix timestamp") from exc
        if age > REPLAY_WINDOW_SECONDS:
            raise SignatureError(f"timestamp outside the {REPLAY_WINDOW_SECONDS}s replay window")

    def parse(self, *, headers: Mapping[str, str], body: bytes) -> ParseResult:
        # Retries (X-Slack-Retry-Num) are parsed like first deliveries: the external id is the
        # channel + ts, so a retry of an already-stored message dedupes, and one whose first
        # delivery failed before we stored it is not lost.
        data = loads_json(body)
        if not isinstance(data, dict):
            raise PayloadError("body must be a JSON object", field="body")
        if data.get("type") != "event_callback":
            return ParseResult(ignored=1)
        event = need(data, "event", field="event")
        if not self._is_human_message(event):
            return ParseResult(ignored=1)
        channel = str(need(event, "channel", field="event.channel"))
        ts = str(need(event, "ts", field="event.ts"))
        thread_ts = event.get("thread_ts")
        message = Message(
            source=self.source,
            external_id=f"{channel}:{ts}",
            # A thread's root has ts == thread_ts, so the root and its replies share this key.
            thread_id=f"{channel}:{thread_ts}" if thread_ts else None,
            author=Author(id=str(need(event, "user", field="event.user"))),
            text=event.get("text") or "",
            created_at=epoch(ts, field="event.ts"),
            raw=data,
        )
        return ParseResult(messages=[message])

    def _is_human_message(self, event: dict) -> bool:
        if event.get("type") not in MESSAGE_EVENTS:
            return False
        if event.get("bot_id") or event.get("bot_profile"):
            return False
        if event.get("subtype") and event["subtype"] not in HUMAN_SUBTYPES:
            return False
        return event.get("user") is not None and event.get("user") != self.config.bot_user_id
