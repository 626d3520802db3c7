"""The Mastodon poller against a local server paging notifications like the real API."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.integration.channel_server import (  # noqa: F401
    Reply,
    http_fixture,
    mastodon_timeline,
    platform_fixture,
)
from triage.intake.connectors.mastodon import MastodonConfig, MastodonPoller
from triage.intake.connectors.polling import (
    MAX_PAGES_PER_POLL,
    AuthExpired,
    RateLimited,
    TransientError,
)

DOC = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "channels" / "mastodon"
                  / "notifications.json").read_text())
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
PATH = "/api/v1/notifications"


def mentions(first_id: int, count: int) -> list[dict]:
    """`count` copies of the documented mention with increasing ids."""
    notes = []
    for n in range(first_id, first_id + count):
        note = copy.deepcopy(DOC[0])
        note["id"] = str(n)
        note["status"]["id"] = str(10**17 + n)
        note["status"]["content"] = f"<p>mention number {n}</p>"
        notes.append(note)
    return notes


def poller(platform) -> MastodonPoller:
    config = MastodonConfig(base_url=platform.url, access_token="tok-123")
    return MastodonPoller(config, source="mastodon-social")


def test_the_documented_mention_is_parsed_and_the_favourite_skipped(platform, http):
    platform.on("GET", PATH, Reply(200, DOC))
    result = poller(platform).poll(cursor=None, http=http, now=NOW)
    (msg,) = result.messages
    assert msg.external_id == "103186126728896492"
    assert msg.thread_id == "103186038209478512"
    assert msg.text == "@trwnh sup!" and msg.author.handle == "zsc"
    assert msg.url == "https://mastodon.social/@zsc/103186126728896492"
    assert result.cursor["since_id"] == "34975861"
    assert platform.requests[0].headers["Authorization"] == "Bearer tok-123"
    assert platform.requests[0].arg("types[]") == "mention"


def test_a_first_run_takes_only_the_newest_page(platform, http):
    platform.on("GET", PATH, mastodon_timeline(platform, mentions(1, 100), PATH))
    result = poller(platform).poll(cursor=None, http=http, now=NOW)
    assert len(result.messages) == 40 and result.cursor["since_id"] == "100"


def test_a_backlog_is_paged_forward_through_link_headers_without_gaps_or_repeats(platform, http):
    platform.on("GET", PATH, mastodon_timeline(platform, mentions(1, 130), PATH))
    result = poller(platform).poll(cursor={"since_id": "5"}, http=http, now=NOW)
    ids = [int(m.external_id) - 10**17 for m in result.messages]
    assert ids == list(range(6, 131))
    assert result.cursor["since_id"] == "130"
    assert platform.requests[0].arg("min_id") == "5"
    again = poller(platform).poll(cursor=result.cursor, http=http, now=NOW)
    assert again.messages == []


def test_a_backlog_bigger_than_the_page_cap_resumes_where_it_stopped(platform, http):
    total = 40 * MAX_PAGES_PER_POLL + 10
    platform.on("GET", PATH, mastodon_timeline(platform, mentions(1, total), PATH))
    first = poller(platform).poll(cursor={"since_id": "0"}, http=http, now=NOW)
    assert first.status == "backlog" and first.retry_after == 0
    rest = poller(platform).poll(cursor=first.cursor, http=http, now=NOW)
    assert len(first.messages) + len(rest.messages) == total
    assert rest.status == "ok"


@pytest.mark.parametrize("reply, error", [
    (Reply(429, {"error": "Too many requests"}, {"Retry-After": "30"}), RateLimited),
    (Reply(502, "bad gateway"), TransientError),
    (Reply(401, {"error": "The access token was revoked"}), AuthExpired),
])
def test_failures_keep_the_cursor_and_raise_typed_errors(platform, http, reply, error):
    platform.on("GET", PATH, reply)
    cursor = {"since_id": "7", "seen": []}
    with pytest.raises(error):
        poller(platform).poll(cursor=cursor, http=http, now=NOW)
    assert cursor == {"since_id": "7", "seen": []}
