"""Replies from the inbox through the outbox: real Redis and RQ, SQLite and PostgreSQL, a real
SMTP server and the local HTTP platform server."""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta

import pytest

from tests.integration.channel_server import Reply, http_fixture, platform_fixture  # noqa: F401
from tests.integration.helpers import run_jobs
from tests.integration.mail_servers import smtp_fixture  # noqa: F401
from tests.integration.replies_support import (  # noqa: F401
    FRIDAY_20,
    MONDAY_9,
    Api,
    arrive,
    item_status,
    make_services_fixture,
    reply_row,
)
from triage.core.message import Author
from triage.platform.sent_ids import SentIds
from triage.replies import outbox
from triage.replies.outbox import SENDING_STALE


def test_a_dry_run_reply_is_recorded_as_sent_without_touching_the_network(make_services, platform):
    services = make_services(mode="dry-run", platform_url=platform.url)
    api = Api(services)
    item = arrive(services, "masto", "111")
    r = api.reply(item, "Sorry about that, we are on it.")
    assert r.status_code == 202 and r.json()["status"] == "queued" and r.json()["dry_run"]
    run_jobs(services)
    replies = api.get(f"/api/messages/{item}/replies").json()["replies"]
    assert [(x["status"], x["label"]) for x in replies] == [("sent", "sent (dry run)")]
    assert platform.requests == []
    assert item_status(services, item) == "resolved"
    assert SentIds(services.redis).ours(source="masto", ids=["dry-run-1", "111"]) == set()


def test_keep_open_leaves_the_item_open_after_the_reply_is_sent(make_services):
    services = make_services()
    api = Api(services)
    item = arrive(services, "shop", "k1")
    api.reply(item, "Looking into it, will get back to you.", keep_open=True)
    run_jobs(services)
    assert api.get(f"/api/messages/{item}/replies").json()["replies"][0]["status"] == "sent"
    assert item_status(services, item) == "open"


def test_replies_are_validated_with_a_reason_and_roles_are_enforced(make_services):
    services = make_services()
    api = Api(services)
    item = arrive(services, "masto", "v1")
    assert api.reply(item, "   ").status_code == 422
    too_long = api.reply(item, "x" * 600)
    assert too_long.status_code == 422
    assert "mastodon replies are limited to 500 characters" in too_long.json()["detail"]
    assert api.post(f"/api/inbox/{item}/claim", "agent2").status_code == 200
    held = api.reply(item, "mine now?")
    assert held.status_code == 403 and "held by bo" in held.json()["detail"]
    assert api.reply(item, "A lead may answer.", as_="lead").status_code == 202
    assert api.reply(999_999, "nobody").status_code == 404


def test_a_live_generic_source_cannot_reply_and_says_so(make_services):
    services = make_services(mode="live")
    api = Api(services)
    item = arrive(services, "shop", "g1")
    r = api.reply(item, "hello")
    assert r.status_code == 422 and "generic sources cannot send replies" in r.json()["detail"]


def test_mastodon_rate_limit_is_retried_after_retry_after_with_the_same_idempotency_key(
        make_services, platform):
    platform.on("POST", "/api/v1/statuses",
                Reply(429, {"error": "slow down"}, {"Retry-After": "120"}),
                Reply(200, {"id": "1099"}))
    services = make_services(mode="live", platform_url=platform.url)
    api = Api(services)
    item = arrive(services, "masto", "200")
    reply_id = api.reply(item, "Thanks, checking now.").json()["id"]
    run_jobs(services)
    row = reply_row(services, reply_id)
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.next_attempt_at == services.clock.now() + timedelta(seconds=120)
    services.clock.at += timedelta(seconds=60)
    outbox.tick(services=services)
    run_jobs(services)
    assert len(platform.requests) == 1  # not before Retry-After
    services.clock.at += timedelta(seconds=61)
    outbox.tick(services=services)
    run_jobs(services)
    row = reply_row(services, reply_id)
    assert (row.status, row.external_id, row.attempts) == ("sent", "1099", 2)
    # Recorded for intake: the platform's copy of our reply (status 1099) never becomes an item.
    assert SentIds(services.redis).ours(source="masto", ids=["1099", "200"]) == {"1099"}
    first, second = platform.requests
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert second.json() == {"status": "@sam Thanks, checking now.", "in_reply_to_id": "200"}
    assert item_status(services, item) == "resolved"


def test_a_server_error_is_retried_with_back_off_then_sent(make_services, platform):
    platform.on("POST", "/api/v1/statuses", Reply(503, "down"), Reply(200, {"id": "77"}))
    services = make_services(mode="live", platform_url=platform.url)
    api = Api(services)
    reply_id = api.reply(arrive(services, "masto", "300"), "On it.").json()["id"]
    run_jobs(services)
    assert "answered 503" in reply_row(services, reply_id).last_error
    services.clock.at += timedelta(minutes=1)
    outbox.tick(services=services)
    run_jobs(services)
    assert reply_row(services, reply_id).status == "sent"


def test_a_revoked_token_fails_visibly_and_a_manager_retries_it(make_services, platform):
    platform.on("POST", "/api/v1/statuses", Reply(401, {"error": "The access token was revoked"}),
                Reply(200, {"id": "88"}))
    services = make_services(mode="live", platform_url=platform.url)
    api = Api(services)
    item = arrive(services, "masto", "400")
    reply_id = api.reply(item, "Hello again.").json()["id"]
    run_jobs(services)
    shown = api.get(f"/api/messages/{item}/replies").json()["replies"][0]
    assert shown["status"] == "failed" and shown["retryable"]
    assert shown["label"].startswith("failed:") and "access token was revoked" in shown["label"]
    services.clock.at += timedelta(hours=3)
    outbox.tick(services=services)
    run_jobs(services)
    assert reply_row(services, reply_id).status == "failed"  # no automatic retry of a refusal
    assert api.post(f"/api/replies/{reply_id}/retry").status_code == 202
    run_jobs(services)
    assert reply_row(services, reply_id).status == "sent"
    assert api.post(f"/api/replies/{reply_id}/retry").status_code == 409


class WorkerDied(BaseException):
    """What a killed work-horse looks like from inside: nothing after this point runs."""


def test_a_reply_is_never_lost_when_the_worker_dies_mid_send(make_services, platform):
    platform.on("POST", "/api/v1/statuses", Reply(200, {"id": "55"}))
    services = make_services(mode="live", platform_url=platform.url)
    api = Api(services)
    reply_id = api.reply(arrive(services, "masto", "500"), "Fixed now.").json()["id"]

    def dies(*_args, **_kw):
        raise WorkerDied()

    with pytest.raises(WorkerDied):
        outbox.send(services=services, ids=[reply_id], build=dies)
    assert reply_row(services, reply_id).status == "sending"
    services.redis.flushdb()  # the job died with the worker
    services.clock.at += SENDING_STALE / 2
    outbox.tick(services=services)
    assert reply_row(services, reply_id).status == "sending"  # may still be in flight
    services.clock.at += SENDING_STALE
    outbox.tick(services=services)
    run_jobs(services)
    row = reply_row(services, reply_id)
    assert (row.status, row.external_id, row.attempts) == ("sent", "55", 2)
    assert len(platform.requests) == 1


def test_a_late_reply_deferred_to_the_morning_leaves_at_business_start(make_services):
    services = make_services(at=FRIDAY_20)
    api = Api(services)
    # a normal question: only low and normal replies may wait for business hours
    item = arrive(services, "shop", "d1", "How do I change the e-mail address on my account?")
    body = api.reply(item, "Answer for Monday.", defer=True).json()
    assert body["status"] == "deferred" and body["send_after"] == MONDAY_9.isoformat()
    assert body["label"] == "deferred until Mon 09:00"
    services.clock.at = MONDAY_9 - timedelta(minutes=1)
    outbox.tick(services=services)
    run_jobs(services)
    assert reply_row(services, body["id"]).status == "deferred"
    assert item_status(services, item) == "open"
    services.clock.at = MONDAY_9
    outbox.tick(services=services)
    run_jobs(services)
    assert reply_row(services, body["id"]).status == "sent"
    assert item_status(services, item) == "resolved"


def _set_holding(services, text: str) -> None:
    from triage.platform.db import transaction
    from triage.scheduling.staffing import set_rules

    with transaction(services.db) as session:
        set_rules(session=session, raw={"holding_reply": text}, actor="lee",
                  now=services.clock.now())


def _holding(services) -> list:
    from sqlalchemy import select

    from triage.platform.tables_replies import Reply as Row

    with services.db() as session:
        return list(session.scalars(select(Row).where(Row.kind == "holding").order_by(Row.id)))


def test_a_holding_reply_goes_once_per_thread_out_of_hours_and_never_in_hours(make_services,
                                                                             platform):
    platform.on("POST", "/api/v1/statuses", Reply(200, {"id": "h1"}))
    services = make_services(mode="live", platform_url=platform.url, at=FRIDAY_20)
    _set_holding(services, "Thanks! We are back Monday 9:00 and will answer then.")
    item = arrive(services, "masto", "600", thread="t-600")
    outbox.tick(services=services)
    run_jobs(services)
    arrive(services, "masto", "601", thread="t-600", text="Hello?? " + "still waiting, no order")
    arrive(services, "masto", "602", thread="t-602", text="free followers click here dm me for")
    outbox.tick(services=services)
    run_jobs(services)
    (holding,) = _holding(services)
    assert (holding.message_id, holding.status) == (item, "sent")
    assert platform.requests[0].json()["status"].startswith("@sam Thanks! We are back Monday")
    assert item_status(services, item) == "open"  # a holding reply answers nothing
    services.clock.at = MONDAY_9 + timedelta(hours=2)
    arrive(services, "masto", "700", thread="t-700")
    outbox.tick(services=services)
    assert len(_holding(services)) == 1


def test_no_holding_reply_unless_a_lead_sets_one(make_services):
    services = make_services(at=FRIDAY_20)
    arrive(services, "shop", "n1")
    outbox.tick(services=services)
    assert _holding(services) == []


def test_an_email_reply_goes_through_real_smtp_in_the_thread(make_services, smtp_server):
    services = make_services(mode="live", smtp=smtp_server)
    api = Api(services)
    item = arrive(services, "mail", "3456@example.net", thread="1234@example.net",
                  author=Author(id="mary@example.net", name="Mary"),
                  raw={"subject": "Order 42", "references": "<1234@example.net>"})
    reply_id = api.reply(item, "Your parcel left today.").json()["id"]
    run_jobs(services)
    (mail_from, rcpts, raw), = smtp_server.received
    sent = email.message_from_bytes(raw, policy=email.policy.default)
    assert (mail_from, rcpts) == ("support@example.com", ["mary@example.net"])
    assert sent["In-Reply-To"] == "<3456@example.net>" and sent["Subject"] == "Re: Order 42"
    assert reply_row(services, reply_id).external_id == sent["Message-ID"].strip("<>")


def test_metrics_show_replies_by_outcome_and_the_outbox_by_status(make_services):
    services = make_services()
    api = Api(services)
    api.reply(arrive(services, "shop", "m1"), "One.")
    run_jobs(services)
    body = api.get("/metrics").text
    assert 'triage_outbox_depth{status="sent"} 1.0' in body
    assert 'triage_outbox_depth{status="queued"}' not in body
    assert 'triage_replies_total{channel="generic",outcome="dry_run"}' in body
