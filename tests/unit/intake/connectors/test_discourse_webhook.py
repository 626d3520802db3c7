import hashlib
import hmac
import json
from datetime import UTC, datetime

import pytest

from tests.unit.intake.connectors.payloads import fixture_bytes
from triage.intake.connectors.base import PayloadError, SignatureError
from triage.intake.connectors.discourse import DiscourseConfig, DiscourseWebhook

SECRET = "a-long-webhook-secret"


@pytest.fixture
def forum() -> DiscourseWebhook:
    config = DiscourseConfig(secret=SECRET, base_url="https://forum.example.com/")
    return DiscourseWebhook(config, source="forum")


def headers(event: str, body: bytes, secret: str = SECRET) -> dict[str, str]:
    mac = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return {"X-Discourse-Event": event, "X-Discourse-Event-Type": event.split("_")[0],
            "X-Discourse-Event-Signature": f"sha256={mac}"}


def test_the_documented_signature_passes_and_a_wrong_secret_is_refused(forum, now):
    body = fixture_bytes("discourse/post_created.json")
    forum.verify(headers=headers("post_created", body), body=body, now=now)
    with pytest.raises(SignatureError):
        forum.verify(headers=headers("post_created", body, "other"), body=body, now=now)


def test_a_source_without_a_secret_refuses_everything(now):
    body = fixture_bytes("discourse/post_created.json")
    bare = DiscourseWebhook(DiscourseConfig(), source="forum")
    with pytest.raises(SignatureError, match="no secret"):
        bare.verify(headers=headers("post_created", body), body=body, now=now)


def test_a_new_post_threads_under_its_topic(forum):
    body = fixture_bytes("discourse/post_created.json")
    (post,) = forum.parse(headers=headers("post_created", body), body=body).messages
    assert post.external_id == "post:15" and post.thread_id == "topic:12"
    assert post.author.handle == "Anillc" and post.author.id == "7"
    assert post.text.startswith("How do I reset my password?")
    assert post.created_at == datetime(2023, 1, 15, 19, 30, 27, 230000, tzinfo=UTC)
    assert post.url == "https://forum.example.com/t/password-reset-link-expired/12/3"


def test_the_first_post_of_a_topic_carries_the_topic_title(forum):
    data = json.loads(fixture_bytes("discourse/post_created.json"))
    data["post"]["post_number"] = 1
    body = json.dumps(data).encode()
    (post,) = forum.parse(headers=headers("post_created", body), body=body).messages
    assert post.text.startswith("Password reset link expired\n\nHow do I reset")


def test_topic_created_is_acknowledged_without_a_duplicate_message(forum):
    body = fixture_bytes("discourse/topic_created.json")
    result = forum.parse(headers=headers("topic_created", body), body=body)
    assert (result.messages, result.ignored) == ([], 1)


def test_system_posts_and_unknown_events_are_ignored(forum):
    data = json.loads(fixture_bytes("discourse/post_created.json"))
    data["post"]["user_id"] = -1
    body = json.dumps(data).encode()
    assert forum.parse(headers=headers("post_created", body), body=body).ignored == 1
    assert forum.parse(headers=headers("ping", b'{"ping":"OK"}'), body=b'{"ping":"OK"}').ignored == 1


def test_a_post_created_without_post_names_the_field(forum):
    with pytest.raises(PayloadError) as err:
        forum.parse(headers=headers("post_created", b"{}"), body=b"{}")
    assert err.value.field == "post"
