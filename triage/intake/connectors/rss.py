"""RSS/Atom feeds (blog comment feeds) polled with conditional GET, parsed by feedparser."""

from __future__ import annotations

import calendar
import hashlib
from datetime import UTC, datetime
from urllib.parse import urldefrag

import feedparser
import httpx

from triage.core.message import Author, Message
from triage.intake.connectors.base import ChannelConfig
from triage.intake.connectors.polling import Poller, PollError, PollResult, get_json, remember
from triage.intake.connectors.text import html_to_text

MAX_ID_CHARS = 256  # Message.external_id limit; longer guids are hashed


class FeedConfig(ChannelConfig):
    """One feed URL, e.g. WordPress's /comments/feed/ or an Atom feed with thr:in-reply-to."""

    url: str


class FeedPoller(Poller):
    """New feed entries become messages, threaded by the post they comment on."""

    slug = "rss"
    Config = FeedConfig

    def poll(self, *, cursor: dict | None, http: httpx.Client, now: datetime) -> PollResult:
        cursor = dict(cursor or {})
        headers = {"Accept": "application/atom+xml, application/rss+xml, application/xml"}
        if cursor.get("etag"):
            headers["If-None-Match"] = cursor["etag"]
        if cursor.get("modified"):
            headers["If-Modified-Since"] = cursor["modified"]
        response = get_json(http, self.config.url, now=now, headers=headers)
        if response.status_code == 304:
            return PollResult(cursor=cursor)
        feed = feedparser.parse(response.content)
        if feed.bozo and not feed.entries:
            raise PollError(f"{self.config.url} is not a feed: {feed.get('bozo_exception')}")
        seen = list(cursor.get("seen", []))
        known = set(seen)
        messages = []
        for entry in reversed(feed.entries):  # feeds list newest first; ingest oldest first
            ext = _entry_id(entry)
            if ext in known:
                continue
            known.add(ext)
            messages.append(self._message(entry, ext, now, feed.feed))
        cursor.update(seen=remember(seen, [m.external_id for m in messages]),
                      etag=response.headers.get("ETag"),
                      modified=response.headers.get("Last-Modified"))
        return PollResult(messages=messages, cursor=cursor)

    def _message(self, entry: dict, ext: str, now: datetime, feed: dict) -> Message:
        body = entry.get("content", [{}])[0].get("value") or entry.get("summary") or ""
        # Atom lets an entry inherit the feed's author (RFC 4287 4.2.1).
        detail = entry.get("author_detail") or feed.get("author_detail") or {}
        name = entry.get("author") or detail.get("name")
        author_id = detail.get("email") or detail.get("href") or name or "anonymous"
        return Message(
            source=self.source,
            external_id=ext,
            thread_id=_thread(entry),
            author=Author(id=author_id[:256], name=name),
            text=html_to_text(body) or entry.get("title", ""),
            created_at=_when(entry) or now,
            url=entry.get("link"),
            raw={k: dict.get(entry, k) for k in ("id", "link", "title", "author", "published",
                                                 "updated")},
        )


def _entry_id(entry: dict) -> str:
    ext = entry.get("id") or entry.get("link") or entry.get("title", "")
    if len(ext) > MAX_ID_CHARS:
        return "sha256:" + hashlib.sha256(ext.encode()).hexdigest()
    return ext


def _thread(entry: dict) -> str | None:
    """RFC 4685 thr:in-reply-to, else the commented post's URL (WordPress '#comment-N' links)."""
    reply_to = entry.get("thr_in-reply-to") or {}
    if reply_to.get("ref") or reply_to.get("href"):
        return (reply_to.get("ref") or reply_to["href"])[:256]
    link = entry.get("link")
    if link and "#" in link:
        return urldefrag(link).url[:256]
    return None


def _when(entry: dict) -> datetime | None:
    # dict.get skips feedparser's deprecated updated->published fallback (and its warning).
    parsed = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed else None
