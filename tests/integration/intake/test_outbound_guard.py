"""Pollers refuse non-public hosts, after redirects too, and say so on the sources page (issue 12, part 7)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.integration.channel_server import FakePlatform, Reply, platform_fixture  # noqa: F401
from tests.integration.helpers import add_user, bearer
from triage.api.app import create_app
from triage.config import SourceSettings
from triage.core.clock import FixedClock
from triage.intake import netguard, polling

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
FEED = """<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>
<item><guid>c-1</guid><title>By: Ana</title><link>https://blog.example.com/p/#comment-1</link>
<description>Where is my refund?</description><pubDate>Tue, 03 Mar 2026 10:00:00 +0000</pubDate></item>
</channel></rss>"""


def with_sources(services, **sources: SourceSettings):
    services.settings = services.settings.model_copy(update={"sources": sources})
    services.clock = FixedClock(NOW)
    return services


def test_a_feed_at_the_metadata_address_is_refused_and_the_sources_page_says_why(services):
    with_sources(services, meta=SourceSettings(channel="rss", options={
        "url": "http://169.254.169.254/latest/meta-data/"}),
        mail=SourceSettings(channel="imap", options={
            "host": "169.254.169.254", "port": 143, "username": "u", "password": "p",
            "security": "none"}))
    for source in ("meta", "mail"):
        report = polling.run_poll(services=services, source=source, force=True)
        assert report.outcome == "error" and "169.254.169.254 is a link-local address" in report.error
    lead = add_user(services, "lee", "lead")
    api = TestClient(create_app(services))
    listed = {s["slug"]: s for s in api.get("/api/sources", headers=bearer(lead)).json()}
    assert "allow_private_network" in listed["meta"]["last_error"]
    assert "link-local" in api.get("/sources", headers=bearer(lead)).text


def test_a_local_feed_is_refused_by_default_and_polled_when_the_source_allows_it(services, platform):
    platform.on("GET", "/feed", Reply(200, FEED))
    with_sources(services, blog=SourceSettings(channel="rss", options={"url": platform.url + "/feed"}))
    refused = polling.run_poll(services=services, source="blog", force=True)
    assert refused.outcome == "error" and "loopback" in refused.error and not platform.requests
    with_sources(services, blog=SourceSettings(channel="rss", options={
        "url": platform.url + "/feed", "allow_private_network": True}))
    allowed = polling.run_poll(services=services, source="blog", force=True)
    assert allowed.outcome == "ok" and allowed.new == 1


def test_a_redirect_to_a_refused_address_is_caught_on_the_second_hop(services, platform, monkeypatch):
    # 127.0.0.1 stands in for a public host here; 127.0.0.2 for the internal one it redirects to.
    monkeypatch.setattr(netguard, "blocked_reason",
                        lambda address: "internal (test)" if address == "127.0.0.2" else None)
    port = platform.url.rsplit(":", 1)[1]
    platform.on("GET", "/feed", Reply(302, "", {"Location": f"http://127.0.0.2:{port}/secret"}))
    with_sources(services, blog=SourceSettings(channel="rss", options={"url": platform.url + "/feed"}))
    report = polling.run_poll(services=services, source="blog", force=True)
    assert report.outcome == "error" and "127.0.0.2: internal (test)" in report.error
    assert [seen.path for seen in platform.requests] == ["/feed"]
