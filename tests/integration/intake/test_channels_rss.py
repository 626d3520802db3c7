"""The feed poller against a real local HTTP server serving documented feeds."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.integration.channel_server import (  # noqa: F401
    FakePlatform,
    Reply,
    Seen,
    http_fixture,
    platform_fixture,
)
from triage.intake.connectors.polling import AuthExpired, PollError, RateLimited, TransientError
from triage.intake.connectors.rss import FeedConfig, FeedPoller

FEEDS = Path(__file__).resolve().parents[2] / "fixtures" / "channels" / "rss"
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def poller(platform: FakePlatform, path: str = "/comments/feed/") -> FeedPoller:
    return FeedPoller(FeedConfig(url=platform.url + path), source="blog")


def test_comments_arrive_oldest_first_threaded_by_their_post(platform, http):
    platform.on("GET", "/comments/feed/", Reply(200, (FEEDS / "wordpress_comments.xml").read_bytes()))
    result = poller(platform).poll(cursor=None, http=http, now=NOW)
    assert [m.author.name for m in result.messages] == ["A WordPress Commenter", "Ana"]
    ana = result.messages[1]
    assert ana.external_id == "https://blog.example.com/?p=1#comment-3"
    assert ana.thread_id == "https://blog.example.com/2026/03/hello-world/"
    # The title stays beside the body: it names the post the comment is on (issue 16).
    assert ana.text.endswith("\n\nThanks! Does the export also work on Windows?")
    assert ana.text.startswith("Comment on ")
    assert ana.created_at == datetime(2026, 3, 3, 10, 5, tzinfo=UTC)


def test_a_second_poll_is_conditional_and_takes_nothing_twice(platform, http):
    feed = (FEEDS / "wordpress_comments.xml").read_bytes()

    def serve(seen: Seen) -> Reply:
        if seen.headers.get("If-None-Match") == '"v1"':
            return Reply(304)
        return Reply(200, feed, {"ETag": '"v1"'})

    platform.on("GET", "/comments/feed/", serve)
    rss = poller(platform)
    first = rss.poll(cursor=None, http=http, now=NOW)
    second = rss.poll(cursor=first.cursor, http=http, now=NOW)
    assert len(first.messages) == 2 and second.messages == []
    assert platform.requests[1].headers["If-None-Match"] == '"v1"'
    # The server forgets its ETag and sends the whole feed again: the seen ids still hold.
    platform.on("GET", "/comments/feed/", Reply(200, feed))
    third = rss.poll(cursor=second.cursor, http=http, now=NOW)
    assert third.messages == []


def test_only_the_new_comment_is_taken_when_the_feed_grows(platform, http):
    feed = (FEEDS / "wordpress_comments.xml").read_text()
    platform.on("GET", "/comments/feed/", Reply(200, feed))
    rss = poller(platform)
    first = rss.poll(cursor=None, http=http, now=NOW)
    newer = feed.replace("<item>", """<item>
        <title>Comment on Hello world! by Bo</title>
        <link>https://blog.example.com/2026/03/hello-world/#comment-4</link>
        <dc:creator><![CDATA[Bo]]></dc:creator>
        <pubDate>Tue, 03 Mar 2026 11:00:00 +0000</pubDate>
        <guid isPermaLink="false">https://blog.example.com/?p=1#comment-4</guid>
        <description><![CDATA[Same question here.]]></description>
    </item><item>""", 1)
    platform.on("GET", "/comments/feed/", Reply(200, newer))
    second = rss.poll(cursor=first.cursor, http=http, now=NOW)
    assert [m.text for m in second.messages] == ["Comment on Hello world! by Bo\n\nSame question here."]


def test_atom_thr_in_reply_to_joins_the_reply_to_the_original_entry(platform, http):
    platform.on("GET", "/atom", Reply(200, (FEEDS / "atom_threading.xml").read_bytes()))
    result = poller(platform, "/atom").poll(cursor=None, http=http, now=NOW)
    by_id = {m.external_id: m for m in result.messages}
    original, response = by_id["tag:example.org,1999:id"], by_id["tag:example.org,1999:id2"]
    assert response.thread_id == "tag:example.org,1999:id"
    assert original.thread_key == response.thread_key
    assert original.author.name == "James"


@pytest.mark.parametrize("reply, error", [
    (Reply(429, "slow down", {"Retry-After": "120"}), RateLimited),
    (Reply(503, "maintenance"), TransientError),
    (Reply(401, "gone"), AuthExpired),
    (Reply(200, "<html><body>not a feed"), PollError),
])
def test_platform_failures_raise_typed_errors(platform, http, reply, error):
    platform.on("GET", "/comments/feed/", reply)
    with pytest.raises(error) as err:
        poller(platform).poll(cursor={"seen": ["x"]}, http=http, now=NOW)
    if error is RateLimited:
        assert err.value.retry_after == 120
