import json
from datetime import UTC, datetime

import pytest

from tests.unit.intake.connectors.payloads import fixture_bytes
from tests.unit.intake.corpus import CORPUS
from triage.intake.connectors.base import SignatureError
from triage.intake.connectors.meta import MetaConfig, MetaWebhook
from triage.intake.connectors.signing import hex_sig

SECRET = "the-app-secret"


@pytest.fixture
def meta() -> MetaWebhook:
    config = MetaConfig(app_secret=SECRET, verify_token="meatyhamhock")
    return MetaWebhook(config, source="fb-page")


def signed(body: bytes) -> dict[str, str]:
    return {"X-Hub-Signature-256": hex_sig(SECRET.encode(), body)}


def test_the_subscribe_handshake_echoes_the_challenge_when_the_token_matches(meta):
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "meatyhamhock"}
    reply = meta.handshake(method="GET", query=query, headers={}, body=b"")
    assert (reply.status, reply.body) == (200, "1158201444")


def test_the_handshake_refuses_a_wrong_verify_token(meta):
    query = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "nope"}
    assert meta.handshake(method="GET", query=query, headers={}, body=b"").status == 403


def test_a_post_is_not_a_handshake(meta):
    assert meta.handshake(method="POST", query={}, headers={}, body=b"{}") is None


def test_a_correct_signature_passes_and_a_wrong_or_missing_one_is_refused(meta, now):
    body = fixture_bytes("meta/messenger_text.json")
    meta.verify(headers=signed(body), body=body, now=now)
    with pytest.raises(SignatureError):
        meta.verify(headers=signed(body + b" "), body=body, now=now)
    with pytest.raises(SignatureError, match="missing"):
        meta.verify(headers={}, body=body, now=now)
    other = MetaWebhook(MetaConfig(app_secret="other", verify_token="x"), source="fb-page")
    with pytest.raises(SignatureError):
        other.verify(headers=signed(body), body=body, now=now)


def test_messenger_messages_thread_per_person_and_echoes_are_ignored(meta):
    result = meta.parse(headers={}, body=fixture_bytes("meta/messenger_text.json"))
    assert [m.external_id for m in result.messages] == [
        "mid.1457764197618:41d102a3e1ae206a38", "m_1457764197618:41d102a3e1ae206a38",
        "mid.$cAAJdkrCd2ORnva8ErFhjGm0X_Q_c"]
    assert result.ignored == 1
    first, _, attachment = result.messages
    assert first.text == "hello, world!" and first.author.id == "PSID"
    assert first.thread_id == "page-dm:PAGE_ID:PSID"
    assert {m.thread_key for m in result.messages} == {"page-dm:PAGE_ID:PSID"}
    assert first.created_at == datetime(2016, 3, 23, 0, 25, 52, 478000, tzinfo=UTC)
    assert attachment.text == "[image attachment]"


def test_a_page_comment_threads_under_its_post_and_reactions_are_ignored(meta):
    result = meta.parse(headers={}, body=fixture_bytes("meta/page_feed_comment.json"))
    assert result.ignored == 1
    (comment,) = result.messages
    assert comment.external_id == "122131676912594941_1213590066982748"
    assert comment.thread_id == "448242228374517_122131676912594941"
    assert comment.author.name == "Jane Customer" and comment.text == "meow 2"
    assert comment.url.endswith("/posts/122131676912594941")


def test_an_instagram_comment_threads_under_its_media(meta):
    result = meta.parse(headers={}, body=fixture_bytes("meta/instagram_comment.json"))
    (comment,) = result.messages
    assert comment.external_id == "17919697626119712"
    assert comment.thread_id == "18172143295349192"
    assert comment.author.handle == "jiangwenwen1213"


def test_an_instagram_direct_message_is_a_conversation(meta):
    (dm,) = meta.parse(headers={}, body=fixture_bytes("meta/instagram_message.json")).messages
    assert dm.thread_id == "instagram-dm:17841405822304914:1234567890123456"
    assert dm.text == "Hi, is my order shipped?"


def test_an_unknown_object_is_ignored_not_an_error(meta):
    body = b'{"object": "user", "entry": [{"id": "1", "changes": [{"field": "photos"}]}]}'
    assert meta.parse(headers={}, body=body).ignored == 1


def test_a_comment_without_an_author_is_skipped_naming_the_field(meta):
    body = (b'{"object":"page","entry":[{"id":"1","time":1,"changes":[{"field":"feed","value":'
            b'{"item":"comment","verb":"add","message":"hi","post_id":"1_2","comment_id":"3"}}]}]}')
    result = meta.parse(headers={}, body=body)
    [skipped] = result.skipped
    assert result.messages == [] and skipped.entry_id == "entry[0].changes[0]"
    assert "entry[0].changes[0].value.from.id" in skipped.reason and '"comment_id": "3"' in skipped.excerpt


def test_one_bad_entry_of_a_real_batch_is_skipped_and_the_other_entry_is_read(meta):
    batch = json.loads((CORPUS / "meta" / "bottender-messenger-batch-two-entries.json").read_text())
    del batch["entry"][1]["messaging"][0]["sender"]
    result = meta.parse(headers={}, body=json.dumps(batch).encode())
    assert [m.text for m in result.messages] == ["test 1"]
    assert [s.entry_id for s in result.skipped] == ["entry[1].messaging[0]"]
    assert "sender" in result.skipped[0].reason


def test_secrets_do_not_leak_into_the_config_repr():
    config = MetaConfig(app_secret=SECRET, verify_token="meatyhamhock")
    assert SECRET not in repr(config) and "meatyhamhock" not in repr(config)
