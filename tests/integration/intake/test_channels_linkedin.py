"""The LinkedIn poller against a local server: posts, then comments paged with start/count, then
mentions of the page from the organization notifications API."""

import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from tests.integration.channel_server import (  # noqa: F401
    Reply,
    Seen,
    http_fixture,
    platform_fixture,
)
from triage.intake.connectors import linkedin_mentions
from triage.intake.connectors.linkedin import LinkedInConfig, LinkedInPoller
from triage.intake.connectors.linkedin_mentions import OVERLAP_MS
from triage.intake.connectors.polling import AuthExpired, RateLimited

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "channels" / "linkedin"
POSTS, COMMENTS, NOTIFICATIONS, MENTION_POST, MENTION_COMMENT = (
    json.loads((FIX / f).read_text()) for f in (
        "posts.json", "comments.json", "notifications.json", "mention_post.json",
        "mention_comment.json"))
POST = "urn:li:activity:6636062862760562688"
COMMENTS_PATH = f"/rest/socialActions/{quote(POST, safe='')}/comments"
NOTIFICATIONS_PATH = "/rest/organizationalEntityNotifications"
MENTION_SHARE = "urn:li:share:7301846528388907008"
MENTION_SHARE_PATH = f"/rest/posts/{quote(MENTION_SHARE, safe='')}"
MENTIONED_ON = "urn:li:activity:7301790225107365888"
MENTION_COMMENT_URN = f"urn:li:comment:({MENTIONED_ON},7301915719962349568)"
MENTION_COMMENT_PATH = f"/rest/socialActions/{quote(MENTIONED_ON, safe='')}/comments/7301915719962349568"
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
NOW_MS = 1772539200000


def poller(platform, mentions: bool = True) -> LinkedInPoller:
    config = LinkedInConfig(organization_urn="urn:li:organization:2414183",
                            access_token="li-token", api_base=platform.url, mentions=mentions)
    return LinkedInPoller(config, source="linkedin")


def no_mentions(platform) -> None:
    platform.on("GET", NOTIFICATIONS_PATH, Reply(200, {"paging": {"start": 0, "count": 50},
                                                       "elements": []}))


def quiet_page(platform) -> None:
    """The page's own posts have no comments, so only mentions come in."""
    platform.on("GET", "/rest/posts", Reply(200, POSTS))
    platform.on("GET", COMMENTS_PATH, Reply(200, {"paging": {"start": 0, "total": 0},
                                                  "elements": []}))


def the_documented_mentions(platform) -> None:
    quiet_page(platform)
    platform.on("GET", NOTIFICATIONS_PATH, Reply(200, NOTIFICATIONS))
    platform.on("GET", MENTION_SHARE_PATH, Reply(200, MENTION_POST))
    platform.on("GET", MENTION_COMMENT_PATH, Reply(200, MENTION_COMMENT))


def calls(platform, path: str):
    return [r for r in platform.requests if r.path == path]


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
    no_mentions(platform)
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
    no_mentions(platform)
    platform.on("GET", "/rest/posts", Reply(200, POSTS))
    platform.on("GET", COMMENTS_PATH, comments_of(120))
    first = poller(platform).poll(cursor=None, http=http, now=NOW)
    assert [m.text for m in first.messages] == [f"c{n}" for n in range(120)]
    assert [r.arg("start") for r in calls(platform, COMMENTS_PATH)] == ["0", "50", "100"]
    platform.on("GET", COMMENTS_PATH, comments_of(125))
    second = poller(platform).poll(cursor=first.cursor, http=http, now=NOW)
    assert [m.text for m in second.messages] == [f"c{n}" for n in range(120, 125)]
    assert calls(platform, COMMENTS_PATH)[-1].arg("start") == "120"


def test_deleted_comments_make_it_rescan_without_repeats(platform, http):
    no_mentions(platform)
    platform.on("GET", "/rest/posts", Reply(200, POSTS))
    platform.on("GET", COMMENTS_PATH, comments_of(60))
    first = poller(platform).poll(cursor=None, http=http, now=NOW)
    platform.on("GET", COMMENTS_PATH, comments_of(30))
    assert poller(platform).poll(cursor=first.cursor, http=http, now=NOW).messages == []


@pytest.mark.parametrize("reply, error", [
    (Reply(401, {"serviceErrorCode": 65601, "status": 401,
                 "message": "The token used in the request has been revoked by the user"}), AuthExpired),
    (Reply(429, {"message": "Resource level throttle limit", "status": 429}, {"Retry-After": "5"}),
     RateLimited),
])
def test_revoked_tokens_and_throttles_are_typed(platform, http, reply, error):
    platform.on("GET", "/rest/posts", reply)
    with pytest.raises(error):
        poller(platform).poll(cursor=None, http=http, now=NOW)


def test_mentions_become_messages_threaded_under_the_post_by_their_author(platform, http):
    the_documented_mentions(platform)
    share, comment = poller(platform).poll(cursor=None, http=http, now=NOW).messages
    assert share.external_id == share.thread_id == MENTION_SHARE
    assert share.author.id == "urn:li:person:8675309"
    # LinkedIn little-text mention markup becomes the name the reader sees (issue 16).
    assert share.text == "Great webinar by @Acme Corp today, slides please?"
    assert share.url == f"https://www.linkedin.com/feed/update/{MENTION_SHARE}"
    assert share.created_at == datetime(2026, 3, 2, 9, 29, 59, tzinfo=UTC)
    assert comment.external_id == MENTION_COMMENT_URN and comment.thread_id == MENTIONED_ON
    assert comment.author.id == "urn:li:person:Ql4Xk2zT1a"
    assert comment.text == "@Acme Corp my order never arrived, who can help?"
    assert comment.url == f"https://www.linkedin.com/feed/update/{MENTIONED_ON}"
    (asked,) = calls(platform, NOTIFICATIONS_PATH)
    assert asked.arg("q") == "criteria"
    assert asked.arg("actions") == "List(SHARE_MENTION)"
    assert asked.arg("organizationalEntity") == "urn:li:organization:2414183"
    assert asked.arg("timeRange") == f"(start:{NOW_MS - 7 * 86_400_000 - OVERLAP_MS},end:{NOW_MS})"
    assert asked.headers["Authorization"] == "Bearer li-token"
    assert asked.headers["X-Restli-Protocol-Version"] == "2.0.0"


def test_the_notifications_query_is_sent_as_restli_2_wants_it(platform):
    """List(...) and (start:..,end:..) unescaped, only the URN percent-encoded."""
    the_documented_mentions(platform)
    sent: list[bytes] = []
    hooks = {"request": [lambda r: sent.append(r.url.raw_path)]}
    with httpx.Client(timeout=5.0, event_hooks=hooks) as client:
        poller(platform).poll(cursor=None, http=client, now=NOW)
    (raw,) = [u for u in sent if u.startswith(NOTIFICATIONS_PATH.encode())]
    assert b"&actions=List(SHARE_MENTION)&" in raw
    assert b"&organizationalEntity=urn%3Ali%3Aorganization%3A2414183&" in raw
    assert b"&timeRange=(start:" in raw and b"&start=0&count=50" in raw


def test_a_second_poll_takes_no_mention_twice_and_reads_from_the_last_notification(platform, http):
    the_documented_mentions(platform)
    first = poller(platform).poll(cursor=None, http=http, now=NOW)
    fetched = len(calls(platform, MENTION_SHARE_PATH)) + len(calls(platform, MENTION_COMMENT_PATH))
    later = datetime(2026, 3, 3, 12, 5, tzinfo=UTC)
    second = poller(platform).poll(cursor=first.cursor, http=http, now=later)
    assert second.messages == []
    assert len(calls(platform, MENTION_SHARE_PATH)) + len(calls(platform, MENTION_COMMENT_PATH)) == fetched
    newest = max(n["lastModifiedAt"] for n in NOTIFICATIONS["elements"])
    assert calls(platform, NOTIFICATIONS_PATH)[-1].arg("timeRange") == (
        f"(start:{newest - OVERLAP_MS},end:{NOW_MS + 5 * 60_000})")


def test_a_comment_mention_on_the_pages_own_post_is_taken_once(platform, http):
    """The comments poll and the mentions poll both see it: one message."""
    no_mentions(platform)
    platform.on("GET", "/rest/posts", Reply(200, POSTS))
    platform.on("GET", COMMENTS_PATH, Reply(200, COMMENTS))
    comment = COMMENTS["elements"][0]
    platform.on("GET", NOTIFICATIONS_PATH, Reply(200, {"paging": {"start": 0, "count": 10}, "elements": [
        {"action": "SHARE_MENTION", "notificationId": 1, "lastModifiedAt": comment["created"]["time"],
         "organizationalEntity": "urn:li:organization:2414183", "sourcePost": POST,
         "generatedActivity": comment["commentUrn"]}]}))
    first = poller(platform).poll(cursor=None, http=http, now=NOW)
    assert [m.external_id for m in first.messages] == [comment["commentUrn"]]
    assert poller(platform).poll(cursor=first.cursor, http=http, now=NOW).messages == []


def share_mentions(platform, count: int) -> None:
    """`count` SHARE_MENTION notifications served by start/count, and each mentioning post."""
    notes = [{"action": "SHARE_MENTION", "notificationId": n, "lastModifiedAt": NOW_MS - 3_600_000 + n,
              "organizationalEntity": "urn:li:organization:2414183",
              "sourcePost": f"urn:li:activity:{n}", "generatedActivity": f"urn:li:share:{n}"}
             for n in range(count)]
    for n in range(count):
        platform.on("GET", f"/rest/posts/{quote(f'urn:li:share:{n}', safe='')}", Reply(200, {
            **MENTION_POST, "id": f"urn:li:share:{n}", "author": f"urn:li:person:m{n}",
            "commentary": f"m{n}"}))

    def serve(seen: Seen) -> Reply:
        start, size = int(seen.arg("start")), int(seen.arg("count"))
        return Reply(200, {"paging": {"start": start, "count": size, "links": []},
                           "elements": notes[start:start + size]})
    platform.on("GET", NOTIFICATIONS_PATH, serve)


def test_mention_notifications_are_paged_by_start_and_count(platform, http):
    quiet_page(platform)
    share_mentions(platform, 120)
    result = poller(platform).poll(cursor=None, http=http, now=NOW)
    assert [m.text for m in result.messages] == [f"m{n}" for n in range(120)]
    assert [r.arg("start") for r in calls(platform, NOTIFICATIONS_PATH)] == ["0", "50", "100"]
    assert {r.arg("count") for r in calls(platform, NOTIFICATIONS_PATH)} == {"50"}
    assert result.status == "ok"


def test_a_capped_poll_says_backlog_and_the_next_resumes_the_same_window(platform, http, monkeypatch):
    monkeypatch.setattr(linkedin_mentions, "MAX_PAGES_PER_POLL", 2)
    quiet_page(platform)
    share_mentions(platform, 120)
    first = poller(platform).poll(cursor=None, http=http, now=NOW)
    assert first.status == "backlog" and first.retry_after == 0.0
    assert [m.text for m in first.messages] == [f"m{n}" for n in range(100)]
    later = datetime(2026, 3, 3, 12, 1, tzinfo=UTC)
    second = poller(platform).poll(cursor=first.cursor, http=http, now=later)
    assert [m.text for m in second.messages] == [f"m{n}" for n in range(100, 120)]
    assert second.status == "ok"
    resumed = calls(platform, NOTIFICATIONS_PATH)[-1]
    assert resumed.arg("start") == "100"
    assert resumed.arg("timeRange") == calls(platform, NOTIFICATIONS_PATH)[0].arg("timeRange")
    assert poller(platform).poll(cursor=second.cursor, http=http, now=later).messages == []


def test_a_mention_whose_post_was_deleted_is_skipped(platform, http):
    the_documented_mentions(platform)
    platform.on("GET", MENTION_SHARE_PATH, Reply(404, {"status": 404, "message": "Not Found"}))
    (msg,) = poller(platform).poll(cursor=None, http=http, now=NOW).messages
    assert msg.external_id == MENTION_COMMENT_URN


def test_a_mention_the_page_may_not_read_is_skipped_not_taken_for_an_expired_token(platform, http):
    the_documented_mentions(platform)
    platform.on("GET", MENTION_COMMENT_PATH, Reply(403, {"status": 403, "message": "Not enough permissions"}))
    (msg,) = poller(platform).poll(cursor=None, http=http, now=NOW).messages
    assert msg.external_id == MENTION_SHARE


@pytest.mark.parametrize("reply", [
    Reply(403, {"serviceErrorCode": 100, "status": 403, "message": "Not enough permissions to access: "
                "organizationalEntityNotifications.FINDER-criteria"}),
    Reply(401, {"serviceErrorCode": 65601, "status": 401,
                "message": "The token used in the request has been revoked by the user"}),
])
def test_a_token_without_the_mentions_scope_still_takes_comments(platform, http, reply):
    platform.on("GET", "/rest/posts", Reply(200, POSTS))
    platform.on("GET", COMMENTS_PATH, Reply(200, COMMENTS))
    platform.on("GET", NOTIFICATIONS_PATH, reply)
    result = poller(platform).poll(cursor={"mentions": {"end": 123}}, http=http, now=NOW)
    assert [m.external_id for m in result.messages] == [COMMENTS["elements"][0]["commentUrn"]]
    assert result.cursor["mentions"] == {"end": 123}  # mentions resume where they were, once granted


def test_a_throttled_notifications_endpoint_is_rate_limited_with_its_retry_after(platform, http):
    quiet_page(platform)
    platform.on("GET", NOTIFICATIONS_PATH,
                Reply(429, {"message": "Resource level throttle limit", "status": 429},
                      {"Retry-After": "42"}))
    with pytest.raises(RateLimited) as raised:
        poller(platform).poll(cursor=None, http=http, now=NOW)
    assert raised.value.retry_after == 42.0


def test_mentions_can_be_switched_off(platform, http):
    the_documented_mentions(platform)
    assert poller(platform, mentions=False).poll(cursor=None, http=http, now=NOW).messages == []
    assert calls(platform, NOTIFICATIONS_PATH) == []
    assert LinkedInConfig(organization_urn="urn:li:organization:1", access_token="t").mentions is True
