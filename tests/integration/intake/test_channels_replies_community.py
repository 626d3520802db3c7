"""Reddit and YouTube replies against the local HTTP platform server, with documented answers."""

from urllib.parse import parse_qs

import pytest

from tests.integration.channel_server import (  # noqa: F401
    Reply,
    http_fixture,
    platform_fixture,
)
from triage.replies.senders.base import ReplyAuthError, ReplyRejected, ReplyTemporary
from triage.replies.senders.community import (
    RedditReplier,
    RedditReplyConfig,
    YouTubeReplier,
    YouTubeReplyConfig,
)

TOKEN = Reply(200, {"access_token": "r-access", "token_type": "bearer", "expires_in": 86400,
                    "scope": "submit read privatemessages"})
# POST /api/comment with api_type=json answers the new comment as a Listing child.
CREATED = {"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": {
    "id": "k1x2y3", "name": "t1_k1x2y3", "parent_id": "t3_1abcde", "body": "We're on it.",
    "link_id": "t3_1abcde", "author": "acme_support"}}]}}}


def reddit(platform, http) -> RedditReplier:
    config = RedditReplyConfig(client_id="cid", client_secret="csecret", refresh_token="rt",
                               user_agent="web:acme-triage:1.0 (by /u/acme)",
                               api_base=platform.url, token_url=platform.url + "/api/v1/access_token")
    return RedditReplier(config, http=http)


def form(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}


def test_reddit_comments_under_the_parent_fullname_with_a_fresh_token(platform, http):
    platform.on("POST", "/api/v1/access_token", TOKEN)
    platform.on("POST", "/api/comment", Reply(200, CREATED))
    receipt = reddit(platform, http).send(thread="t3_1abcde", in_reply_to="t3_1abcde", text="We're on it.")
    assert receipt.external_id == "t1_k1x2y3"
    token_call, comment_call = platform.requests
    assert form(token_call) == {"grant_type": "refresh_token", "refresh_token": "rt"}
    assert comment_call.headers["Authorization"] == "bearer r-access"
    assert comment_call.headers["User-Agent"] == "web:acme-triage:1.0 (by /u/acme)"
    assert form(comment_call) == {"api_type": "json", "thing_id": "t3_1abcde", "text": "We're on it."}


@pytest.mark.parametrize("errors, kind", [
    ([["RATELIMIT", "you are doing that too much. try again in 5 minutes.", "ratelimit"]],
     ReplyTemporary),
    ([["THREAD_LOCKED", "that comment is locked", "parent"]], ReplyRejected),
])
def test_reddit_errors_in_a_200_answer_are_typed(platform, http, errors, kind):
    platform.on("POST", "/api/v1/access_token", TOKEN)
    platform.on("POST", "/api/comment", Reply(200, {"json": {"errors": errors}}))
    with pytest.raises(kind):
        reddit(platform, http).send(thread="t3_1", in_reply_to="t1_2", text="hi")


def test_a_revoked_reddit_refresh_token_is_an_auth_error_and_posts_nothing(platform, http):
    platform.on("POST", "/api/v1/access_token", Reply(200, {"error": "invalid_grant"}))
    with pytest.raises(ReplyAuthError):
        reddit(platform, http).send(thread="t3_1", in_reply_to="t1_2", text="hi")
    assert [r.path for r in platform.requests] == ["/api/v1/access_token"]


def youtube(platform, http) -> YouTubeReplier:
    config = YouTubeReplyConfig(access_token="ya29.token", api_base=platform.url + "/youtube/v3")
    return YouTubeReplier(config, http=http)


def test_youtube_inserts_a_reply_under_the_threads_top_comment(platform, http):
    # comments.insert answers the created comment resource.
    platform.on("POST", "/youtube/v3/comments", Reply(200, {
        "kind": "youtube#comment", "etag": "x", "id": "UgzDE2tasfmrYLyNkGt4AaABAg.9xyz",
        "snippet": {"parentId": "UgzDE2tasfmrYLyNkGt4AaABAg", "textOriginal": "Next week!"}}))
    receipt = youtube(platform, http).send(thread="UgzDE2tasfmrYLyNkGt4AaABAg",
                                     in_reply_to="UgzDE2tasfmrYLyNkGt4AaABAg.9abc", text="Next week!")
    assert receipt.external_id == "UgzDE2tasfmrYLyNkGt4AaABAg.9xyz"
    (call,) = platform.requests
    assert call.arg("part") == "snippet" and call.headers["Authorization"] == "Bearer ya29.token"
    assert call.json() == {"snippet": {"parentId": "UgzDE2tasfmrYLyNkGt4AaABAg",
                                       "textOriginal": "Next week!"}}


def test_a_spent_youtube_quota_is_retried_later_not_a_dead_token(platform, http):
    platform.on("POST", "/youtube/v3/comments", Reply(403, {"error": {
        "code": 403, "message": "The request cannot be completed because you have exceeded your quota.",
        "errors": [{"reason": "quotaExceeded", "domain": "youtube.quota"}]}}))
    with pytest.raises(ReplyTemporary) as raised:
        youtube(platform, http).send(thread="T1", in_reply_to="T1", text="hi")
    assert raised.value.retry_after == 3600.0
