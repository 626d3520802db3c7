"""One bad entry harms only itself (issue 16 part 1): skipped with a quarantine record, the rest of
the page ingested, the cursor moved, and the skip count on the source's status."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.integration.channel_server import FakePlatform, Reply, platform_fixture  # noqa: F401
from tests.integration.helpers import run_jobs
from triage.config import SourceSettings
from triage.core.clock import FixedClock
from triage.intake import polling
from triage.intake import store as sources_repo
from triage.intake.skips import SkipLog
from triage.intake.source_status import list_statuses

FIX = Path(__file__).resolve().parents[2] / "fixtures"
CORPUS = FIX / "corpus"
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
NOTES = "/api/v1/notifications"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


def configure(services, clock, sources: dict[str, SourceSettings]):
    services.settings = services.settings.model_copy(update={"sources": sources})
    services.clock = clock
    return services


def status(services, slug: str):
    return next(s for s in list_statuses(services=services) if s.slug == slug)


def three_mentions_the_middle_one_broken() -> list[dict]:
    """The documented notification three times; the middle status has a date that is no date."""
    doc = json.loads((FIX / "channels" / "mastodon" / "notifications.json").read_text())[0]
    notes = []
    for n in (3, 2, 1):  # newest first, as the API lists them
        note = copy.deepcopy(doc)
        note["id"], note["status"]["id"] = str(100 + n), str(10**17 + n)
        notes.append(note)
    notes[1]["status"]["created_at"] = "yesterday-ish"
    return notes


def test_a_bad_mention_is_quarantined_and_the_rest_of_the_page_is_ingested(
        services, clock, platform):
    configure(services, clock, {"masto": SourceSettings(channel="mastodon", options={
        "allow_private_network": True, "base_url": platform.url, "access_token": "tok-s3cr3t"})})
    platform.on("GET", NOTES, Reply(200, three_mentions_the_middle_one_broken()))

    report = polling.run_poll(services=services, source="masto", force=True)

    assert (report.outcome, report.new, report.skipped) == ("ok", 2, 1)
    run_jobs(services)
    with services.db() as session:
        row = sources_repo.get(session=session, slug="masto")
        assert row.cursor["since_id"] == "103"  # the cursor moved past the bad entry too
    records = SkipLog(services.redis).records("masto")
    assert [r["entry_id"] for r in records] == ["102"]
    assert "created_at" in records[0]["reason"] and "yesterday-ish" in records[0]["entry"]
    shown = status(services, "masto")
    assert (shown.status, shown.taken, shown.skipped) == ("ok", 2, 1)
    assert "1 unreadable entry skipped" in shown.note
    # The next poll starts after the bad entry: it is not skipped (or counted) again.
    platform.on("GET", NOTES, Reply(200, []))
    again = polling.run_poll(services=services, source="masto", force=True)
    assert (again.new, again.skipped, status(services, "masto").skipped) == (0, 0, 1)


def test_a_feed_whose_item_has_no_id_link_or_title_is_no_longer_stuck(services, clock, platform):
    # kurtmckee/feedparser tests/illformed/chardet/windows1255.xml: one description-only item.
    # It used to raise a pydantic ValidationError that failed every poll of the feed for good.
    feed = (CORPUS / "rss" / "feedparser" / "chardet-windows1255.xml").read_bytes()
    configure(services, clock, {"blog": SourceSettings(channel="rss", options={"allow_private_network": True,
        "url": platform.url + "/feed.xml"})})
    platform.on("GET", "/feed.xml", Reply(200, feed, {"Content-Type": "application/xml"}))

    report = polling.run_poll(services=services, source="blog", force=True)

    assert (report.outcome, report.new, report.skipped) == ("ok", 1, 0)
    text = report.messages[0].text
    assert "\u05d0" <= text.strip()[0] <= "\u05ea"  # Hebrew, detected: no windows-1252 mojibake
    assert status(services, "blog").status == "ok"


def test_deleted_and_own_entries_are_counted_as_ignored_on_the_status(services, clock, platform):
    notes = three_mentions_the_middle_one_broken()
    notes[1]["status"]["created_at"] = notes[0]["status"]["created_at"]
    notes[0]["status"] = None  # the mentioning status was deleted
    notes[2]["account"]["id"] = "our-own-account"
    configure(services, clock, {"masto": SourceSettings(channel="mastodon", options={
        "allow_private_network": True, "base_url": platform.url, "access_token": "tok",
        "own_account_ids": ["our-own-account"]})})
    platform.on("GET", NOTES, Reply(200, notes))

    report = polling.run_poll(services=services, source="masto", force=True)

    assert (report.new, report.ignored, report.skipped) == (1, 2, 0)
    assert (status(services, "masto").ignored, status(services, "masto").skipped) == (2, 0)
