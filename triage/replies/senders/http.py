"""Repliers for the HTTP platforms: Mastodon, Discourse, Slack, Meta Graph, X and LinkedIn."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr

from triage.core.message import Message
from triage.replies.senders.base import (
    Replier,
    ReplyAuthError,
    ReplyReceipt,
    ReplyRejected,
    ReplyTemporary,
    checked,
    idempotency_key,
    post,
)

GRAPH = "https://graph.facebook.com/v21.0"
META_TOKEN_ERRORS = {102, 190}  # Graph error codes for an expired or invalidated access token
META_THROTTLE_ERRORS = {4, 17, 32, 613}  # app, user, page and custom rate limits


class HttpReplier(Replier):
    """Base for repliers that POST JSON with a bearer token; `now` comes from the clock."""

    def __init__(self, config: Any, *, http: httpx.Client,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.config = config
        self.http = http
        self.clock = clock or (lambda: datetime.now(UTC))

    def _bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.access_token.get_secret_value()}"}

    def _receipt(self, thread: str, in_reply_to: str, ext: Any, raw: dict) -> ReplyReceipt:
        if not ext:
            raise ReplyRejected(f"{self.slug} answered without an id: {raw!r:.200}")
        return ReplyReceipt(channel=self.slug, thread=thread, in_reply_to=in_reply_to,
                            external_id=str(ext), raw=raw)


class TokenConfig(BaseModel):
    """An API base URL and a token allowed to post."""

    api_base: str
    access_token: SecretStr


class MastodonReplier(HttpReplier):
    """POST /api/v1/statuses with in_reply_to_id, mentioning the author so they are notified."""

    slug = "mastodon"

    def send(self, *, thread: str, in_reply_to: str, text: str,
             original: Message | None = None) -> ReplyReceipt:
        handle = original.author.handle if original else None
        status = text if not handle or f"@{handle}" in text else f"@{handle} {text}"
        response = post(self.http, f"{self.config.api_base.rstrip('/')}/api/v1/statuses",
                        now=self.clock(), json={"status": status, "in_reply_to_id": in_reply_to},
                        headers={**self._bearer(),
                                 "Idempotency-Key": idempotency_key(thread, in_reply_to, text)})
        body = response.json()
        return self._receipt(thread, in_reply_to, body.get("id"), body)


class DiscourseReplyConfig(BaseModel):
    """An API key (admin-generated) and the username the replies are posted as."""

    api_base: str
    api_key: SecretStr
    api_username: str


class DiscourseReplier(HttpReplier):
    """POST /posts.json with topic_id (and reply_to_post_number when we know it)."""

    slug = "discourse"

    def send(self, *, thread: str, in_reply_to: str, text: str,
             original: Message | None = None) -> ReplyReceipt:
        topic = thread.removeprefix("topic:")
        if not topic.isdigit():
            raise ReplyRejected(f"not a Discourse topic thread: {thread!r}")
        payload: dict[str, Any] = {"topic_id": int(topic), "raw": text}
        if original and original.raw.get("post_number"):
            payload["reply_to_post_number"] = original.raw["post_number"]
        response = post(self.http, f"{self.config.api_base.rstrip('/')}/posts.json",
                        now=self.clock(), json=payload,
                        headers={"Api-Key": self.config.api_key.get_secret_value(),
                                 "Api-Username": self.config.api_username})
        body = response.json()
        return self._receipt(thread, in_reply_to, body.get("id") and f"post:{body['id']}", body)


class SlackReplier(HttpReplier):
    """chat.postMessage with thread_ts; Slack reports most failures as 200 {"ok": false}."""

    slug = "slack"
    AUTH_ERRORS = frozenset({"invalid_auth", "not_authed", "token_revoked", "token_expired",
                             "account_inactive", "missing_scope"})

    def send(self, *, thread: str, in_reply_to: str, text: str,
             original: Message | None = None) -> ReplyReceipt:
        channel, _, ts = thread.partition(":")
        if not ts:
            raise ReplyRejected(f"not a Slack thread: {thread!r}")
        response = post(self.http, f"{self.config.api_base.rstrip('/')}/chat.postMessage",
                        now=self.clock(), json={"channel": channel, "text": text, "thread_ts": ts},
                        headers=self._bearer())
        body = response.json()
        if not body.get("ok"):
            error = body.get("error", "unknown")
            kind = ReplyAuthError if error in self.AUTH_ERRORS else (
                ReplyTemporary if error in ("ratelimited", "internal_error") else ReplyRejected)
            raise kind(f"chat.postMessage: {error}")
        return self._receipt(thread, in_reply_to, body.get("ts") and f"{channel}:{body['ts']}", body)


class MetaReplier(HttpReplier):
    """Comment replies (FB /{id}/comments, IG /{id}/replies) and Send API for DM threads."""

    slug = "meta"

    def send(self, *, thread: str, in_reply_to: str, text: str,
             original: Message | None = None) -> ReplyReceipt:
        base = self.config.api_base.rstrip("/")
        if thread.startswith(("page-dm:", "instagram-dm:")):
            _, account, person = thread.split(":", 2)
            url = f"{base}/{account}/messages"
            payload = {"recipient": {"id": person}, "messaging_type": "RESPONSE",
                       "message": {"text": text}}
        elif original is not None and "media" in original.raw:
            url, payload = f"{base}/{in_reply_to}/replies", {"message": text}
        else:
            url, payload = f"{base}/{in_reply_to}/comments", {"message": text}
        try:
            response = self.http.post(url, json=payload, headers=self._bearer())
        except httpx.TransportError as exc:
            raise ReplyTemporary(f"POST {url} failed: {exc}") from exc
        if response.status_code >= 400:
            # Graph answers 400 for expired tokens and throttling too: its error code says which.
            code = _graph_code(response)
            if code in META_TOKEN_ERRORS:
                raise ReplyAuthError(f"Graph error {code}: {response.text[:200]}")
            if code in META_THROTTLE_ERRORS:
                raise ReplyTemporary(f"Graph throttled ({code})", retry_after=60.0)
        body = checked(response, now=self.clock()).json()
        return self._receipt(thread, in_reply_to, body.get("id") or body.get("message_id"), body)


def _graph_code(response: httpx.Response) -> int | None:
    try:
        return int(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return None


class XReplier(HttpReplier):
    """POST /2/tweets with reply.in_reply_to_tweet_id, or a DM into the conversation."""

    slug = "x"

    def send(self, *, thread: str, in_reply_to: str, text: str,
             original: Message | None = None) -> ReplyReceipt:
        base = self.config.api_base.rstrip("/")
        if thread.startswith("dm:") and original is not None:
            url = f"{base}/2/dm_conversations/with/{original.author.id}/messages"
            payload: dict[str, Any] = {"text": text}
        else:
            url = f"{base}/2/tweets"
            payload = {"text": text, "reply": {"in_reply_to_tweet_id": in_reply_to}}
        body = post(self.http, url, now=self.clock(), json=payload, headers=self._bearer()).json()
        data = body.get("data") or {}
        return self._receipt(thread, in_reply_to, data.get("id") or data.get("dm_event_id"), body)


class LinkedInReplyConfig(TokenConfig):
    """The organization URN replies are posted as (w_organization_social)."""

    organization_urn: str


class LinkedInReplier(HttpReplier):
    """POST /rest/socialActions/{post}/comments as the organization, nested under the comment."""

    slug = "linkedin"

    def send(self, *, thread: str, in_reply_to: str, text: str,
             original: Message | None = None) -> ReplyReceipt:
        url = (f"{self.config.api_base.rstrip('/')}/rest/socialActions/"
               f"{quote(thread, safe='')}/comments")
        payload = {"actor": self.config.organization_urn, "object": thread,
                   "message": {"text": text}}
        if in_reply_to.startswith("urn:li:comment:"):  # a post that mentions us gets a top comment
            payload["parentComment"] = in_reply_to
        response = post(self.http, url, now=self.clock(), json=payload,
                        headers={**self._bearer(), "LinkedIn-Version": "202405",
                                 "X-Restli-Protocol-Version": "2.0.0"})
        body = response.json() if response.content else {}
        ext = response.headers.get("x-restli-id") or body.get("commentUrn") or body.get("id")
        return self._receipt(thread, in_reply_to, ext, body)


REPLIERS: dict[str, type[Replier]] = {
    "mastodon": MastodonReplier, "discourse": DiscourseReplier, "slack": SlackReplier,
    "meta": MetaReplier, "x": XReplier, "linkedin": LinkedInReplier,
}  # plus imap -> replies.SmtpReplier, reddit/youtube -> replies_community; RSS feeds are read-only
