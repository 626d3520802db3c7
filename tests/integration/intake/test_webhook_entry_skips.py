"""Webhook deliveries read entry by entry (a bad entry harms only itself), our own replies never
coming back, and a replaced date shown to people (issue 16). SQLite only: nothing here depends
on the database backend, and each test stays well under a second."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.integration.helpers import PASSWORD, add_user, bearer, message, post_signed, run_jobs
from triage.api.app import create_app
from triage.bootstrap import UnknownSource
from triage.config import SourceSettings
from triage.intake.skips import SkipLog
from triage.intake.source_status import list_statuses, skip_records
from triage.platform import metrics
from triage.platform.sent_ids import SentIds

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus"
APP_SECRET, FORUM_SECRET = "meta-app-secret-123", "forum-webhook-secret-456"


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path / 'triage.db'}"


@pytest.fixture
def client(services):
    services.settings = services.settings.model_copy(update={"sources": {
        **services.settings.sources,
        "fb": SourceSettings(channel="meta", options={"app_secret": APP_SECRET, "verify_token": "v"}),
        "forum": SourceSettings(channel="discourse", secret=FORUM_SECRET)}})
    with TestClient(create_app(services)) as c:
        c.services = services
        yield c


def skipped_count(source: str, kind: str) -> float:
    return metrics.ENTRIES_SKIPPED.labels(source=source, kind=kind)._value.get()


def post_discourse(client, name: str):
    body = (CORPUS / "discourse" / f"{name}.json").read_bytes()
    headers = json.loads((CORPUS / "discourse" / f"{name}.headers.json").read_text())
    headers["X-Discourse-Event-Signature"] = "sha256=" + hmac.new(
        FORUM_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return client.post("/webhooks/forum", content=body, headers=headers)


def test_a_batch_with_one_bad_message_ingests_the_rest_and_quarantines_only_that_one(client):
    before = skipped_count("test", "PayloadError")
    r = post_signed(client, {"messages": [message("ok-1", "my order never came"),
                                          {"external_id": "bad", "text": "no author"},
                                          message("ok-2", "still waiting")]})
    assert r.status_code == 202
    body = r.json()
    assert body["accepted"] == 2 and [s["entry"] for s in body["skipped"]] == ["messages[1]"]
    assert "messages[1].author" in body["skipped"][0]["reason"]
    [record] = SkipLog(client.services.redis).records("test")
    assert record["entry_id"] == "messages[1]" and '"external_id": "bad"' in record["entry"]
    assert skipped_count("test", "PayloadError") == before + 1
    status = next(s for s in list_statuses(services=client.services) if s.slug == "test")
    assert status.skipped == 1 and "1 unreadable entry skipped" in status.note
    assert skip_records(services=client.services, source="test")[0]["entry_id"] == "messages[1]"
    with pytest.raises(UnknownSource):
        skip_records(services=client.services, source="nope")


def test_a_real_meta_batch_with_one_broken_entry_ingests_the_other_entry(client):
    batch = json.loads((CORPUS / "meta" / "bottender-messenger-batch-two-entries.json").read_text())
    del batch["entry"][0]["messaging"][0]["timestamp"]
    body = json.dumps(batch).encode()
    sig = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    r = client.post("/webhooks/fb", content=body, headers={"X-Hub-Signature-256": sig})
    assert r.status_code == 202
    assert r.json()["accepted"] == 1 and r.json()["skipped"][0]["entry"] == "entry[0].messaging[0]"
    assert client.services.buffer.quarantined_deliveries() == []  # only the entry, not the body
    [record] = SkipLog(client.services.redis).records("fb")
    assert "timestamp" in record["reason"] and "test 1" in record["entry"]


def test_our_reply_echoed_back_by_discourse_is_dropped_and_other_posts_come_in(client):
    # The Discourse replier records "post:<id>" from the API's answer; the forum then fires
    # post_created for that very post.
    SentIds(client.services.redis).remember(source="forum", external_id="post:15",
                                            now=datetime.now(UTC))
    echo = post_discourse(client, "koishi-post-created-reply-bold")
    assert echo.status_code == 202 and echo.json()["accepted"] == 0 and echo.json()["ignored"] == 1
    other = post_discourse(client, "koishi-post-created-topic-first-post")
    assert other.status_code == 202 and other.json()["accepted"] == 1
    assert client.services.buffer.depth() == 1
    assert SkipLog(client.services.redis).counts("forum")["ignored"] == 1


def test_a_replaced_date_is_shown_in_the_api_item_and_in_the_inbox(client):
    r = post_signed(client, message("far", "pinned to the top?", created_at="3609-01-01T00:00:00Z"))
    assert r.status_code == 202
    run_jobs(client.services)
    token = add_user(client.services, "ana")
    [item] = client.get("/api/inbox", headers=bearer(token)).json()["items"]
    assert item["date_note"] == "date from the platform looked wrong; receive time used"
    assert "3609-01-01" in item["date_detail"]
    assert item["created_at"][:4] != "3609"
    page = TestClient(create_app(client.services))
    login = page.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
    page.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": login})
    assert "date from the platform looked wrong; receive time used" in page.get("/inbox").text
    assert "3609-01-01" in page.get(f"/inbox/{item['id']}").text
