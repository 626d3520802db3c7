"""Platform connectors behind the real webhook route: handshake, signature, parse, inbox."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import make_settings
from tests.integration.helpers import run_jobs
from triage.api.app import create_app
from triage.bootstrap import build_services
from triage.config import SourceSettings
from triage.platform.db import migrate

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "channels"
APP_SECRET, VERIFY = "meta-app-secret-123", "meta-verify-token"


@pytest.fixture
def client(tmp_path, db_url, redis_server, redis_conn):
    settings = make_settings(tmp_path=tmp_path, db_url=db_url, redis_url=redis_server.url)
    settings.sources["fb-page"] = SourceSettings(
        channel="meta", options={"app_secret": APP_SECRET, "verify_token": VERIFY})
    migrate(settings.sqlalchemy_url)
    services = build_services(settings, redis_client=redis_conn)
    with TestClient(create_app(services)) as c:
        c.services = services
        yield c
    services.engine.dispose()


def test_meta_answers_the_hub_challenge_only_with_the_verify_token(client):
    ok = client.get("/webhooks/fb-page", params={"hub.mode": "subscribe", "hub.verify_token": VERIFY,
                                                 "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = client.get("/webhooks/fb-page", params={"hub.mode": "subscribe",
                                                  "hub.verify_token": "guess", "hub.challenge": "1"})
    assert bad.status_code in (401, 403)


def test_a_documented_meta_comment_reaches_the_store_and_a_wrong_signature_does_not(client):
    body = (FIXTURES / "meta" / "page_feed_comment.json").read_bytes()
    wrong = client.post("/webhooks/fb-page", content=body,
                        headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert wrong.status_code == 401
    assert client.services.buffer.depth() == 0
    sig = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    r = client.post("/webhooks/fb-page", content=body, headers={"X-Hub-Signature-256": sig,
                                                                "Content-Type": "application/json"})
    assert r.status_code == 202 and r.json()["accepted"] >= 1
    run_jobs(client.services)
    from sqlalchemy import select

    from triage.platform import tables as t

    with client.services.db() as s:
        rows = s.scalars(select(t.Message).where(t.Message.source == "fb-page")).all()
    assert rows and rows[0].stage == "routed"
    assert json.loads(body)["entry"][0]["id"] in json.dumps(rows[0].raw)


def test_a_malformed_platform_delivery_is_acknowledged_and_quarantined_for_replay(client):
    body = b'{"object": "page", "entry": "not a list"}'
    sig = "sha256=" + hmac.new(APP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    r = client.post("/webhooks/fb-page", content=body, headers={"X-Hub-Signature-256": sig})
    assert r.status_code == 202 and r.json()["quarantined"] is True  # no retry storm from Meta
    [kept] = client.services.buffer.quarantined_deliveries()
    assert kept["source"] == "fb-page" and kept["body"] == body.decode() and kept["error"]
    assert "x-hub-signature-256" not in kept["headers"]
    from triage.intake.ingest import replay_deliveries
    assert replay_deliveries(services=client.services) == (0, 1)  # still bad: kept, not lost
    assert len(client.services.buffer.quarantined_deliveries()) == 1


def test_replay_brings_in_a_quarantined_delivery_once_it_parses(client):
    body = (FIXTURES / "meta" / "page_feed_comment.json").read_bytes()
    client.services.buffer.quarantine_delivery(source="fb-page", body=body, headers={},
                                               error="parser bug, since fixed")
    from triage.intake.ingest import replay_deliveries
    assert replay_deliveries(services=client.services) == (1, 0)
    assert client.services.buffer.depth() >= 1
    assert client.services.buffer.quarantined_deliveries() == []
