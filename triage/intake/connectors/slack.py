"""Slack Events API: v0 signing secret with a replay window, url_verification, message events."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime

from pydantic import Field, SecretStr

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
from triage.intake.connectors.dates import checked, flagged, received
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
    own_user_ids: list[str] = Field(default_factory=list)  # staff accounts that reply from Slack
    sent_ids: list[str] = Field(default_factory=list)  # ts of messages the outbox posted
    user_names: dict[str, str] = Field(default_factory=dict)  # U123 -> name, for <@U123> mentions


# Slack's "mrkdwn" control sequences: <@U1|name>, <#C1|general>, <!here>, <https://x|label>.
CONTROL = re.compile(r"<([@#!]?)([^<>|]*)(?:\|([^<>]*))?>")
SPECIAL = {"here": "@here", "channel": "@channel", "everyone": "@everyone"}


def slack_text(text: str, names: dict[str, str] | None = None) -> str:
    """Slack message text as people read it: mentions with names, links with labels."""
    if "<" not in text and "&" not in text:
        return text
    def plain(m: re.Match) -> str:
        sigil, target, label = m[1], m[2], m[3]
        if sigil == "@":
            return "@" + (label or (names or {}).get(target) or target)
        if sigil == "#":
            return "#" + (label or target)
        if sigil == "!":
            return label or SPECIAL.get(target, "@" + target.split("^")[0])
        if label and label != target.removeprefix("mailto:"):
            return f"{label} ({target.removeprefix('mailto:')})"
        return target.removeprefix("mailto:")
    # Slack escapes only &, < and > in text; unescaping last keeps "&lt;@U1&gt;" literal.
    return CONTROL.sub(plain, text).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


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
        text = event.get("text") or ""
        text = text if isinstance(text, str) else str(text)
        if not text.strip() and not event.get("files"):
            return ParseResult(ignored=1)
        created, flag = checked(epoch(ts, field="event.ts"), received=received(), channel="slack")
        message = Message(
            source=self.source,
            external_id=f"{channel}:{ts}",
            # A thread's root has ts == thread_ts, so the root and its replies share this key.
            thread_id=f"{channel}:{thread_ts}" if thread_ts else None,
            author=Author(id=str(need(event, "user", field="event.user"))),
            text=slack_text(text, self.config.user_names),
            created_at=created,
            raw=flagged(data, flag),
        )
        return ParseResult(messages=[message])

    def _is_human_message(self, event: dict) -> bool:
        if event.get("type") not in MESSAGE_EVENTS:
            return False
        if event.get("bot_id") or event.get("bot_profile"):
            return False
        if event.get("subtype") and event["subtype"] not in HUMAN_SUBTYPES:
            return False
        user = event.get("user")
        return user is not None and user != self.config.bot_user_id \
            and user not in self.config.own_user_ids and event.get("ts") not in self.config.sent_ids
