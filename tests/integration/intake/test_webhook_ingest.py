"""The generic signed webhook over HTTP against real Redis and each database backend."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from tests.integration.helpers import message, post_signed, run_jobs
from triage.platform import tables as t


def stored(services) -> int:
    with services.db() as s:
        return s.execute(select(func.count()).select_from(t.Message)).scalar_one()


def test_a_signed_message_is_buffered_in_redis_before_202(client, services):
    r = post_signed(client, message("m1", "hello there"))
    assert r.status_code == 202, r.text
    assert r.json() == {"accepted": 1, "duplicates": 0, "ignored": 0}
    assert services.buffer.depth() == 1
    run_jobs(services)
    assert stored(services) == 1 and services.buffer.depth() == 0


def test_a_redelivered_message_is_accepted_and_stored_once(client, services):
    for _ in range(3):
        assert post_signed(client, message("same", "hi")).status_code == 202
    run_jobs(services)
    assert stored(services) == 1
    assert post_signed(client, message("same", "hi")).json()["duplicates"] == 1


def test_a_batch_of_messages_is_accepted_in_one_delivery(client, services):
    r = post_signed(client, {"messages": [message(f"b{i}", f"text {i}") for i in range(5)]})
    assert r.json()["accepted"] == 5
    run_jobs(services)
    assert stored(services) == 5


@pytest.mark.parametrize("headers_case", ["missing", "wrong", "expired", "other_secret"])
def test_a_bad_signature_gets_401_and_stores_nothing(client, services, headers_case):
    payload = message("x1", "hello")
    if headers_case == "missing":
        r = client.post("/webhooks/test", json=payload)
    elif headers_case == "wrong":
        r = post_signed(client, payload, secret="not-the-secret")
    elif headers_case == "expired":
        r = post_signed(client, payload, timestamp=int(time.time()) - 3600)
    else:
        r = post_signed(client, payload, source="other")
    assert r.status_code == 401
    assert r.json()["detail"]
    run_jobs(services)
    assert services.buffer.depth() == 0 and stored(services) == 0


def test_a_body_over_the_limit_gets_413_and_stores_nothing(client, services):
    big = message("big", "x" * (services.settings.webhook_max_body + 10))
    r = post_signed(client, big)
    assert r.status_code == 413
    assert "bytes" in r.json()["detail"]
    assert services.buffer.depth() == 0


@pytest.mark.parametrize("payload,field", [
    ({"text": "no id", "author": {"id": "a"}, "created_at": "2026-01-01T00:00:00Z"}, "external_id"),
    ({"external_id": "e", "text": "t", "created_at": "2026-01-01T00:00:00Z"}, "author"),
    ({"external_id": "e", "text": "t", "author": {"id": "a"}, "created_at": "not a date"}, "created_at"),
    ({"messages": [{"external_id": "bad"}, {"external_id": "worse"}]}, "messages[0]"),  # none usable
])
def test_a_malformed_body_gets_422_naming_the_field_and_stores_nothing(client, services, payload,
                                                                       field):
    r = post_signed(client, payload)
    assert r.status_code == 422
    assert field in r.json()["detail"]["field"]
    assert services.buffer.depth() == 0


def test_a_body_that_is_not_json_gets_422(client, services):
    r = post_signed(client, None, body=b"\xff\xfe not json")
    assert r.status_code == 422
    assert r.json()["detail"]["field"] == "body"
    assert services.buffer.depth() == 0


def test_an_unknown_source_gets_404(client):
    r = post_signed(client, message("u", "hi"), source="nope")
    assert r.status_code == 404
