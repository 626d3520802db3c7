"""The YouTube poller against a local server serving commentThreads pages."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.channel_server import (  # noqa: F401
    Reply,
    Seen,
    http_fixture,
    platform_fixture,
)
from triage.intake.connectors.polling import AuthExpired, RateLimited, TransientError
from triage.intake.connectors.youtube import YouTubeConfig, YouTubePoller

DOC = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "channels" / "youtube"
                  / "comment_threads.json").read_text())
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
PATH = "/youtube/v3/commentThreads"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def poller(platform, **auth) -> YouTubePoller:
    config = YouTubeConfig(channel_id="UC_x5XG1OV2P6uZZ5FSM9Ttw",
                           api_base=platform.url + "/youtube/v3", **(auth or {"api_key": "k"}))
    return YouTubePoller(config, source="yt")


def thread(n: int) -> dict:
    when = (T0 + timedelta(minutes=n)).isoformat().replace("+00:00", "Z")
    snippet = {"videoId": "v1", "textOriginal": f"comment {n}", "authorDisplayName": f"@u{n}",
               "authorChannelId": {"value": f"UC{n}"}, "publishedAt": when}
    return {"id": f"T{n}", "snippet": {"topLevelComment": {"id": f"T{n}", "snippet": snippet}}}


def channel_of(count: int, per_page: int = 100):
    newest_first = [thread(n) for n in range(count, 0, -1)]

    def serve(seen: Seen) -> Reply:
        start = int(seen.arg("pageToken") or 0)
        body = {"items": newest_first[start:start + per_page]}
        if start + per_page < count:
            body["nextPageToken"] = str(start + per_page)
        return Reply(200, body)

    return serve


def test_the_documented_page_gives_comments_and_replies_threaded(platform, http):
    platform.on("GET", PATH, Reply(200, DOC))
    result = poller(platform).poll(cursor=None, http=http, now=NOW)
    top, reply, older = result.messages
    assert older.thread_id == "UgxOlderThreadAAAAAAAAAAAA"
    assert top.thread_id == reply.thread_id == "UgzDE2tasfmrYLyNkGt4AaABAg"
    assert reply.text == "Same question, any date?" and reply.author.id == "UCanotherAAAAAAAAAAAAAAA"
    assert top.url == "https://www.youtube.com/watch?v=wtLJPvx7-ys&lc=UgzDE2tasfmrYLyNkGt4AaABAg"
    assert result.cursor["since"] == "2026-03-02T10:00:00Z"
    request = platform.requests[0]
    assert request.arg("allThreadsRelatedToChannelId") == "UC_x5XG1OV2P6uZZ5FSM9Ttw"
    assert request.arg("key") == "k" and request.arg("order") == "time"


def test_an_oauth_token_goes_in_the_authorization_header(platform, http):
    platform.on("GET", PATH, Reply(200, DOC))
    poller(platform, access_token="ya29.tok").poll(cursor=None, http=http, now=NOW)
    assert platform.requests[0].headers["Authorization"] == "Bearer ya29.tok"
    assert platform.requests[0].arg("key") is None


def test_only_threads_newer_than_the_cursor_are_taken_across_pages(platform, http):
    platform.on("GET", PATH, channel_of(350))
    since = thread(120)["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
    result = poller(platform).poll(cursor={"since": since}, http=http, now=NOW)
    assert sorted(int(m.external_id[1:]) for m in result.messages) == list(range(121, 351))
    assert [r.arg("pageToken") for r in platform.requests] == [None, "100", "200"]
    assert result.cursor["since"].startswith("2026-01-01T05:50")
    again = poller(platform).poll(cursor=result.cursor, http=http, now=NOW)
    assert again.messages == [] and len(platform.requests) == 4


def test_a_backlog_past_the_page_cap_resumes_from_its_page_token(platform, http, monkeypatch):
    from triage.intake.connectors import youtube
    monkeypatch.setattr(youtube, "MAX_PAGES_PER_POLL", 2)
    platform.on("GET", PATH, channel_of(500))
    since = thread(50)["snippet"]["topLevelComment"]["snippet"]["publishedAt"]
    first = poller(platform).poll(cursor={"since": since}, http=http, now=NOW)
    assert first.status == "backlog" and first.cursor["since"] == since
    polls, result, taken = [first], first, list(first.messages)
    while result.status == "backlog":
        result = poller(platform).poll(cursor=result.cursor, http=http, now=NOW)
        polls.append(result)
        taken += result.messages
    assert len(polls) == 3  # 5 pages of 100 newer threads, 2 pages per poll
    assert sorted(int(m.external_id[1:]) for m in taken) == list(range(51, 501))
    assert result.cursor["resume"] is None and result.cursor["since"].startswith("2026-01-01T08:20")


@pytest.mark.parametrize("reply, error", [
    (Reply(403, {"error": {"errors": [{"reason": "quotaExceeded"}], "code": 403}}), RateLimited),
    (Reply(401, {"error": {"code": 401, "message": "Invalid Credentials"}}), AuthExpired),
    (Reply(500, {"error": {"code": 500}}), TransientError),
])
def test_quota_auth_and_server_errors_are_typed(platform, http, reply, error):
    platform.on("GET", PATH, reply)
    with pytest.raises(error) as err:
        poller(platform).poll(cursor={"since": "2026-01-01T00:00:00Z"}, http=http, now=NOW)
    if error is RateLimited:
        assert err.value.retry_after == 3600


def test_a_new_reply_on_an_older_thread_is_fetched_once(platform, http):
    """commentThreads order=time follows the top comment, so a late reply needs comments.list."""
    old = thread(1)
    old["snippet"]["totalReplyCount"] = 0
    platform.on("GET", PATH, Reply(200, {"items": [old]}))
    first = poller(platform).poll(cursor=None, http=http, now=NOW)
    assert [m.external_id for m in first.messages] == ["T1"]

    grown = json.loads(json.dumps(old))
    grown["snippet"]["totalReplyCount"] = 1
    reply = {"kind": "youtube#comment", "id": "T1.reply1",
             "snippet": {"parentId": "T1", "videoId": "v1", "textOriginal": "Still broken for me",
                         "authorDisplayName": "@late", "authorChannelId": {"value": "UClate"},
                         "publishedAt": "2026-03-03T11:00:00Z"}}
    platform.on("GET", PATH, Reply(200, {"items": [grown]}), Reply(200, {"items": [grown]}))
    platform.on("GET", "/youtube/v3/comments",
                Reply(200, {"kind": "youtube#commentListResponse", "items": [reply]}))
    second = poller(platform).poll(cursor=first.cursor, http=http, now=NOW)
    assert [(m.external_id, m.thread_id, m.text) for m in second.messages] == [
        ("T1.reply1", "T1", "Still broken for me")]
    asked = next(r for r in platform.requests if r.path == "/youtube/v3/comments")
    assert asked.arg("parentId") == "T1"
    third = poller(platform).poll(cursor=second.cursor, http=http, now=NOW)
    assert third.messages == []  # same count as last time: no fetch, nothing twice
