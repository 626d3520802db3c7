"""Discourse webhooks: X-Discourse-Event-Signature over the body, post_created and topic_created."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from triage.core.message import Author, Message
from triage.intake.connectors.base import (
    Channel,
    ChannelConfig,
    ParseResult,
    PayloadError,
    header,
    loads_json,
)
from triage.intake.connectors.signing import hex_sig, iso, need, require_match

SIGNATURE_HEADER = "X-Discourse-Event-Signature"
EVENT_HEADER = "X-Discourse-Event"
TYPE_HEADER = "X-Discourse-Event-Type"
SYSTEM_USER_IDS = frozenset({-1, -2})  # 'system' and 'discobot' post automated messages


class DiscourseConfig(ChannelConfig):
    """`secret` is the webhook's Secret field; base_url builds links back to the forum."""

    base_url: str | None = None


class DiscourseWebhook(Channel):
    """New posts become messages threaded by topic; other events are acknowledged and ignored."""

    slug = "discourse"
    kind = "webhook"
    Config = DiscourseConfig

    def verify(self, *, headers: Mapping[str, str], body: bytes, now: datetime) -> None:
        # Discourse signs no timestamp: replays are caught by the (source, post id) dedup key.
        require_match(hex_sig(self._secret(), body), header(headers, SIGNATURE_HEADER),
                      header_name=SIGNATURE_HEADER)

    def parse(self, *, headers: Mapping[str, str], body: bytes) -> ParseResult:
        data = loads_json(body)
        if not isinstance(data, dict):
            raise PayloadError("body must be a JSON object", field="body")
        event = header(headers, EVENT_HEADER)
        if event == "post_created":
            return self._post(need(data, "post", field="post"))
        if event == "topic_created":
            # A topic's text arrives in its first post_created (post_number 1, carrying
            # topic_title); the topic event has only the title, so storing it too would give
            # every new topic two inbox items.
            need(data, "topic", field="topic")
            return ParseResult(ignored=1)
        return ParseResult(ignored=1)  # ping, edits, likes, users, solved ...

    def _post(self, post: dict) -> ParseResult:
        if post.get("user_id") in SYSTEM_USER_IDS or post.get("post_type", 1) != 1:
            return ParseResult(ignored=1)  # bots, moderator actions, small actions, whispers
        post_id = need(post, "id", field="post.id")
        topic_id = need(post, "topic_id", field="post.topic_id")
        raw = post.get("raw") or ""
        if post.get("post_number") == 1 and post.get("topic_title"):
            raw = f"{post['topic_title']}\n\n{raw}"
        message = Message(
            source=self.source,
            external_id=f"post:{post_id}",
            thread_id=f"topic:{topic_id}",
            author=Author(id=str(need(post, "user_id", field="post.user_id")),
                          handle=post.get("username"), name=post.get("name") or None),
            text=raw,
            created_at=iso(need(post, "created_at", field="post.created_at"),
                           field="post.created_at"),
            url=self._url(post),
            raw=post,
        )
        return ParseResult(messages=[message])

    def _url(self, post: dict) -> str | None:
        base = self.config.base_url
        if not base or not post.get("topic_slug"):
            return None
        return f"{base.rstrip('/')}/t/{post['topic_slug']}/{post['topic_id']}/{post.get('post_number', 1)}"
