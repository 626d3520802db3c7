"""Each poller end to end: documented payloads on a local platform server, the tick queues the
poll, real RQ runs poll -> drain -> score -> route, and the items show in /api/inbox once.

The platform server keeps answering with the same documented payloads on the second poll, so
the no-double-ingest check holds whether the cursor or the buffer's dedup keeps the copies out.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from tests.integration.channel_server import (  # noqa: F401
    FakePlatform,
    Reply,
    platform_fixture,
)
from tests.integration.helpers import add_user, bearer, run_jobs
from triage import pipeline
from triage.api.app import create_app
from triage.config import SourceSettings
from triage.core.clock import FixedClock
from triage.intake import polling
from triage.intake.source_status import list_statuses

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "channels"
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
INTERVAL = 60
SLUG = "polled"


def _json(*parts: str):
    return json.loads(FIX.joinpath(*parts).read_text())


def rss(platform: FakePlatform) -> dict:
    platform.on("GET", "/comments/feed/", Reply(200, (FIX / "rss" / "wordpress_comments.xml").read_bytes()))
    return {"url": platform.url + "/comments/feed/"}


def mastodon(platform: FakePlatform) -> dict:
    platform.on("GET", "/api/v1/notifications", Reply(200, _json("mastodon", "notifications.json")))
    return {"base_url": platform.url, "access_token": "tok-123"}


def reddit(platform: FakePlatform) -> dict:
    platform.on("POST", "/api/v1/access_token", Reply(200, {
        "access_token": "at-1", "token_type": "bearer", "expires_in": 86400, "scope": "*"}))
    platform.on("GET", "/message/inbox", Reply(200, _json("reddit", "inbox.json")))
    return {"client_id": "cid", "client_secret": "csecret", "refresh_token": "rt-1",
            "user_agent": "linux:triage:0.1 (by /u/example_support)",
            "api_base": platform.url, "token_url": platform.url + "/api/v1/access_token"}


LI_POST = "urn:li:activity:6636062862760562688"
LI_SHARE = "urn:li:share:7301846528388907008"
LI_MENTIONED_ON = "urn:li:activity:7301790225107365888"
LI_COMMENT = f"urn:li:comment:({LI_MENTIONED_ON},7301915719962349568)"


def linkedin(platform: FakePlatform) -> dict:
    """The page's own post with its documented comment, plus the documented mentions."""
    platform.on("GET", "/rest/posts", Reply(200, _json("linkedin", "posts.json")))
    platform.on("GET", f"/rest/socialActions/{quote(LI_POST, safe='')}/comments",
                Reply(200, _json("linkedin", "comments.json")))
    platform.on("GET", "/rest/organizationalEntityNotifications",
                Reply(200, _json("linkedin", "notifications.json")))
    platform.on("GET", f"/rest/posts/{quote(LI_SHARE, safe='')}",
                Reply(200, _json("linkedin", "mention_post.json")))
    platform.on("GET", f"/rest/socialActions/{quote(LI_MENTIONED_ON, safe='')}/comments/7301915719962349568",
                Reply(200, _json("linkedin", "mention_comment.json")))
    return {"organization_urn": "urn:li:organization:2414183", "access_token": "li-token",
            "api_base": platform.url}


def youtube(platform: FakePlatform) -> dict:
    platform.on("GET", "/youtube/v3/commentThreads", Reply(200, _json("youtube", "comment_threads.json")))
    return {"channel_id": "UC_x5XG1OV2P6uZZ5FSM9Ttw", "api_key": "k",
            "api_base": platform.url + "/youtube/v3"}


# channel -> (serve the documented payloads and return the source options,
#             expected items by external id: (author handle, author name, text, thread id))
Expected = dict[str, tuple[str | None, str | None, str, str | None]]
CASES: dict[str, tuple[Callable[[FakePlatform], dict], Expected]] = {
    "rss": (rss, {
        "https://blog.example.com/?p=1#comment-3": (
            # The item title stays beside the body (issue 16): it names the post commented on.
            None, "Ana", "Comment on Hello world! by Ana\n\nThanks! Does the export also work on Windows?",
            "https://blog.example.com/2026/03/hello-world/"),
        "https://blog.example.com/?p=1#comment-1": (
            None, "A WordPress Commenter",
            ("Comment on Hello world! by A WordPress Commenter\n\n"
             "Hi, this is a comment.\nTo get started with moderating, editing, and deleting "
             "comments, please visit the Comments screen in the dashboard."),
            "https://blog.example.com/2026/03/hello-world/"),
    }),
    "mastodon": (mastodon, {
        "103186126728896492": ("zsc", None, "@trwnh sup!", "103186038209478512"),
    }),
    "reddit": (reddit, {
        "t1_k2x9a1b": ("happy_user", None,
                       "u/example_support the sync has been broken since the last update, any ETA?",
                       "t3_1b2c3d"),
        "t4_1z2y3x": ("another_user", None,
                      "Refund request\n\nHi, I was charged twice this month.", "t4_1z2y3x"),
    }),
    "linkedin": (linkedin, {
        _json("linkedin", "comments.json")["elements"][0]["commentUrn"]: (
            None, None, "Nice post! Is the webinar recorded?", LI_POST),
        # LinkedIn little-text mention markup becomes the name the reader sees (issue 16).
        LI_SHARE: (None, None, "Great webinar by @Acme Corp today, slides please?", LI_SHARE),
        LI_COMMENT: (None, None, "@Acme Corp my order never arrived, who can help?", LI_MENTIONED_ON),
    }),
    "youtube": (youtube, {
        "UgzDE2tasfmrYLyNkGt4AaABAg": (
            "@devfan", "@devfan", "Great video! When will the API session be uploaded?",
            "UgzDE2tasfmrYLyNkGt4AaABAg"),
        "UgzDE2tasfmrYLyNkGt4AaABAg.9aBcDeFgHiJ9aBcDeFgHiK": (
            "@another", "@another", "Same question, any date?", "UgzDE2tasfmrYLyNkGt4AaABAg"),
        "UgxOlderThreadAAAAAAAAAAAA": ("@early", "@early", "First!", "UgxOlderThreadAAAAAAAAAAAA"),
    }),
}


def inbox(client: TestClient, token: str) -> list[dict]:
    r = client.get("/api/inbox", params={"source": SLUG, "status": "all", "per_page": 500},
                   headers=bearer(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == len(body["items"])
    return body["items"]


@pytest.mark.parametrize("channel", list(CASES))
def test_a_polled_channel_reaches_the_inbox_once_from_its_documented_payloads(
        channel, services, platform):
    serve, expected = CASES[channel]
    options = serve(platform)
    clock = FixedClock(NOW)
    services.clock = clock
    services.settings = services.settings.model_copy(update={"sources": {
        SLUG: SourceSettings(channel=channel, options={**options, "interval": INTERVAL,
                                                       "allow_private_network": True})}})
    token = add_user(services, "ana")
    with TestClient(create_app(services)) as client:
        assert inbox(client, token) == []
        # The tick queues the due poll; the worker polls, drains, scores and routes.
        assert pipeline.tick(services=services)["polls"] == 1
        run_jobs(services)
        first = inbox(client, token)
        got = {i["external_id"]: (i["author"]["handle"], i["author"]["name"], i["text"],
                                  i["thread_id"]) for i in first}
        assert got == expected
        assert {i["source"] for i in first} == {SLUG}
        assert all(i["status"] == "open" and i["urgency"] and i["priority"] is not None
                   for i in first)
        asked = len(platform.requests)

        # Not due yet: nothing is polled.
        assert polling.enqueue_due(services=services) == 0
        # Due again: the platform sends the same documents; nothing new reaches the inbox.
        clock.at = NOW + timedelta(seconds=INTERVAL)
        assert pipeline.tick(services=services)["polls"] == 1
        run_jobs(services)
        assert len(platform.requests) > asked
        second = inbox(client, token)
        assert sorted(i["id"] for i in second) == sorted(i["id"] for i in first)
        polled = next(s for s in list_statuses(services=services) if s.slug == SLUG)
        assert (polled.status, polled.failures, polled.taken) == ("ok", 0, len(expected))
