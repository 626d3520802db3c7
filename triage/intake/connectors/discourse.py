"""Discourse webhooks: X-Discourse-Event-Signature over the body, post_created and topic_created."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from pydantic import Field

from triage.core.message import Author, Message
from triage.intake.connectors.base import (
    Channel,
    ChannelConfig,
    ParseResult,
    PayloadError,
    header,
    loads_json,
)
from triage.intake.connectors.dates import checked, flagged, received
from triage.intake.connectors.signing import hex_sig, iso, need, require_match
from triage.intake.connectors.text import html_to_text, markdown_to_text

SIGNATURE_HEADER = "X-Discourse-Event-Signature"
EVENT_HEADER = "X-Discourse-Event"
TYPE_HEADER = "X-Discourse-Event-Type"
MARKUP = re.compile(r"[*_`\[\]!#<>|~\\&:@]|\n")  # markdown, mentions, emoji codes, paragraphs
SYSTEM_USER_IDS = frozenset({-1, -2})  # 'system' and 'discobot' post automated messages


class DiscourseConfig(ChannelConfig):
    """`secret` is the webhook's Secret field; base_url builds links back to the forum."""

    base_url: str | None = None
    own_usernames: list[str] = Field(default_factory=list)  # staff accounts: never inbound
    sent_ids: list[str] = Field(default_factory=list)  # post ids the outbox created


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
        if str(post.get("username") or "").lower() in {u.lower() for u in self.config.own_usernames} \
                or str(post_id) in self.config.sent_ids:
            return ParseResult(ignored=1)  # our own staff's replies
        if post.get("deleted_at") or post.get("user_deleted"):
            return ParseResult(ignored=1)
        text = _post_text(post)
        if not text:
            return ParseResult(ignored=1)
        if post.get("post_number") == 1 and post.get("topic_title"):
            text = f"{post['topic_title']}\n\n{text}"
        created, flag = checked(iso(need(post, "created_at", field="post.created_at"),
                                    field="post.created_at"), received=received(), channel="discourse")
        message = Message(
            source=self.source,
            external_id=f"post:{post_id}",
            thread_id=f"topic:{topic_id}",
            author=Author(id=str(need(post, "user_id", field="post.user_id")),
                          handle=post.get("username"), name=post.get("name") or None),
            text=text,
            created_at=created,
            url=self._url(post),
            raw=flagged(post, flag),
        )
        return ParseResult(messages=[message])

    def _url(self, post: dict) -> str | None:
        """The post's link on the forum, when base_url is configured."""
        base = self.config.base_url
        if not base or not post.get("topic_slug"):
            return None
        return f"{base.rstrip('/')}/t/{post['topic_slug']}/{post['topic_id']}/{post.get('post_number', 1)}"


def _post_text(post: dict) -> str:
    """What readers see: the rendered HTML ('cooked') as text, else the markdown source as text."""
    raw = post.get("raw")
    if isinstance(raw, str) and raw.strip() and not MARKUP.search(raw):
        return " ".join(raw.split())  # plain prose: the source is what readers see
    cooked = post.get("cooked")
    if isinstance(cooked, str) and cooked.strip():
        # Discourse renders image uploads as <img>, which html_to_text drops; say one was there.
        text = html_to_text(cooked)
        return text or ("[image]" if "<img" in cooked else "")
    return markdown_to_text(raw) if isinstance(raw, str) else ""
