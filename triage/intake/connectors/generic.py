"""The generic signed webhook: our own HMAC scheme for any system that can POST JSON."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime

from pydantic import ValidationError

from triage.core.message import Message
from triage.intake.connectors.base import (
    Channel,
    ParseResult,
    PayloadError,
    SignatureError,
    Skipped,
    excerpt,
    header,
    loads_json,
)

TIMESTAMP_HEADER = "X-Triage-Timestamp"
SIGNATURE_HEADER = "X-Triage-Signature"
REPLAY_WINDOW_SECONDS = 300  # as Slack and Stripe: a captured request is useless after 5 minutes


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header value a sender computes: HMAC-SHA256 over '<timestamp>.<body>'."""
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class GenericWebhook(Channel):
    slug = "generic"
    kind = "webhook"

    replay_window = REPLAY_WINDOW_SECONDS

    def verify(self, *, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        ts_raw, given = header(headers, TIMESTAMP_HEADER), header(headers, SIGNATURE_HEADER)
        if not ts_raw or not given:
            raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
        try:
            ts = int(ts_raw)
        except ValueError as exc:
            raise SignatureError(f"{TIMESTAMP_HEADER} is not a unix timestamp") from exc
        if abs(now.timestamp() - ts) > self.replay_window:
            raise SignatureError(f"timestamp outside the {self.replay_window}s replay window")
        if not hmac.compare_digest(sign(self._secret(), ts, body), given):
            raise SignatureError("signature does not match the body")

    def parse(self, *, headers: Mapping[str, str], body: bytes) -> ParseResult:
        data = loads_json(body)
        if not isinstance(data, dict):
            raise PayloadError("body must be a JSON object", field="body")
        if "messages" not in data:
            return ParseResult(messages=[self._one(data, prefix="")])
        items = data["messages"]
        if not isinstance(items, list) or not items:
            raise PayloadError("'messages' must be a non-empty list", field="messages")
        # A batch: each bad message is skipped with its reason (the 202 names it), the rest go in.
        messages: list[Message] = []
        skipped: list[Skipped] = []
        errors: list[PayloadError] = []
        for i, item in enumerate(items):
            try:
                messages.append(self._one(item, prefix=f"messages[{i}]."))
            except PayloadError as exc:
                errors.append(exc)
                skipped.append(Skipped(f"messages[{i}]", f"PayloadError: {exc}"[:500], excerpt(item)))
        if not messages:  # nothing usable: the sender's format is wrong, tell them (422)
            raise errors[0]
        return ParseResult(messages=messages, skipped=skipped)

    def _one(self, item: object, *, prefix: str) -> Message:
        """One message in our format, or PayloadError naming the field at fault."""
        if not isinstance(item, dict):
            raise PayloadError("each message must be a JSON object", field=prefix.rstrip(".") or "body")
        try:
            return Message.model_validate({**item, "source": self.source, "raw": item})
        except ValidationError as exc:
            err = exc.errors()[0]
            loc = ".".join(str(p) for p in err["loc"])
            raise PayloadError(f"{prefix}{loc}: {err['msg']}", field=prefix + loc) from exc
