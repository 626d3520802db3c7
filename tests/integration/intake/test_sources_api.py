"""Source status over HTTP: leads and admins see every source and can poll one now; agents cannot;
cursors, options and secrets never leave the server."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.integration.channel_server import FakePlatform, Reply, platform_fixture  # noqa: F401
from tests.integration.helpers import PASSWORD, add_user, bearer, run_jobs
from triage.api.app import create_app
from triage.config import SourceSettings
from triage.core.clock import FixedClock
from triage.intake import polling

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
TOKEN = "mastodon-token-s3cr3t-value"
HOOK_SECRET = "hook-secret-0123456789"
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>
<item><guid>c-1</guid><title>By: Ana</title><link>https://blog.example.com/p/#comment-1</link>
<description>Where is my refund?</description><pubDate>Tue, 03 Mar 2026 10:00:00 +0000</pubDate></item>
</channel></rss>"""


@pytest.fixture
def configured(services, platform):
    services.settings = services.settings.model_copy(update={"sources": {
        "blog": SourceSettings(channel="rss", options={"url": platform.url + "/feed",
                                                        "allow_private_network": True}),
        "masto": SourceSettings(channel="mastodon", options={"base_url": platform.url,
                                                             "access_token": TOKEN,
                                                             "allow_private_network": True}),
        "shop": SourceSettings(channel="generic", secret=HOOK_SECRET)}})
    services.clock = FixedClock(NOW)
    platform.on("GET", "/feed", Reply(200, FEED))
    platform.on("GET", "/api/v1/notifications", Reply(429, "", {"Retry-After": "300"}))
    return services


@pytest.fixture
def client(configured):
    with TestClient(create_app(configured)) as c:
        yield c


@pytest.fixture
def tokens(configured):
    return {role: add_user(configured, role, role) for role in ("agent", "lead", "admin")}


def test_only_leads_and_admins_see_sources_or_poll_them(client, tokens):
    assert client.get("/api/sources").status_code == 401
    assert client.post("/api/sources/blog/poll").status_code == 401
    assert client.get("/api/sources", headers=bearer(tokens["agent"])).status_code == 403
    assert client.post("/api/sources/blog/poll", headers=bearer(tokens["agent"])).status_code == 403
    for role in ("lead", "admin"):
        assert client.get("/api/sources", headers=bearer(tokens[role])).status_code == 200


def test_the_status_lists_every_source_with_its_schedule_and_never_a_secret(
        client, tokens, configured):
    lead = bearer(tokens["lead"])
    assert polling.enqueue_due(services=configured) == 2
    run_jobs(configured)
    r = client.get("/api/sources", headers=lead)
    by_slug = {s["slug"]: s for s in r.json()}
    assert set(by_slug) == {"blog", "masto", "shop"}
    blog, masto, shop = by_slug["blog"], by_slug["masto"], by_slug["shop"]
    assert (blog["kind"], blog["status"], blog["taken"]) == ("poller", "ok", 1)
    assert blog["last_ok_at"] == "2026-03-03T12:00:00Z"
    assert blog["next_poll_at"] == "2026-03-03T12:01:00Z"
    assert (masto["status"], masto["failures"]) == ("rate_limited", 1)
    assert "retry after 300s" in masto["last_error"]
    assert masto["next_poll_at"] == "2026-03-03T12:05:00Z"
    assert (shop["kind"], shop["status"]) == ("webhook", "listening")
    for leaked in (TOKEN, HOOK_SECRET, "cursor", "options", "access_token", "seen"):
        assert leaked not in r.text


def test_poll_now_queues_one_poll_and_refuses_a_second_while_it_is_in_flight(
        client, tokens, configured):
    lead = bearer(tokens["lead"])
    first = client.post("/api/sources/blog/poll", headers=lead)
    assert first.status_code == 202 and first.json() == {"slug": "blog", "queued": True}
    again = client.post("/api/sources/blog/poll", headers=lead)
    assert again.status_code == 409 and "already queued or running" in again.json()["detail"]
    run_jobs(configured)
    assert client.post("/api/sources/blog/poll", headers=lead).status_code == 202


def test_poll_now_names_unknown_and_webhook_sources(client, tokens):
    lead = bearer(tokens["lead"])
    assert client.post("/api/sources/nope/poll", headers=lead).status_code == 404
    hook = client.post("/api/sources/shop/poll", headers=lead)
    assert hook.status_code == 422 and "receives webhooks" in hook.json()["detail"]


def _sign_in(client: TestClient, username: str) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token},
                    follow_redirects=False)
    assert r.status_code == 303
    return token


@pytest.mark.usefixtures("tokens")
def test_the_sources_page_shows_status_and_polls_now_with_a_csrf_token(client, configured):
    polling.run_poll(services=configured, source="masto")
    _sign_in(client, "lead")
    page = client.get("/sources")
    assert page.status_code == 200 and "rate_limited" in page.text and "listening" in page.text
    assert TOKEN not in page.text and HOOK_SECRET not in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/sources/blog/poll", data={}, follow_redirects=False).status_code == 403
    r = client.post("/sources/blog/poll", data={"csrf_token": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sources?polled=blog"
    assert "A poll of <strong>blog</strong> is queued" in client.get("/sources?polled=blog").text


@pytest.mark.usefixtures("tokens")
def test_agents_do_not_get_the_sources_page(client):
    _sign_in(client, "agent")
    assert client.get("/sources").status_code == 403


def test_metrics_count_polls_and_errors_and_show_sources_by_status(client, tokens, configured):
    polling.run_poll(services=configured, source="blog")
    polling.run_poll(services=configured, source="masto")
    body = client.get("/metrics", headers=bearer(tokens["agent"])).text
    assert 'triage_polls_total{outcome="ok",source="blog"}' in body
    assert 'triage_poll_errors_total{kind="rate_limited",source="masto"}' in body
    assert 'triage_sources{status="ok"} 1.0' in body
    assert 'triage_sources{status="rate_limited"} 1.0' in body


def test_an_expired_login_shows_in_the_metrics_naming_its_source(client, tokens, configured, platform):
    platform.on("GET", "/api/v1/notifications", Reply(401, {"error": "The access token expired"}))
    polling.run_poll(services=configured, source="blog")
    polling.run_poll(services=configured, source="masto")
    body = client.get("/metrics", headers=bearer(tokens["agent"])).text
    assert 'triage_source_auth_expired{source="masto"} 1.0' in body
    assert 'triage_source_auth_expired{source="blog"} 0.0' in body
    assert 'source="shop"' not in body.split("triage_source_auth_expired", 1)[1].split("# HELP", 1)[0]
