"""Pollers run by the product: the tick queues due sources, RQ jobs poll a real local HTTP server
(and a real dovecot), buffer through the ingest path and save the cursor only afterwards."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select

from tests.integration.channel_server import (  # noqa: F401
    FakePlatform,
    Reply,
    Seen,
    platform_fixture,
)
from tests.integration.helpers import run_jobs
from tests.integration.mail_servers import ImapAccount, dovecot_fixture  # noqa: F401
from triage import pipeline
from triage.config import SourceSettings
from triage.core.clock import FixedClock
from triage.devstack.mailbox_server import deliver
from triage.intake import polling
from triage.intake import store as sources_repo
from triage.intake.connectors import imap as imap_module
from triage.intake.source_status import list_statuses
from triage.platform import tables as t
from triage.platform.queue import POLL, queue

FEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "channels" / "rss"
MAILS = Path(__file__).resolve().parents[2] / "fixtures" / "channels" / "email"
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
FEED_PATH = "/comments/feed/"
TOKEN = "mastodon-token-s3cr3t-value"
NEW_COMMENT = """<item>
      <title>By: Ben</title>
      <link>https://blog.example.com/2026/03/hello-world/#comment-4</link>
      <dc:creator><![CDATA[Ben]]></dc:creator>
      <pubDate>Tue, 03 Mar 2026 11:00:00 +0000</pubDate>
      <guid isPermaLink="false">https://blog.example.com/?p=1#comment-4</guid>
      <description><![CDATA[My order never arrived]]></description>
    </item>
    """


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def use_sources(services, clock, sources: dict[str, SourceSettings]):
    """The service graph with these sources configured and a clock the test moves."""
    services.settings = services.settings.model_copy(update={"sources": sources})
    services.clock = clock
    return services


def blog(platform: FakePlatform, **options) -> SourceSettings:
    return SourceSettings(channel="rss", options={"url": platform.url + FEED_PATH, "interval": 60,
                                                  "allow_private_network": True, **options})


def mastodon(platform: FakePlatform, token: str = TOKEN) -> SourceSettings:
    return SourceSettings(channel="mastodon", options={"base_url": platform.url, "access_token": token,
                                                       "allow_private_network": True})


def serve_feed(platform: FakePlatform, *extra_items: str) -> None:
    feed = (FEEDS / "wordpress_comments.xml").read_text()
    for item in extra_items:
        feed = feed.replace("<item>", item + "<item>", 1)
    platform.on("GET", FEED_PATH, Reply(200, feed))


def stored(services, source: str | None = None) -> list[t.Message]:
    with services.db() as session:
        query = select(t.Message).order_by(t.Message.id)
        if source:
            query = query.where(t.Message.source == source)
        return list(session.scalars(query))


def row(services, slug: str) -> t.Source:
    with services.db() as session:
        return sources_repo.get(session=session, slug=slug)


def status(services, slug: str):
    return next(s for s in list_statuses(services=services) if s.slug == slug)


def test_the_tick_queues_a_due_source_once_and_again_only_when_its_interval_has_passed(
        services, clock, platform):
    use_sources(services, clock, {"blog": blog(platform), "hook": SourceSettings(secret="x" * 20)})
    serve_feed(platform)
    assert pipeline.tick(services=services)["polls"] == 1
    assert polling.enqueue_due(services=services) == 0  # queued already: never two in flight
    assert queue(services.redis, POLL).count == 1
    run_jobs(services)
    assert [m.external_id for m in stored(services, "blog")] == [
        "https://blog.example.com/?p=1#comment-1", "https://blog.example.com/?p=1#comment-3"]
    polled = status(services, "blog")
    assert (polled.status, polled.taken, polled.last_ok_at) == ("ok", 2, NOW)
    assert polled.next_poll_at == NOW + timedelta(seconds=60)
    assert polling.enqueue_due(services=services) == 0  # not due yet
    clock.at = NOW + timedelta(seconds=60)
    assert polling.enqueue_due(services=services) == 1
    run_jobs(services)
    assert len(platform.requests) == 2 and len(stored(services, "blog")) == 2


def test_the_cursor_is_saved_only_after_the_messages_are_buffered(services, clock, platform):
    use_sources(services, clock, {"blog": blog(platform)})
    serve_feed(platform)

    class DownBuffer:
        def accept(self, _items):
            raise redis.ConnectionError("redis went away")

    real = services.buffer
    services.__dict__["buffer"] = DownBuffer()
    with pytest.raises(redis.ConnectionError):
        polling.run_poll(services=services, source="blog")
    assert row(services, "blog").cursor == {} and row(services, "blog").status == "new"
    services.__dict__["buffer"] = real
    report = polling.run_poll(services=services, source="blog")
    assert report.new == 2 and row(services, "blog").cursor["seen"]


def test_a_crash_between_buffering_and_saving_the_cursor_ingests_nothing_twice(
        services, clock, platform, monkeypatch):
    use_sources(services, clock, {"blog": blog(platform)})
    serve_feed(platform)
    real_save = sources_repo.save

    def crash_once(**kwargs):
        monkeypatch.setattr(sources_repo, "save", real_save)
        raise RuntimeError("worker killed before the cursor was saved")

    monkeypatch.setattr(sources_repo, "save", crash_once)
    with pytest.raises(RuntimeError):
        polling.run_poll(services=services, source="blog")
    assert services.buffer.depth() == 2 and row(services, "blog").cursor == {}
    again = polling.run_poll(services=services, source="blog")  # re-polls from the old cursor
    assert (again.new, again.duplicates) == (0, 2)
    run_jobs(services)
    assert len(stored(services, "blog")) == 2
    assert row(services, "blog").cursor["seen"]


def test_two_polls_never_ingest_a_message_twice_even_when_the_cursor_is_lost(
        services, clock, platform):
    use_sources(services, clock, {"blog": blog(platform)})
    serve_feed(platform)
    first = polling.run_poll(services=services, source="blog", force=True)
    serve_feed(platform, NEW_COMMENT)  # the feed grows; the server sends it whole again
    second = polling.run_poll(services=services, source="blog", force=True)
    assert (first.new, second.new, second.duplicates) == (2, 1, 0)
    with services.db() as session, session.begin():  # the saved cursor is lost
        sources_repo.get(session=session, slug="blog").cursor = {}
    third = polling.run_poll(services=services, source="blog", force=True)
    assert (third.new, third.duplicates) == (0, 3)
    run_jobs(services)
    assert len(stored(services, "blog")) == 3
    assert status(services, "blog").taken == 3


def test_a_429_backs_off_for_retry_after_and_shows_in_the_status(services, clock, platform):
    use_sources(services, clock, {"blog": blog(platform)})
    platform.on("GET", FEED_PATH, Reply(429, "slow down", {"Retry-After": "120"}))
    report = polling.run_poll(services=services, source="blog")
    assert report.outcome == "rate_limited"
    shown = status(services, "blog")
    assert shown.status == "rate_limited" and "retry after 120s" in shown.last_error
    assert shown.next_poll_at == NOW + timedelta(seconds=120) and shown.failures == 1
    clock.at = NOW + timedelta(seconds=119)
    assert polling.enqueue_due(services=services) == 0
    clock.at = NOW + timedelta(seconds=120)
    serve_feed(platform)
    assert polling.enqueue_due(services=services) == 1
    run_jobs(services)
    healed = status(services, "blog")
    assert (healed.status, healed.failures, healed.last_error, healed.taken) == ("ok", 0, None, 2)


def test_repeated_server_errors_back_off_exponentially(services, clock, platform):
    use_sources(services, clock, {"blog": blog(platform)})
    platform.on("GET", FEED_PATH, Reply(503, "down"))
    waits = []
    for _ in range(3):
        polling.run_poll(services=services, source="blog", force=True)
        waits.append(status(services, "blog").next_poll_at - NOW)
    assert waits == [timedelta(seconds=60), timedelta(seconds=120), timedelta(seconds=240)]
    assert status(services, "blog").status == "retrying"


def test_an_expired_login_stops_one_source_while_another_keeps_polling(services, clock, platform):
    use_sources(services, clock, {"blog": blog(platform), "masto": mastodon(platform)})
    serve_feed(platform)
    platform.on("GET", "/api/v1/notifications", Reply(401, {"error": f"The token {TOKEN} expired"}))
    assert polling.enqueue_due(services=services) == 2
    run_jobs(services)
    masto = status(services, "masto")
    assert masto.status == "auth_expired" and masto.next_poll_at is None
    assert TOKEN not in masto.last_error and "***" in masto.last_error  # secrets never shown
    for minutes in (1, 2, 60 * 24):
        clock.at = NOW + timedelta(minutes=minutes)
        serve_feed(platform, NEW_COMMENT)
        assert polling.enqueue_due(services=services) == 1  # the blog only: no blind retries
        run_jobs(services)
    assert status(services, "blog").taken == 3
    assert sum(r.path == "/api/v1/notifications" for r in platform.requests) == 1
    # New credentials in the settings bring the source back by themselves.
    platform.on("GET", "/api/v1/notifications", Reply(200, []))
    use_sources(services, clock, {"blog": blog(platform), "masto": mastodon(platform, "new-token")})
    assert polling.enqueue_due(services=services) == 1  # masto; the blog is not due yet
    run_jobs(services)
    assert status(services, "masto").status == "ok"


def test_poll_now_retries_an_expired_source_and_is_refused_while_one_is_in_flight(
        services, clock, platform):
    use_sources(services, clock, {"masto": mastodon(platform)})
    platform.on("GET", "/api/v1/notifications", Reply(401, "expired"), Reply(200, []))
    polling.run_poll(services=services, source="masto")
    assert status(services, "masto").status == "auth_expired"
    assert polling.request_poll(services=services, source="masto") is True
    assert polling.request_poll(services=services, source="masto") is False
    assert status(services, "masto").in_flight
    run_jobs(services)
    assert status(services, "masto").status == "ok" and not status(services, "masto").in_flight


def test_a_running_poll_holds_its_source(services, clock, platform):
    use_sources(services, clock, {"blog": blog(platform)})
    serve_feed(platform)
    lock = polling.PollGate(services.redis).lock("blog")
    assert lock.acquire(blocking=False)
    try:
        assert polling.run_poll(services=services, source="blog", force=True).outcome == "busy"
        assert polling.poll_once(services=services, source="blog").outcome == "busy"
    finally:
        lock.release()
    assert platform.requests == []


@pytest.mark.usefixtures("platform")
def test_a_misconfigured_source_shows_the_field_but_not_the_values(services, clock):
    use_sources(services, clock, {"masto": SourceSettings(channel="mastodon", options={
        "access_token": TOKEN})})
    report = polling.run_poll(services=services, source="masto")
    assert report.outcome == "error" and "base_url: Field required" in report.error
    assert TOKEN not in status(services, "masto").last_error


@pytest.mark.usefixtures("platform")
def test_unknown_and_webhook_sources_cannot_be_polled(services, clock):
    use_sources(services, clock, {"hook": SourceSettings(secret="x" * 20)})
    with pytest.raises(polling.NotAPoller):
        polling.request_poll(services=services, source="hook")
    with pytest.raises(LookupError):
        polling.request_poll(services=services, source="nope")


def test_a_mailbox_backlog_is_polled_again_right_away(services, clock, dovecot, monkeypatch):
    monkeypatch.setattr(imap_module, "BATCH", 2)
    use_sources(services, clock, {"mail": SourceSettings(channel="imap", options={
        "host": dovecot.host, "port": dovecot.port, "username": dovecot.username,
        "password": dovecot.password, "security": "none",
        "allow_private_network": True})})
    deliver(dovecot, [(MAILS / name).read_bytes() for name in (
        "rfc5322_a2_original.eml", "rfc5322_a2_reply.eml", "rfc5322_a2_reply2.eml")])
    assert polling.enqueue_due(services=services) == 1
    run_jobs(services)  # the first poll leaves a backlog and queues the next one itself
    mails = stored(services, "mail")
    assert len(mails) == 3 and {m.thread_id for m in mails} == {"1234@local.machine.example"}
    assert status(services, "mail").status == "ok" and status(services, "mail").taken == 3
    with services.db() as session:
        assert session.scalar(select(func.count()).select_from(t.Source)) == 1
