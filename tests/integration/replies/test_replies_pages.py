"""The reply form in the inbox item (htmx, CSRF), its statuses, and `triage outbox` on the CLI."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.integration.helpers import PASSWORD, add_user, run_jobs
from tests.integration.replies_support import (  # noqa: F401
    FRIDAY_20,
    arrive,
    make_services_fixture,
    reply_row,
)
from triage.api.app import create_app

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in(services) -> tuple[TestClient, str]:
    add_user(services, "ana")
    client = TestClient(create_app(services))
    token = csrf_of(client.get("/login").text)
    client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": token})
    return client, csrf_of(client.get("/inbox").text)


def test_a_manager_replies_from_the_inbox_and_sees_it_sent_in_dry_run(make_services):
    services = make_services()
    item = arrive(services, "shop", "p1")
    client, token = signed_in(services)
    page = client.get("/inbox").text
    assert f'hx-post="/inbox/{item}/reply"' in page and 'name="defer"' not in page  # in hours
    assert client.post(f"/inbox/{item}/reply", data={"text": "hi"}).status_code == 403  # no CSRF
    r = client.post(f"/inbox/{item}/reply", data={"text": "We sent a new one today."},
                    headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 200 and f'id="replies-{item}"' in r.text
    assert "queued" in r.text and 'hx-trigger="every 2s"' in r.text  # polls until it has left
    run_jobs(services)
    shown = client.get(f"/inbox/{item}/replies").text
    assert "sent (dry run)" in shown and "every 2s" not in shown


def test_an_error_comes_back_in_the_form_with_the_draft_kept(make_services):
    services = make_services()
    item = arrive(services, "masto", "p2")
    client, token = signed_in(services)
    r = client.post(f"/inbox/{item}/reply", data={"text": "y" * 501},
                    headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert "mastodon replies are limited to 500 characters" in r.text and "y" * 501 in r.text


def test_after_hours_the_form_proposes_the_morning_and_shows_the_deferral(make_services):
    services = make_services(at=FRIDAY_20)
    # a normal question: holding until business hours is for low and normal items only
    item = arrive(services, "shop", "p3", "How do I change the e-mail address on my account?")
    client, token = signed_in(services)
    page = client.get("/inbox").text
    assert 'name="defer" value="true" checked' in page and "send in the morning (Mon 09:00)" in page
    r = client.post(f"/inbox/{item}/reply", data={"text": "Monday!", "defer": "true"},
                    headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert "deferred until Mon 09:00" in r.text


def test_a_failed_reply_shows_its_reason_and_a_retry_button(make_services):
    services = make_services(mode="live")
    item = arrive(services, "masto", "p4")  # nothing listens on the platform port: temporary
    client, token = signed_in(services)
    client.post(f"/inbox/{item}/reply", data={"text": "hello"},
                headers={"HX-Request": "true", "X-CSRF-Token": token})
    reply_id = 1
    _fail(services, reply_id, "POST /api/v1/statuses answered 401: token revoked")
    shown = client.get(f"/inbox/{item}/replies").text
    assert "failed: POST /api/v1/statuses answered 401: token revoked" in shown
    assert f'hx-post="/replies/{reply_id}/retry"' in shown
    r = client.post(f"/replies/{reply_id}/retry", headers={"HX-Request": "true",
                                                          "X-CSRF-Token": token})
    assert r.status_code == 200 and reply_row(services, reply_id).status == "queued"


def test_the_outbox_cli_lists_by_status_and_retries(make_services, monkeypatch):
    import triage.cli.common
    import triage.cli.main

    services = make_services(mode="live")
    item = arrive(services, "masto", "c1")
    client, token = signed_in(services)
    client.post(f"/inbox/{item}/reply", data={"text": "hello"}, headers={"X-CSRF-Token": token})
    monkeypatch.setattr(triage.cli.common, "services", lambda *_, **__: services)
    runner = CliRunner()
    listed = runner.invoke(triage.cli.main.app, ["outbox", "--status", "queued"])
    assert listed.exit_code == 0 and "queued: 1" in listed.output and "masto" in listed.output
    assert runner.invoke(triage.cli.main.app, ["outbox", "--status", "bogus"]).exit_code == 2
    refused = runner.invoke(triage.cli.main.app, ["outbox", "retry", "1"])
    assert refused.exit_code == 2 and "only failed or dead replies are retried" in refused.output
    _fail(services, 1)
    assert "failed: token revoked" in runner.invoke(triage.cli.main.app, ["outbox"]).output
    retried = runner.invoke(triage.cli.main.app, ["outbox", "retry", "1"])
    assert retried.exit_code == 0 and reply_row(services, 1).status == "queued"


def _fail(services, reply_id: int, error: str = "token revoked") -> None:
    from triage.platform.db import transaction
    from triage.replies import store as repo

    now = services.clock.now()
    with transaction(services.db) as session:
        repo.claim(session=session, reply_id=reply_id, now=now)
        repo.finish(session=session, reply_id=reply_id, now=now, status="failed", last_error=error)
