"""Meta webhooks: Facebook Page feed comments, Messenger, Instagram comments and messages."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any

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
from triage.intake.connectors.signing import epoch, hex_sig, need, require_match

SIGNATURE_HEADER = "X-Hub-Signature-256"
OBJECTS = ("page", "instagram")
COMMENT_FIELDS = ("comments", "live_comments")  # Instagram comment fields


class MetaConfig(ChannelConfig):
    """One Meta app: its App Secret signs deliveries, the verify token answers hub.challenge."""

    app_secret: SecretStr
    verify_token: SecretStr
    page_ids: list[str] = Field(default_factory=list)  # our Pages / IG accounts besides entry.id
    sent_ids: list[str] = Field(default_factory=list)  # comment and post ids the outbox created


class MetaWebhook(Channel):
    """Page feed comments/posts, Messenger and Instagram DMs, Instagram comments."""

    slug = "meta"
    kind = "webhook"
    Config = MetaConfig

    def handshake(self, *, method: str, query: Mapping[str, str], headers: Mapping[str, str],
                  body: bytes) -> HandshakeReply | None:
        if method.upper() != "GET" or "hub.mode" not in query:
            return None
        token = self.config.verify_token.get_secret_value().encode()
        given = (query.get("hub.verify_token") or "").encode()
        if query.get("hub.mode") != "subscribe" or not hmac.compare_digest(token, given):
            return HandshakeReply(status=403, body="verify token does not match")
        return HandshakeReply(status=200, body=query.get("hub.challenge", ""))

    def verify(self, *, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        # Meta signs no timestamp, so there is no replay window: re-deliveries dedupe by id.
        secret = self.config.app_secret.get_secret_value().encode()
        require_match(hex_sig(secret, body), header(headers, SIGNATURE_HEADER),
                      header_name=SIGNATURE_HEADER)

    def parse(self, *, headers: Mapping[str, str], body: bytes) -> ParseResult:
        data = loads_json(body)
        # The Instagram examples page shows the body wrapped in a list; accept both shapes.
        deliveries = data if isinstance(data, list) else [data]
        entries = Entries()
        for d, delivery in enumerate(deliveries):
            obj = need(delivery, "object", field=f"[{d}].object")
            entry_list = delivery.get("entry")
            if not isinstance(entry_list, list):
                raise PayloadError("entry must be a list", field="entry")
            if obj not in OBJECTS:
                entries.ignored += len(entry_list)
                continue
            for e, entry in enumerate(entry_list):
                self._entry(obj, entry, f"entry[{e}]", entries)
        return entries.parsed()

    def _entry(self, obj: str, entry: Any, path: str, entries: Entries) -> None:
        """Each event of one entry, a bad one skipped on its own (Meta batches up to 1,000)."""
        try:
            account = str(need(entry, "id", field=f"{path}.id"))
        except PayloadError as exc:
            entries.skip(path, exc, entry)
            return
        for i, event in enumerate(entry.get("messaging") or []):
            where = f"{path}.messaging[{i}]"
            entries.take(where, partial(self._direct, obj, account, event, where), event)
        for i, change in enumerate(entry.get("changes") or []):
            where = f"{path}.changes[{i}]"
            entries.take(where, partial(self._change, obj, entry, change, where), change)
        if not entry.get("messaging") and not entry.get("changes") and "field" in entry:
            # Instagram's Business Login examples put field/value directly on the entry.
            entries.take(path, partial(self._change, obj, entry, entry, path), entry)

    def _direct(self, obj: str, account: str, event: dict, path: str) -> Message | None:
        message = event.get("message") if isinstance(event, dict) else None
        if not isinstance(message, dict) or message.get("is_echo") or message.get("is_deleted"):
            return None  # deliveries, reads, reactions, unsent messages and our own echoes
        sender = str(need(need(event, "sender", field=f"{path}.sender"), "id",
                          field=f"{path}.sender.id"))
        if sender == account or sender in self.config.page_ids:
            return None  # sent by the Page (another inbox tool answering): ours, not inbound
        text = message.get("text") or _attachment_text(message)
        if not text:
            return None
        created, flag = checked(epoch(need(event, "timestamp", field=f"{path}.timestamp"),
                                      field=f"{path}.timestamp"), received=received(), channel="meta")
        return Message(
            source=self.source,
            external_id=str(need(message, "mid", field=f"{path}.message.mid")),
            thread_id=f"{obj}-dm:{account}:{sender}",  # one conversation per page/IG account + person
            author=Author(id=sender),
            text=str(text),
            created_at=created,
            raw=flagged(event, flag),
        )

    def _change(self, obj: str, entry: dict, change: dict, path: str) -> Message | None:
        field, value = change.get("field"), change.get("value")
        if not isinstance(value, dict):
            return None
        if obj == "page" and field == "feed":
            return self._feed(entry, value, f"{path}.value")
        if obj == "instagram" and field in COMMENT_FIELDS:
            return self._ig_comment(entry, value, f"{path}.value")
        return None

    def _feed(self, entry: dict, value: dict, path: str) -> Message | None:
        item, verb = value.get("item"), value.get("verb")
        if verb != "add" or item not in ("comment", "post", "status") or not value.get("message"):
            return None  # reactions, likes, edits, removals, posts without text
        sender = value.get("from") or {}
        author_id = sender.get("id") or value.get("sender_id")
        if not author_id:
            raise PayloadError("feed change has no from.id", field=f"{path}.from.id")
        if str(author_id) == str(entry.get("id")) or str(author_id) in self.config.page_ids:
            return None  # the Page itself wrote it: our own reply must not come back as inbound
        ext = value.get("comment_id") if item == "comment" else value.get("post_id")
        if not ext:
            raise PayloadError(f"{item} change has no id", field=f"{path}.comment_id")
        if str(ext) in self.config.sent_ids:
            return None
        # Older comment changes carry only parent_id; a comment id is "<post>_<comment>".
        post_id = str(value.get("post_id") or value.get("parent_id") or str(ext).split("_")[0])
        when = value.get("created_time") or entry.get("time")
        created, flag = checked(epoch(when, field=f"{path}.created_time"), received=received(),
                                channel="meta")
        return Message(
            source=self.source,
            external_id=str(ext),
            thread_id=post_id,
            author=Author(id=str(author_id), name=sender.get("name") or value.get("sender_name")),
            text=str(value["message"]),
            created_at=created,
            url=(value.get("post") or {}).get("permalink_url"),
            raw=flagged(value, flag),
        )

    def _ig_comment(self, entry: dict, value: dict, path: str) -> Message | None:
        sender = need(value, "from", field=f"{path}.from")
        media = value.get("media") or {}
        author_id = str(need(sender, "id", field=f"{path}.from.id"))
        if author_id == str(entry.get("id")) or author_id in self.config.page_ids \
                or str(value.get("id")) in self.config.sent_ids:
            return None  # the Instagram account's own replies
        if not value.get("text"):
            return None
        created, flag = checked(epoch(need(entry, "time", field="entry.time"), field="entry.time"),
                                received=received(), channel="meta")
        return Message(
            source=self.source,
            external_id=str(need(value, "id", field=f"{path}.id")),
            # Replies carry parent_id, but the media is the conversation everyone sees.
            thread_id=str(media["id"]) if media.get("id") else value.get("parent_id"),
            author=Author(id=author_id, handle=sender.get("username")),
            text=str(value["text"]),
            created_at=created,
            raw=flagged(value, flag),
        )


def _attachment_text(message: dict[str, Any]) -> str:
    """A readable stand-in for attachment-only messages so they still reach the inbox."""
    kinds = [a.get("type", "file") for a in message.get("attachments") or [] if isinstance(a, dict)]
    return f"[{', '.join(kinds)} attachment]" if kinds else ""
