"""The Reddit poller against a local server: OAuth token, inbox and subreddit listings."""

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.integration.channel_server import (  # noqa: F401
    Reply,
    Seen,
    http_fixture,
    platform_fixture,
)
from triage.intake.connectors.polling import AuthExpired, RateLimited, TransientError
from triage.intake.connectors.reddit import RedditConfig, RedditPoller

INBOX = json.loads((Path(__file__).resolve().parents[2] / "fixtures" / "channels" / "reddit"
                    / "inbox.json").read_text())
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
TOKEN = {"access_token": "at-1", "token_type": "bearer", "expires_in": 86400, "scope": "*"}


def poller(platform, subreddits=(), inbox=True) -> RedditPoller:
    config = RedditConfig(client_id="cid", client_secret="csecret", refresh_token="rt-1",
                          user_agent="linux:triage:0.1 (by /u/example_support)",
                          subreddits=list(subreddits), inbox=inbox,
                          api_base=platform.url, token_url=platform.url + "/api/v1/access_token")
    return RedditPoller(config, source="reddit")


def comment(n: int) -> dict:
    return {"kind": "t1", "data": {"name": f"t1_c{n}", "author": f"user{n}", "body": f"reply {n}",
                                   "link_id": "t3_post1", "created_utc": 1709000000 + n,
                                   "permalink": f"/r/ExampleApp/comments/post1/_/c{n}/"}}


def listing_of(count: int):
    """/r/x/comments holding `count` comments, honouring `before` the way Reddit does."""
    newest_first = [comment(n) for n in range(count, 0, -1)]
    names = [c["data"]["name"] for c in newest_first]

    def serve(seen: Seen) -> Reply:
        limit = int(seen.arg("limit"))
        before = seen.arg("before")
        if before:
            end = names.index(before)
            page = newest_first[max(0, end - limit):end]
        else:
            page = newest_first[:limit]
        return Reply(200, {"kind": "Listing", "data": {"children": page, "after": None,
                                                        "before": page[0]["data"]["name"] if page else None}})

    return serve


def test_the_inbox_mention_and_message_arrive_with_an_oauth_token(platform, http):
    platform.on("POST", "/api/v1/access_token", Reply(200, TOKEN))
    platform.on("GET", "/message/inbox", Reply(200, INBOX))
    result = poller(platform).poll(cursor=None, http=http, now=NOW)
    message, mention = result.messages  # oldest first
    assert mention.external_id == "t1_k2x9a1b" and mention.thread_id == "t3_1b2c3d"
    assert mention.author.handle == "happy_user" and mention.author.id == "t2_8kq3z"
    assert mention.url.endswith("/k2x9a1b/?context=3")
    assert message.text == "Refund request\n\nHi, I was charged twice this month."
    token_call, inbox_call = platform.requests
    assert token_call.headers["Authorization"] == "Basic " + base64.b64encode(b"cid:csecret").decode()
    assert "grant_type=refresh_token" in token_call.body.decode()
    assert inbox_call.headers["Authorization"] == "bearer at-1"
    assert inbox_call.headers["User-Agent"].startswith("linux:triage")
    assert result.cursor["before"]["/message/inbox"] == "t1_k2x9a1b"


def test_subreddit_comments_are_paged_forward_from_the_anchor_without_repeats(platform, http):
    platform.on("POST", "/api/v1/access_token", Reply(200, TOKEN))
    platform.on("GET", "/r/ExampleApp/comments", listing_of(260))
    platform.on("GET", "/r/ExampleApp/new", Reply(200, {"kind": "Listing", "data": {"children": []}}))
    reddit = poller(platform, subreddits=["ExampleApp"], inbox=False)
    cursor = {"before": {"/r/ExampleApp/comments": "t1_c10"}}
    result = reddit.poll(cursor=cursor, http=http, now=NOW)
    assert [m.external_id for m in result.messages] == [f"t1_c{n}" for n in range(11, 261)]
    assert result.messages[0].thread_id == "t3_post1"
    assert result.cursor["before"]["/r/ExampleApp/comments"] == "t1_c260"
    again = reddit.poll(cursor=result.cursor, http=http, now=NOW)
    assert again.messages == []


def test_a_revoked_refresh_token_is_auth_expired(platform, http):
    platform.on("POST", "/api/v1/access_token", Reply(400, {"error": "invalid_grant"}))
    with pytest.raises(Exception) as err:
        poller(platform).poll(cursor=None, http=http, now=NOW)
    assert "400" in str(err.value)
    platform.on("POST", "/api/v1/access_token", Reply(200, {"error": "invalid_grant"}))
    with pytest.raises(AuthExpired):
        poller(platform).poll(cursor=None, http=http, now=NOW)


@pytest.mark.parametrize("reply, error", [
    (Reply(429, "", {"x-ratelimit-reset": "42"}), RateLimited),
    (Reply(503, "<html>we took too long</html>"), TransientError),
    (Reply(401, {"message": "Unauthorized", "error": 401}), AuthExpired),
])
def test_listing_failures_are_typed(platform, http, reply, error):
    platform.on("POST", "/api/v1/access_token", Reply(200, TOKEN))
    platform.on("GET", "/message/inbox", reply)
    with pytest.raises(error) as err:
        poller(platform).poll(cursor=None, http=http, now=NOW)
    if error is RateLimited:
        assert err.value.retry_after == 42
