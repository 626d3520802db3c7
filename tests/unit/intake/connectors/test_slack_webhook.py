import hashlib
import hmac

import pytest

from tests.unit.intake.connectors.payloads import fixture_bytes
from triage.intake.connectors.base import PayloadError, SignatureError
from triage.intake.connectors.slack import SlackConfig, SlackEvents

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


@pytest.fixture
def slack() -> SlackEvents:
    return SlackEvents(SlackConfig(signing_secret=SECRET, bot_user_id="U0BOT"), source="slack-hq")


def signed(body: bytes, ts: int, secret: str = SECRET) -> dict[str, str]:
    mac = hmac.new(secret.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": "v0=" + mac}


def test_url_verification_is_answered_with_the_challenge_once_signed(slack, now):
    body = fixture_bytes("slack/url_verification.json")
    reply = slack.handshake(method="POST", query={}, headers=signed(body, int(now.timestamp())),
                            body=body)
    assert reply.body == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"


def test_an_unsigned_url_verification_is_refused(slack, now):
    body = fixture_bytes("slack/url_verification.json")
    with pytest.raises(SignatureError):
        slack.handshake(method="POST", query={},
                        headers=signed(body, int(now.timestamp()), "wrong"), body=body)


def test_an_event_callback_is_not_a_handshake(slack):
    body = fixture_bytes("slack/message_channels.json")
    assert slack.handshake(method="POST", query={}, headers={}, body=body) is None


def test_signature_inside_the_window_passes(slack, now):
    body = fixture_bytes("slack/message_channels.json")
    slack.verify(headers=signed(body, int(now.timestamp()) - 299), body=body, now=now)


def test_a_replayed_request_older_than_five_minutes_is_refused(slack, now):
    body = fixture_bytes("slack/message_channels.json")
    with pytest.raises(SignatureError, match="replay window"):
        slack.verify(headers=signed(body, int(now.timestamp()) - 301), body=body, now=now)


def test_a_wrong_signature_is_refused(slack, now):
    body = fixture_bytes("slack/message_channels.json")
    headers = signed(body, int(now.timestamp()))
    with pytest.raises(SignatureError):
        slack.verify(headers=headers, body=body.replace(b"prospect", b"prosper"), now=now)
    with pytest.raises(SignatureError, match="X-Slack-Request-Timestamp"):
        slack.verify(headers={"X-Slack-Signature": headers["X-Slack-Signature"]}, body=body, now=now)


def test_a_channel_message_becomes_a_message_keyed_by_channel_and_ts(slack):
    (msg,) = slack.parse(headers={}, body=fixture_bytes("slack/message_channels.json")).messages
    assert msg.external_id == "C123ABC456:1355517523.000005"
    assert msg.thread_id is None and msg.thread_key == msg.external_id
    assert msg.author.id == "U123ABC456" and msg.text == "Live long and prospect."


def test_a_thread_reply_joins_the_thread_of_its_root(slack):
    (msg,) = slack.parse(headers={}, body=fixture_bytes("slack/message_thread_reply.json")).messages
    assert msg.thread_id == "C123ABC456:1482960000.003500"


def test_a_retry_parses_to_the_same_dedup_key(slack):
    body = fixture_bytes("slack/message_channels.json")
    first = slack.parse(headers={}, body=body).messages[0]
    retry = slack.parse(headers={"X-Slack-Retry-Num": "1"}, body=body).messages[0]
    assert first.key == retry.key


@pytest.mark.parametrize("name", ["slack/bot_message.json", "slack/channel_topic.json"])
def test_bot_messages_and_channel_notices_are_ignored(slack, name):
    result = slack.parse(headers={}, body=fixture_bytes(name))
    assert (result.messages, result.ignored) == ([], 1)


def test_our_own_bot_user_is_ignored(slack):
    body = fixture_bytes("slack/message_channels.json").replace(b"U123ABC456", b"U0BOT")
    assert slack.parse(headers={}, body=body).ignored == 1


def test_other_event_types_are_ignored(slack):
    body = b'{"type": "event_callback", "event": {"type": "reaction_added", "user": "U1"}}'
    assert slack.parse(headers={}, body=body).ignored == 1


def test_a_message_without_ts_names_the_field(slack):
    body = b'{"type":"event_callback","event":{"type":"message","channel":"C1","user":"U1"}}'
    with pytest.raises(PayloadError) as err:
        slack.parse(headers={}, body=body)
    assert err.value.field == "event.ts"
