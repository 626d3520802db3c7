"""X / Twitter Account Activity API: CRC handshake, signed deliveries, mentions, replies and DMs."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from html import unescape

from pydantic import Field, SecretStr

from triage.core.message import Author, Message
from triage.intake.connectors.base import (
    Channel,
    ChannelConfig,
    HandshakeReply,
    ParseResult,
    PayloadError,
    header,
    loads_json,
)
from triage.intake.connectors.dates import checked, flagged, received
from triage.intake.connectors.polling import Entries
from triage.intake.connectors.signing import b64_sig, epoch, need, require_match

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
TWEET_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"  # v1.1 created_at: "Wed Oct 10 20:19:24 +0000 2018"


class XConfig(ChannelConfig):
    """The app's consumer secret signs CRC answers and deliveries; user_id is the subscribed account."""

    consumer_secret: SecretStr
    user_id: str | None = None
    sent_ids: list[str] = Field(default_factory=list)  # tweet ids the outbox posted


class XWebhook(Channel):
    """tweet_create_events (mentions, replies, quotes) and direct_message_events."""

    slug = "x"
    kind = "webhook"
    Config = XConfig

    def _key(self) -> bytes:
        return self.config.consumer_secret.get_secret_value().encode()

    def handshake(self, *, method: str, query: Mapping[str, str], headers: Mapping[str, str],
                  body: bytes) -> HandshakeReply | None:
        token = query.get("crc_token")
        if method.upper() != "GET" or token is None:
            return None
        answer = {"response_token": b64_sig(self._key(), token.encode())}
        return HandshakeReply(status=200, body=json.dumps(answer), content_type="application/json")

    def verify(self, *, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        require_match(b64_sig(self._key(), body), header(headers, SIGNATURE_HEADER),
                      header_name=SIGNATURE_HEADER)

    def parse(self, *, headers: Mapping[str, str], body: bytes) -> ParseResult:
        data = loads_json(body)
        if not isinstance(data, dict):
            raise PayloadError("body must be a JSON object", field="body")
        me = str(data.get("for_user_id") or self.config.user_id or "")
        entries = Entries()
        for key, events in data.items():
            if not isinstance(events, list):
                continue  # for_user_id, users, apps, user_has_blocked
            if key == "tweet_create_events":
                for i, tweet in enumerate(events):
                    where = f"tweet_create_events[{i}]"
                    entries.take(where, partial(self._tweet, tweet, me, where), tweet)
            elif key == "direct_message_events":
                users = data.get("users") or {}
                for i, event in enumerate(events):
                    where = f"direct_message_events[{i}]"
                    entries.take(where, partial(self._dm, event, me, users, where), event)
            else:
                entries.ignored += len(events)  # likes, follows, typing, reads, deletes ...
        return entries.parsed()

    def _tweet(self, tweet: dict, me: str, path: str) -> Message | None:
        user = need(tweet, "user", field=f"{path}.user")
        author_id = str(need(user, "id_str", field=f"{path}.user.id_str"))
        if author_id == me or "retweeted_status" in tweet:
            return None  # our own posts and plain retweets are not conversations to answer
        tweet_id = str(need(tweet, "id_str", field=f"{path}.id_str"))
        if tweet_id in self.config.sent_ids:
            return None
        # The v1.1 payloads HTML-escape &, < and > in tweet text.
        text = unescape(str((tweet.get("extended_tweet") or {}).get("full_text")
                            or tweet.get("full_text") or tweet.get("text") or ""))
        if not text.strip():
            return None
        handle = user.get("screen_name")
        created, flag = checked(self._tweet_time(tweet, path), received=received(), channel="x")
        return Message(
            source=self.source,
            external_id=tweet_id,
            thread_id=tweet.get("in_reply_to_status_id_str"),
            author=Author(id=author_id, handle=handle, name=user.get("name"),
                          followers=user.get("followers_count"),
                          verified=bool(user.get("verified"))),
            text=text,
            language=tweet.get("lang") if tweet.get("lang") not in (None, "und") else None,
            created_at=created,
            url=f"https://x.com/{handle}/status/{tweet_id}" if handle else None,
            raw=flagged(tweet, flag),
        )

    @staticmethod
    def _tweet_time(tweet: dict, path: str) -> datetime:
        if tweet.get("timestamp_ms"):
            return epoch(tweet["timestamp_ms"], field=f"{path}.timestamp_ms")
        raw = need(tweet, "created_at", field=f"{path}.created_at")
        try:
            return datetime.strptime(raw, TWEET_TIME_FORMAT)
        except (TypeError, ValueError) as exc:
            raise PayloadError(f"created_at is not a tweet time: {raw!r}",
                               field=f"{path}.created_at") from exc

    def _dm(self, event: dict, me: str, users: dict, path: str) -> Message | None:
        if event.get("type") != "message_create":
            return None
        create = need(event, "message_create", field=f"{path}.message_create")
        sender = str(need(create, "sender_id", field=f"{path}.message_create.sender_id"))
        if sender == me:
            return None  # our own outgoing DM
        recipient = str((create.get("target") or {}).get("recipient_id") or me)
        profile = users.get(sender) or {}
        data = create.get("message_data") or {}
        text = unescape(str(data.get("text") or ""))
        if not text.strip():
            return None
        created, flag = checked(epoch(need(event, "created_timestamp", field=f"{path}.created_timestamp"),
                                      field=f"{path}.created_timestamp"), received=received(),
                                channel="x")
        return Message(
            source=self.source,
            external_id=str(need(event, "id", field=f"{path}.id")),
            thread_id="dm:" + "-".join(sorted((sender, recipient))),
            author=Author(id=sender, handle=profile.get("screen_name"), name=profile.get("name"),
                          followers=profile.get("followers_count"),
                          verified=bool(profile.get("verified"))),
            text=text,
            created_at=created,
            raw=flagged(event, flag),
        )
