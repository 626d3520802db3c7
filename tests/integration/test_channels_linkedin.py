"""The LinkedIn poller against a local server: posts, then comments paged with start/count."""

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.integration.channel_server import (  # noqa: F401
    Reply,
    Seen,
    http_fixture,
    platform_fixture,
)
from triage.channels.linkedin import LinkedInConfig, LinkedInPoller
from triage.channels.polling import AuthExpired, RateLimited

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "channels" / "linkedin"
POSTS, COMMENTS = (json.loads((FIX / f).read_text()) for f in ("posts.json", "comments.json"))
POST = "urn:li:activity:6636062862760562688"
COMMENTS_PATH = f"/rest/socialActions/{quote(POST, safe='')}/comments"
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def poller(platform) -> LinkedInPoller:
    config = LinkedInConfig(organization_urn="urn:li:organization:2414183",
                            access_token="li-token", api_base=platform.url)
    return LinkedInPoller(config, source="linkedin")


def comments_of(count: int):
    def serve(seen: Seen) -> Reply:
        start, size = int(seen.arg("start")), int(seen.arg("count"))
        items = [{"commentUrn": f"urn:li:comment:({POST},{n})", "actor": f"urn:li:person:p{n}",
                  "created": {"time": 1581623237519 + n}, "message": {"text": f"c{n}"}}
                 for n in range(start, min(start + size, count))]
        return Reply(200, {"paging": {"start": start, "count": size, "total": count},
                           "elements": items})
    return serve


def test_the_documented_comment_threads_under_its_post(platform, http):
    platform.on("GET", "/rest/posts", Reply(200, POSTS))
    platform.on("GET", COMMENTS_PATH, Reply(200, COMMENTS))
    (msg,) = poller(platform).poll(cursor=None, http=http, now=NOW).messages
    assert msg.external_id == COMMENTS["elements"][0]["commentUrn"]
    assert msg.thread_id == POST and msg.author.id == "urn:li:person:A2L3xqOqrX"
    assert msg.text == "Nice post! Is the webinar recorded?"
    posts_call = platform.requests[0]
    assert posts_call.arg("q") == "author" and posts_call.arg("author") == "urn:li:organization:2414183"
    assert posts_call.headers["Authorization"] == "Bearer li-token"
    assert posts_call.headers["LinkedIn-Version"] and posts_call.headers["X-Restli-Protocol-Version"]


def test_comments_are_paged_by_start_and_count_and_the_next_poll_starts_after_them(platform, http):
    platform.on("GET", "/rest/posts", Reply(200, POSTS))
    platform.on("GET", COMMENTS_PATH, comments_of(120))
    first = poller(platform).poll(cursor=None, http=http, now=NOW)
    assert [m.text for m in first.messages] == [f"c{n}" for n in range(120)]
    assert [r.arg("start") for r in platform.requests[1:]] == ["0", "50", "100"]
    platform.on("GET", COMMENTS_PATH, comments_of(125))
    second = poller(platform).poll(cursor=first.cursor, http=http, now=NOW)
    assert [m.text for m in second.messages] == [f"c{n}" for n in range(120, 125)]
    assert platform.requests[-1].arg("start") == "120"


def test_deleted_comments_make_it_rescan_without_repeats(platform, http):
    platform.on("GET", "/rest/posts", Reply(200, POSTS))
    platform.on("GET", COMMENTS_PATH, comments_of(60))
    first = poller(platform).poll(cursor=None, http=http, now=NOW)
    platform.on("GET", COMMENTS_PATH, comments_of(30))
    assert poller(platform).poll(cursor=first.cursor, http=http, now=NOW).messages == []


@pytest.mark.parametrize("reply, error", [
    (Reply(401, {"serviceErrorCode": 65601, "message": "The token used in the request has been revoked by the user", "status": 401}), AuthExpired),
    (Reply(429, {"message": "Resource level throttle limit", "status": 429}, {"Retry-After": "5"}), RateLimited),
])
def test_revoked_tokens_and_throttles_are_typed(platform, http, reply, error):
    platform.on("GET", "/rest/posts", reply)
    with pytest.raises(error):
        poller(platform).poll(cursor=None, http=http, now=NOW)
