import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from tests.unit.intake.connectors.payloads import fixture_bytes
from tests.unit.intake.corpus import CORPUS
from triage.intake.connectors.base import SignatureError
from triage.intake.connectors.twitter import XConfig, XWebhook

# X's published CRC sample values (see tests/fixtures/channels/x/README.md).
SECRET = "z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu"
CRC_TOKEN = "9b4507b3-9040-4669-9ca3-6b94edb50553"


@pytest.fixture
def x() -> XWebhook:
    return XWebhook(XConfig(consumer_secret=SECRET), source="x-brand")


def sign(body: bytes) -> dict[str, str]:
    digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
    return {"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest).decode()}


def test_the_crc_answer_is_the_base64_hmac_of_the_token(x):
    reply = x.handshake(method="GET", query={"crc_token": CRC_TOKEN}, headers={}, body=b"")
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), CRC_TOKEN.encode(), hashlib.sha256).digest()).decode()
    assert reply.status == 200 and reply.content_type == "application/json"
    assert json.loads(reply.body) == {"response_token": "sha256=" + expected}


def test_a_get_without_crc_token_is_not_a_handshake(x):
    assert x.handshake(method="GET", query={}, headers={}, body=b"") is None


def test_deliveries_signed_with_the_consumer_secret_pass_and_others_are_refused(x, now):
    body = fixture_bytes("x/tweet_create_mention.json")
    x.verify(headers=sign(body), body=body, now=now)
    with pytest.raises(SignatureError):
        x.verify(headers=sign(b"{}"), body=body, now=now)
    with pytest.raises(SignatureError, match="missing"):
        x.verify(headers={}, body=body, now=now)


def test_a_mention_reply_threads_under_the_tweet_it_answers_and_own_tweets_are_skipped(x):
    result = x.parse(headers={}, body=fixture_bytes("x/tweet_create_mention.json"))
    (tweet,) = result.messages
    assert result.ignored == 2  # our own tweet, and the like
    assert tweet.external_id == "1050118621198921728"
    assert tweet.thread_id == "1050118621198921700"
    assert tweet.author.handle == "TwitterAPI" and tweet.author.verified
    assert tweet.author.followers == 6133636
    assert tweet.created_at == datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)
    assert tweet.url == "https://x.com/TwitterAPI/status/1050118621198921728"
    assert tweet.language == "en"


def test_a_direct_message_keeps_the_sender_profile_and_outgoing_ones_are_skipped(x):
    result = x.parse(headers={}, body=fixture_bytes("x/direct_message.json"))
    (dm,) = result.messages
    assert result.ignored == 1
    assert dm.external_id == "954491830116155396" and dm.text == "Blue Bird"
    assert dm.author.handle == "birdfan" and dm.author.followers == 1
    assert dm.thread_id == "dm:1234858592-3805104374"


def test_tweet_time_falls_back_to_created_at_when_timestamp_ms_is_absent(x):
    body = json.dumps({"for_user_id": "1", "tweet_create_events": [{
        "id_str": "5", "text": "hi", "created_at": "Wed Oct 10 20:19:24 +0000 2018",
        "user": {"id_str": "2", "screen_name": "a"}}]}).encode()
    (tweet,) = x.parse(headers={}, body=body).messages
    assert tweet.created_at == datetime(2018, 10, 10, 20, 19, 24, tzinfo=UTC)


def test_a_tweet_without_user_is_skipped_naming_the_field_and_the_next_tweet_is_read(x):
    wrapped = json.loads((CORPUS / "x" / "python-twitter-mentions-wrapped.json").read_text())
    del wrapped["tweet_create_events"][0]["user"]
    result = x.parse(headers={}, body=json.dumps(wrapped).encode())
    assert [m.external_id for m in result.messages] == ["675710124057432065"]
    [skipped] = result.skipped
    assert skipped.entry_id == "tweet_create_events[0]"
    assert "tweet_create_events[0].user is missing" in skipped.reason
