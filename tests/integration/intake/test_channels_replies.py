"""Replies through a real SMTP server (aiosmtpd) and the local HTTP platform server."""

import email
import email.policy
import json
import socket
from datetime import UTC, datetime
from urllib.parse import quote

import pytest

from tests.integration.channel_server import (  # noqa: F401
    Reply,
    http_fixture,
    platform_fixture,
)
from tests.integration.mail_servers import (  # noqa: F401
    SmtpInbox,
    free_port,
    smtp_fixture,
)
from triage.core.message import Author, Message
from triage.replies.senders.base import (
    DryRunOutbox,
    ReplyAuthError,
    ReplyRejected,
    ReplyTemporary,
    SmtpConfig,
    SmtpReplier,
)
from triage.replies.senders.http import (
    DiscourseReplier,
    DiscourseReplyConfig,
    LinkedInReplier,
    LinkedInReplyConfig,
    MastodonReplier,
    MetaReplier,
    SlackReplier,
    TokenConfig,
    XReplier,
)

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def msg(**kw) -> Message:
    base = {"source": "s", "external_id": "1", "author": Author(id="u1"), "text": "hi",
            "created_at": NOW}
    return Message(**{**base, **kw})


EMAIL = msg(external_id="3456@example.net", thread_id="1234@local.machine.example",
            author=Author(id="mary@example.net", name="Mary Smith"),
            raw={"subject": "Re: Saying Hello", "references": "<1234@local.machine.example>"})


def smtp(server: SmtpInbox, password: str = "smtp-pw", *, host: str | None = None,
         allow_private: bool = True) -> SmtpReplier:
    config = SmtpConfig(host=host or server.host, port=server.port, username="cm", password=password,
                        security="none", from_address="support@example.com",
                        allow_private_network=allow_private)
    return SmtpReplier(config, clock=lambda: NOW)


def test_an_smtp_server_on_a_private_address_is_refused_unless_the_source_allows_it(smtp_server):
    with pytest.raises(ReplyRejected) as err:
        smtp(smtp_server, allow_private=False).send(thread="t", in_reply_to="3456@example.net",
                                                    text="x", original=EMAIL)
    assert "loopback" in str(err.value) and "allow_private_network" in str(err.value)
    assert not err.value.retryable and smtp_server.received == []


def test_the_smtp_session_goes_to_the_address_that_was_checked(smtp_server, monkeypatch):
    """The name resolves once, in the guard: a second lookup (rebinding) would find nothing here."""
    real, lookups = socket.getaddrinfo, []

    def resolve(host, *args, **kwargs):
        if host == "mail.example.test":
            lookups.append(host)
            return real(smtp_server.host, *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    smtp(smtp_server, host="mail.example.test").send(thread="t", in_reply_to="3456@example.net",
                                                     text="pinned", original=EMAIL)
    assert lookups == ["mail.example.test"] and len(smtp_server.received) == 1


def test_an_email_reply_carries_in_reply_to_and_references(smtp_server):
    receipt = smtp(smtp_server).send(thread="1234@local.machine.example",
                                     in_reply_to="3456@example.net", text="We are on it.",
                                     original=EMAIL)
    (mail_from, rcpts, raw), = smtp_server.received
    sent = email.message_from_bytes(raw, policy=email.policy.default)
    assert (mail_from, rcpts) == ("support@example.com", ["mary@example.net"])
    assert sent["In-Reply-To"] == "<3456@example.net>"
    assert sent["References"] == "<1234@local.machine.example> <3456@example.net>"
    assert sent["Subject"] == "Re: Saying Hello"
    assert sent.get_content().strip() == "We are on it."
    assert receipt.external_id == sent["Message-ID"].strip("<>")


def test_a_refused_smtp_login_is_an_auth_error(smtp_server):
    with pytest.raises(ReplyAuthError):
        smtp(smtp_server, password="wrong").send(thread="t", in_reply_to="3456@example.net",
                                                 text="x", original=EMAIL)
    assert smtp_server.received == []


def test_an_unreachable_smtp_server_is_temporary():
    down = SmtpInbox("127.0.0.1", free_port(), [])
    with pytest.raises(ReplyTemporary) as err:
        smtp(down).send(thread="t", in_reply_to="3456@example.net", text="x", original=EMAIL)
    assert err.value.retryable


def test_mastodon_posts_a_status_in_reply_with_an_idempotency_key(platform, http):
    platform.on("POST", "/api/v1/statuses", Reply(200, {"id": "103254962155278888"}))
    replier = MastodonReplier(TokenConfig(api_base=platform.url, access_token="mtok"), http=http)
    original = msg(external_id="103186126728896492", author=Author(id="971724", handle="zsc"))
    receipt = replier.send(thread="103186126728896492", in_reply_to="103186126728896492",
                           text="Thanks for the report!", original=original)
    (req,) = platform.requests
    assert req.headers["Authorization"] == "Bearer mtok" and req.headers["Idempotency-Key"]
    assert req.json() == {"status": "@zsc Thanks for the report!",
                          "in_reply_to_id": "103186126728896492"}
    assert receipt.external_id == "103254962155278888"


def test_discourse_posts_into_the_topic_with_api_key_headers(platform, http):
    platform.on("POST", "/posts.json", Reply(200, {"id": 16, "topic_id": 12, "post_number": 4}))
    config = DiscourseReplyConfig(api_base=platform.url, api_key="dkey", api_username="support")
    original = msg(external_id="post:15", thread_id="topic:12", raw={"post_number": 3})
    receipt = DiscourseReplier(config, http=http).send(
        thread="topic:12", in_reply_to="post:15", text="Try the reset link again.", original=original)
    (req,) = platform.requests
    assert (req.headers["Api-Key"], req.headers["Api-Username"]) == ("dkey", "support")
    assert req.json() == {"topic_id": 12, "raw": "Try the reset link again.",
                          "reply_to_post_number": 3}
    assert receipt.external_id == "post:16"


def test_slack_replies_in_thread_and_maps_ok_false_errors(platform, http):
    platform.on("POST", "/api/chat.postMessage",
                Reply(200, {"ok": True, "channel": "C123ABC456", "ts": "1503435956.000247"}),
                Reply(200, {"ok": False, "error": "token_revoked"}),
                Reply(200, {"ok": False, "error": "channel_not_found"}))
    replier = SlackReplier(TokenConfig(api_base=platform.url + "/api", access_token="xoxb-1"),
                           http=http)
    receipt = replier.send(thread="C123ABC456:1482960000.003500",
                           in_reply_to="C123ABC456:1482960137.003543", text="On it")
    assert platform.requests[0].json() == {"channel": "C123ABC456", "text": "On it",
                                           "thread_ts": "1482960000.003500"}
    assert platform.requests[0].headers["Authorization"] == "Bearer xoxb-1"
    assert receipt.external_id == "C123ABC456:1503435956.000247"
    with pytest.raises(ReplyAuthError):
        replier.send(thread="C1:1.2", in_reply_to="C1:1.2", text="x")
    with pytest.raises(ReplyRejected):
        replier.send(thread="C1:1.2", in_reply_to="C1:1.2", text="x")


def test_meta_comment_replies_and_messenger_send_api(platform, http):
    platform.on("POST", "/v21.0/122131676912594941_1213590066982748/comments",
                Reply(200, {"id": "122131676912594941_999"}))
    platform.on("POST", "/v21.0/17919697626119712/replies", Reply(200, {"id": "17900000000000001"}))
    platform.on("POST", "/v21.0/PAGE_ID/messages",
                Reply(200, {"recipient_id": "PSID", "message_id": "m_AG5Hz2Uq7tuwNEhXfYYKj8"}))
    meta = MetaReplier(TokenConfig(api_base=platform.url + "/v21.0", access_token="EAAB"), http=http)
    fb = meta.send(thread="448242228374517_122131676912594941",
                   in_reply_to="122131676912594941_1213590066982748", text="Thanks!",
                   original=msg(raw={"item": "comment"}))
    ig = meta.send(thread="18172143295349192", in_reply_to="17919697626119712", text="Yes!",
                   original=msg(raw={"media": {"id": "18172143295349192"}}))
    dm = meta.send(thread="page-dm:PAGE_ID:PSID", in_reply_to="mid.1", text="Hello")
    assert (fb.external_id, ig.external_id, dm.external_id) == (
        "122131676912594941_999", "17900000000000001", "m_AG5Hz2Uq7tuwNEhXfYYKj8")
    assert platform.requests[0].json() == {"message": "Thanks!"}
    assert platform.requests[2].json() == {"recipient": {"id": "PSID"}, "messaging_type": "RESPONSE",
                                           "message": {"text": "Hello"}}
    assert all(r.headers["Authorization"] == "Bearer EAAB" for r in platform.requests)


@pytest.mark.parametrize("code, error", [(190, ReplyAuthError), (613, ReplyTemporary),
                                         (100, ReplyRejected)])
def test_meta_graph_error_codes_pick_the_error_type(platform, http, code, error):
    platform.on("POST", "/v21.0/C1/comments",
                Reply(400, {"error": {"message": "x", "type": "OAuthException", "code": code}}))
    meta = MetaReplier(TokenConfig(api_base=platform.url + "/v21.0", access_token="EAAB"), http=http)
    with pytest.raises(error):
        meta.send(thread="P1", in_reply_to="C1", text="x")


def test_x_replies_to_the_tweet_and_rate_limits_are_temporary(platform, http):
    platform.on("POST", "/2/tweets",
                Reply(201, {"data": {"id": "1445880548472328192", "text": "We hear you"}}),
                Reply(429, {"title": "Too Many Requests"}, {"Retry-After": "900"}))
    x = XReplier(TokenConfig(api_base=platform.url, access_token="xtok"), http=http)
    receipt = x.send(thread="1050118621198921700", in_reply_to="1050118621198921728",
                     text="We hear you")
    assert platform.requests[0].json() == {
        "text": "We hear you", "reply": {"in_reply_to_tweet_id": "1050118621198921728"}}
    assert receipt.external_id == "1445880548472328192"
    with pytest.raises(ReplyTemporary) as err:
        x.send(thread="t", in_reply_to="1", text="again")
    assert err.value.retry_after == 900


def test_linkedin_comments_as_the_organization_under_the_comment(platform, http):
    post_urn = "urn:li:activity:6636062862760562688"
    parent = "urn:li:comment:(urn:li:activity:6636062862760562688,6636062975297396736)"
    platform.on("POST", f"/rest/socialActions/{quote(post_urn, safe='')}/comments",
                Reply(201, {"commentUrn": "urn:li:comment:(urn:li:activity:1,2)"},
                      {"x-restli-id": "urn:li:comment:(urn:li:activity:1,2)"}))
    config = LinkedInReplyConfig(api_base=platform.url, access_token="li",
                                 organization_urn="urn:li:organization:2414183")
    receipt = LinkedInReplier(config, http=http).send(thread=post_urn, in_reply_to=parent,
                                                     text="Yes, it is recorded.")
    body = platform.requests[0].json()
    assert body == {"actor": "urn:li:organization:2414183", "object": post_urn,
                    "message": {"text": "Yes, it is recorded."}, "parentComment": parent}
    assert receipt.external_id == "urn:li:comment:(urn:li:activity:1,2)"


def test_linkedin_answers_a_post_that_mentions_us_with_a_top_level_comment(platform, http):
    post_urn = "urn:li:share:7123456789012345678"
    platform.on("POST", f"/rest/socialActions/{quote(post_urn, safe='')}/comments",
                Reply(201, {}, {"x-restli-id": "urn:li:comment:(urn:li:share:7123456789012345678,9)"}))
    config = LinkedInReplyConfig(api_base=platform.url, access_token="li",
                                 organization_urn="urn:li:organization:2414183")
    LinkedInReplier(config, http=http).send(thread=post_urn, in_reply_to=post_urn, text="Thanks!")
    body = platform.requests[0].json()
    assert "parentComment" not in body and body["object"] == post_urn


def test_server_errors_are_retryable_and_bad_requests_are_not(platform, http):
    platform.on("POST", "/api/v1/statuses", Reply(503, "down"), Reply(422, {"error": "Text too long"}))
    replier = MastodonReplier(TokenConfig(api_base=platform.url, access_token="m"), http=http)
    with pytest.raises(ReplyTemporary):
        replier.send(thread="1", in_reply_to="1", text="x")
    with pytest.raises(ReplyRejected) as err:
        replier.send(thread="1", in_reply_to="1", text="x")
    assert not err.value.retryable


def test_the_dry_run_outbox_records_instead_of_sending():
    outbox = DryRunOutbox("demo")
    receipt = outbox.send(thread="topic:12", in_reply_to="post:15", text="hello")
    assert outbox.sent == [{"thread": "topic:12", "in_reply_to": "post:15", "text": "hello"}]
    assert receipt.external_id == "dry-run-1" and receipt.channel == "demo"
    assert json.dumps(outbox.sent)
