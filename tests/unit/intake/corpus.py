"""Feeding tests/fixtures/corpus through each connector's real parse path (issue 16 part 7)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from triage.core.message import Message
from triage.intake.connectors.discourse import DiscourseConfig, DiscourseWebhook
from triage.intake.connectors.imap import ImapConfig, ImapPoller
from triage.intake.connectors.linkedin import LinkedInConfig, LinkedInPoller
from triage.intake.connectors.mastodon import MastodonConfig, MastodonPoller
from triage.intake.connectors.meta import MetaConfig, MetaWebhook
from triage.intake.connectors.reddit import RedditConfig, RedditPoller
from triage.intake.connectors.rss import FeedConfig, FeedPoller
from triage.intake.connectors.slack import SlackConfig, SlackEvents
from triage.intake.connectors.twitter import XConfig, XWebhook
from triage.intake.connectors.youtube import YouTubeConfig, YouTubePoller

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "corpus"
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)
TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")
MARKUP = re.compile(r"<[@#!][A-Z0-9|^][^>]*>|upload://|!\[[^\]]*\]\(|\]\(https?://|\*\*[^*]+\*\*"
                    r"|@\[[^\]]*\]\(urn:li:")
MOJIBAKE = re.compile("\ufffd|Ã.|â€|Ð.|Ñ.|Â[\xa0-\xbf]|ï¿½|[\u0080-\u009f]")


def expected() -> list[dict]:
    """expected.json: per file, the channel and what a correct connector produces."""
    return json.loads((CORPUS / "expected.json").read_text())


def _headers(path: Path, default: dict[str, str]) -> dict[str, str]:
    sidecar = path.with_name(path.name.rsplit(".", 1)[0] + ".headers.json")
    return json.loads(sidecar.read_text()) if sidecar.exists() else default


def _serve(raw: bytes, headers: dict[str, str], *, empty: tuple[str, ...] = ()) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/access_token"):
            return httpx.Response(200, json={"access_token": "t"})
        if request.url.path.endswith(empty):
            return httpx.Response(200, json={"items": [], "elements": []})
        return httpx.Response(200, content=raw, headers=headers)
    return httpx.Client(transport=httpx.MockTransport(handler))


def _poller(channel) -> Callable[[Path, bytes], list[Message]]:
    def run(path: Path, raw: bytes) -> list[Message]:
        extra = {"empty": ("/comments",)} if channel.slug == "youtube" else {}
        headers = _headers(path, {"Content-Type": "application/json"})
        with _serve(raw, headers, **extra) as http:
            return channel.poll(cursor=None, http=http, now=NOW).messages
    return run


def _feed(path: Path, raw: bytes) -> list[Message]:
    poller = FeedPoller(FeedConfig(url="http://feed.test/feed.xml"), source="corpus")
    with _serve(raw, _headers(path, {"Content-Type": "application/xml"})) as http:
        return poller.poll(cursor=None, http=http, now=NOW).messages


def _mail(_path: Path, raw: bytes) -> list[Message]:
    poller = ImapPoller(ImapConfig(host="imap.test", username="u", password="p"), source="corpus")
    message = poller._message(1, 1, raw, NOW)  # what poll() does with each fetched message
    return [message] if message else []


def _webhook(channel) -> Callable[[Path, bytes], list[Message]]:
    def run(path: Path, raw: bytes) -> list[Message]:
        headers = _headers(path, {"Content-Type": "application/json"})
        return channel.parse(headers=headers, body=raw).messages
    return run


RUNNERS: dict[str, Callable[[Path, bytes], list[Message]]] = {
    "email": _mail,
    "rss": _feed,
    "reddit": _poller(RedditPoller(RedditConfig(client_id="c", client_secret="s", refresh_token="r",
                                                user_agent="corpus/0.1"), source="corpus")),
    "mastodon": _poller(MastodonPoller(MastodonConfig(base_url="https://mastodon.test",
                                                      access_token="t"), source="corpus")),
    "youtube": _poller(YouTubePoller(YouTubeConfig(channel_id="UC_corpus", api_key="k"),
                                     source="corpus")),
    "linkedin": _poller(LinkedInPoller(LinkedInConfig(
        organization_urn="urn:li:organization:corpus", access_token="t", mentions=False),
        source="corpus")),
    "slack": _webhook(SlackEvents(SlackConfig(signing_secret="s"), source="corpus")),
    "meta": _webhook(MetaWebhook(MetaConfig(app_secret="s", verify_token="v"), source="corpus")),
    "x": _webhook(XWebhook(XConfig(consumer_secret="s"), source="corpus")),
    "discourse": _webhook(DiscourseWebhook(DiscourseConfig(secret="s"), source="corpus")),
}


def problems(entry: dict, messages: list[Message]) -> list[str]:
    """What is wrong with a connector's reading of one corpus file; empty when it is right."""
    if entry["expect"] == "ignored":
        return [] if not messages else [f"ingested what should be ignored: {messages[0].text[:80]!r}"]
    found = []
    if len(messages) != entry["count"]:
        found.append(f"{len(messages)} messages, expected {entry['count']}")
    for m in messages:
        for name, bad in (("empty text", not m.text.strip()), ("mojibake", MOJIBAKE.search(m.text)),
                          ("HTML tags left", TAG.search(m.text)),
                          ("markup or mention syntax left", MARKUP.search(m.text)),
                          ("far-future date kept", m.created_at > NOW + timedelta(days=1))):
            if bad:
                found.append(f"{name}: {m.text[:80]!r}")
    joined = "\n".join(m.text for m in messages)
    found += [f"missing {p!r}" for p in entry.get("must_contain", []) if p not in joined]
    return found
