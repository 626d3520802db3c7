"""The generic webhook's signature scheme and parsing, without any server."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from triage.intake.connectors.base import ChannelConfig, PayloadError, SignatureError
from triage.intake.connectors.generic import GenericWebhook, sign

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
SECRET = "s3cret"


def channel() -> GenericWebhook:
    return GenericWebhook(ChannelConfig(secret=SECRET), source="shop")


def headers(body: bytes, ts: int | None = None, secret: str = SECRET) -> dict[str, str]:
    ts = int(NOW.timestamp()) if ts is None else ts
    return {"x-triage-timestamp": str(ts), "X-Triage-Signature": sign(secret.encode(), ts, body)}


def test_a_correctly_signed_body_verifies():
    body = b'{"a": 1}'
    channel().verify(headers=headers(body), body=body, now=NOW)


@pytest.mark.parametrize("tamper", ["body", "secret", "old", "future", "garbage_ts"])
def test_tampering_is_refused(tamper):
    body = b'{"a": 1}'
    h = headers(body)
    if tamper == "body":
        body = b'{"a": 2}'
    elif tamper == "secret":
        h = headers(body, secret="other")
    elif tamper == "old":
        h = headers(body, ts=int(NOW.timestamp()) - 301)
    elif tamper == "future":
        h = headers(body, ts=int(NOW.timestamp()) + 301)
    else:
        h["x-triage-timestamp"] = "yesterday"
    with pytest.raises(SignatureError):
        channel().verify(headers=h, body=body, now=NOW)


def test_parse_sets_the_source_from_the_url_and_keeps_the_raw_payload():
    doc = {"external_id": "9", "text": "hi", "author": {"id": "a"},
           "created_at": "2026-05-01T11:00:00+02:00", "source": "spoofed"}
    [m] = channel().parse(headers={}, body=json.dumps(doc).encode()).messages
    assert m.source == "shop" and m.raw["text"] == "hi"
    assert m.created_at == datetime(2026, 5, 1, 9, tzinfo=UTC)


def test_parse_names_the_bad_field():
    with pytest.raises(PayloadError) as err:
        channel().parse(headers={}, body=b'{"external_id": "9", "author": {"id": "a"}}')
    assert err.value.field in ("text", "created_at")
