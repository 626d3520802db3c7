"""Hypothesis fuzzing of every connector's parse: hostile input raises only the declared error.

Webhooks declare PayloadError (the edge answers 400 or quarantines); pollers declare ChannelError
(PollError or PayloadError: the scheduler backs off). Inputs are the documented fixtures with
leaves replaced, keys dropped and types swapped, plus arbitrary bytes.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.intake.connectors.payloads import FIXTURES
from triage.intake.connectors import mail
from triage.intake.connectors.base import ChannelError, PayloadError, SignatureError
from triage.intake.connectors.discourse import DiscourseConfig, DiscourseWebhook
from triage.intake.connectors.generic import GenericWebhook
from triage.intake.connectors.imap import ImapConfig, ImapPoller
from triage.intake.connectors.linkedin import LinkedInConfig, LinkedInPoller
from triage.intake.connectors.mastodon import MastodonConfig, MastodonPoller
from triage.intake.connectors.meta import MetaConfig, MetaWebhook
from triage.intake.connectors.reddit import RedditConfig, RedditPoller
from triage.intake.connectors.rss import FeedConfig, FeedPoller
from triage.intake.connectors.slack import SlackConfig, SlackEvents
from triage.intake.connectors.twitter import XConfig, XWebhook
from triage.intake.connectors.youtube import YouTubeConfig, YouTubePoller

NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
                    st.sampled_from(["", "0", "-1", "1e400", "9" * 30, "2026-13-45T99:99:99Z",
                                     "[deleted]", "<@U1>", "\x00", "\ud800", "é" * 5]))
json_values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=8)


@st.composite
def mutated(draw, value, depth: int = 0):
    """The document with some subtrees replaced by arbitrary JSON and some keys dropped."""
    roll = draw(st.integers(0, 11))
    if roll == 0 or depth > 12:
        return draw(json_values) if roll == 0 else value
    if isinstance(value, dict):
        keys = [k for k in value if draw(st.integers(0, 9)) > 0]
        return {k: draw(mutated(value[k], depth + 1)) for k in keys}
    if isinstance(value, list):
        return [draw(mutated(v, depth + 1)) for v in value]
    return value


def doc(name: str):
    return json.loads((FIXTURES / name).read_text())


def bodies(name: str):
    """Bytes: mutated fixture JSON mostly, sometimes arbitrary bytes."""
    return st.one_of(mutated(doc(name)).map(lambda d: json.dumps(d).encode("utf-8", "surrogatepass")),
                     st.binary(max_size=200))


WEBHOOKS = [
    (MetaWebhook(MetaConfig(app_secret="s", verify_token="v"), source="f"), {},
     ["meta/page_feed_comment.json", "meta/messenger_text.json", "meta/instagram_comment.json",
      "meta/instagram_message.json"]),
    (XWebhook(XConfig(consumer_secret="s"), source="f"), {},
     ["x/tweet_create_mention.json", "x/direct_message.json"]),
    (SlackEvents(SlackConfig(signing_secret="s"), source="f"), {},
     ["slack/message_channels.json", "slack/message_thread_reply.json", "slack/bot_message.json"]),
    (DiscourseWebhook(DiscourseConfig(secret="s"), source="f"), {"X-Discourse-Event": "post_created"},
     ["discourse/post_created.json"]),
]


@pytest.mark.parametrize(("channel", "headers", "names"), WEBHOOKS,
                         ids=[w[0].slug for w in WEBHOOKS])
def test_a_webhook_parse_raises_nothing_but_payload_error(channel, headers, names):
    @FUZZ
    @given(body=st.one_of(*[bodies(n) for n in names]))
    def run(body: bytes) -> None:
        try:
            result = channel.parse(headers=headers, body=body)
        except PayloadError:
            return
        assert all(m.external_id and m.author.id for m in result.messages)

    run()


@FUZZ
@given(body=st.one_of(mutated({"external_id": "e1", "text": "hi", "created_at": NOW.isoformat(),
                               "author": {"id": "a1", "followers": 3}, "thread_id": "t"}).map(
    lambda d: json.dumps(d).encode("utf-8", "surrogatepass")), st.binary(max_size=100)))
def test_the_generic_webhook_parse_raises_nothing_but_payload_error(body):
    channel = GenericWebhook(GenericWebhook.Config(secret="s"), source="f")
    try:
        channel.parse(headers={}, body=body)
    except (PayloadError, SignatureError):
        pass


def _serve(pages: dict[str, bytes]):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/access_token"):
            return httpx.Response(200, json={"access_token": "t"})
        for suffix, body in pages.items():
            if request.url.path.endswith(suffix):
                return httpx.Response(200, content=body, headers={"Content-Type": "application/json"})
        return httpx.Response(200, json={"elements": [], "items": []})
    return httpx.Client(transport=httpx.MockTransport(handler))


def _poll_only_declared(poller, pages: dict[str, bytes], cursor=None) -> None:
    with _serve(pages) as http:
        try:
            result = poller.poll(cursor=cursor, http=http, now=NOW)
        except ChannelError:
            return
    assert all(m.external_id and m.author.id for m in result.messages)
    json.dumps(result.cursor)  # whatever we took, the cursor must still be savable


POLLERS = [
    (MastodonPoller(MastodonConfig(base_url="https://m.test", access_token="t"), source="f"),
     "/notifications", "mastodon/notifications.json", {"since_id": "1"}),
    (RedditPoller(RedditConfig(client_id="c", client_secret="s", refresh_token="r", user_agent="u"),
                  source="f"), "/message/inbox", "reddit/inbox.json", None),
    (YouTubePoller(YouTubeConfig(channel_id="UC", api_key="k"), source="f"), "/commentThreads",
     "youtube/comment_threads.json", None),
    (LinkedInPoller(LinkedInConfig(organization_urn="urn:li:organization:1", access_token="t",
                                   mentions=False), source="f"), "/comments",
     "linkedin/comments.json", None),
]


@pytest.mark.parametrize(("poller", "path", "name", "cursor"), POLLERS,
                         ids=[p[0].slug for p in POLLERS])
def test_a_poller_page_parse_raises_nothing_but_channel_error(poller, path, name, cursor):
    posts = json.dumps({"elements": [{"id": "urn:li:activity:1"}]}).encode()

    @FUZZ
    @given(body=bodies(name))
    def run(body: bytes) -> None:
        _poll_only_declared(poller, {path: body, "/rest/posts": posts}, cursor)

    run()


feeds = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(["rss/wordpress_comments.xml", "rss/atom_threading.xml"]).flatmap(
        lambda n: st.tuples(st.just((FIXTURES / n).read_bytes()), st.integers(0, 4000),
                            st.integers(0, 400), st.binary(max_size=40))).map(
        lambda t: t[0][:t[1]] + t[3] + t[0][t[1] + t[2]:]))


@FUZZ
@given(body=feeds)
def test_the_feed_poller_raises_nothing_but_channel_error(body):
    poller = FeedPoller(FeedConfig(url="https://feed.test/x"), source="f")

    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers={"Content-Type": "application/xml"})

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        try:
            poller.poll(cursor=None, http=http, now=NOW)
        except ChannelError:
            pass


mails = st.sampled_from(sorted(p.name for p in (FIXTURES / "email").glob("*.eml"))).flatmap(
    lambda n: st.tuples(st.just((FIXTURES / "email" / n).read_bytes()), st.integers(0, 3000),
                        st.integers(0, 300), st.binary(max_size=60))).map(
    lambda t: t[0][:t[1]] + t[3] + t[0][t[1] + t[2]:])


@FUZZ
@given(data=st.one_of(mails, st.binary(max_size=400)))
def test_reading_any_mail_bytes_raises_nothing(data):
    poller = ImapPoller(ImapConfig(host="h", username="u", password="p"), source="f")
    read = mail.read(data)
    assert isinstance(read.body, str)
    message = poller._message(1, 1, data, NOW)
    assert message is None or message.external_id
