"""RSS/Atom feeds (blog comment feeds) polled with conditional GET, parsed by feedparser."""

from __future__ import annotations

import calendar
import hashlib
import re
from datetime import UTC, datetime
from functools import partial
from urllib.parse import urldefrag

import feedparser
import httpx

from triage.core.message import Author, Message
from triage.intake.connectors.base import ChannelConfig
from triage.intake.connectors.charset import detect
from triage.intake.connectors.dates import checked, flagged, localized
from triage.intake.connectors.polling import (
    Entries,
    Poller,
    PollError,
    PollResult,
    get_json,
    remember,
)
from triage.intake.connectors.text import html_to_text

MAX_ID_CHARS = 256  # Message.external_id limit; longer guids are hashed
XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=", re.IGNORECASE)
PLACEHOLDER = re.compile(r"^\W*(\.\.\.|…|read more|continue reading)?\W*$", re.IGNORECASE)


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
        feed = feedparser.parse(response.content, response_headers=feed_headers(response))
        if feed.bozo and not feed.entries:
            raise PollError(f"{self.config.url} is not a feed: {feed.get('bozo_exception')}")
        seen = list(cursor.get("seen", []))
        known = set(seen)
        entries = Entries()
        handled: list[str] = []  # taken, ignored or skipped: a feed resends them all every time
        for entry in reversed(feed.entries):  # feeds list newest first; ingest oldest first
            ext = _entry_id(entry)
            if ext in known:
                continue
            known.add(ext)
            handled.append(ext)
            entries.take(ext, partial(self._message, entry, ext, now, feed.feed), _brief(entry))
        cursor.update(seen=remember(seen, handled),
                      etag=response.headers.get("ETag"),
                      modified=response.headers.get("Last-Modified"))
        return entries.result(cursor=cursor)

    def _message(self, entry: dict, ext: str, now: datetime, feed: dict) -> Message | None:
        text = entry_text(entry)
        if not text:
            return None  # nothing to read or answer: counted as ignored
        # Atom lets an entry inherit the feed's author (RFC 4287 4.2.1).
        detail = entry.get("author_detail") or feed.get("author_detail") or {}
        name = entry.get("author") or detail.get("name")
        author_id = detail.get("email") or detail.get("href") or name or "anonymous"
        created, flag = checked(_when(entry), received=now, channel="rss")
        return Message(
            source=self.source,
            external_id=ext,
            thread_id=_thread(entry),
            author=Author(id=author_id[:256], name=name[:256] if name else None),
            text=text,
            created_at=created,
            url=entry.get("link") if len(entry.get("link") or "") <= 2048 else None,
            raw=flagged({k: dict.get(entry, k) for k in ("id", "link", "title", "author",
                                                          "published", "updated")}, flag),
        )


def feed_headers(response: httpx.Response) -> dict[str, str]:
    """The response headers for feedparser; a charset is detected when none is declared anywhere."""
    headers = {k.lower(): v for k, v in response.headers.items()}
    content = response.content
    if "charset=" in headers.get("content-type", "").lower() or XML_ENCODING.match(content):
        return headers
    try:
        content.decode("utf-8")  # XML's default: nothing to detect
        return headers
    except UnicodeDecodeError:
        pass
    found = detect(content)
    if found:
        mime = headers.get("content-type", "application/xml").split(";")[0].strip() or "application/xml"
        headers["content-type"] = f"{mime}; charset={found}"
    return headers


def entry_text(entry: dict) -> str:
    """Title beside the body (a link feed's body is often only 'Comments'); placeholders skipped."""
    bodies = [c.get("value") for c in entry.get("content") or [] if isinstance(c, dict)]
    # The longest reading wins: full content beats a summary, a real summary beats a teaser
    # ("...") that some generators put in content:encoded.
    texts = [html_to_text(b or "") for b in (*bodies, entry.get("summary")) if isinstance(b, str)]
    body = max((t for t in texts if t and not PLACEHOLDER.match(t)), key=len, default="")
    title = html_to_text(entry.get("title") or "")
    if title and body and not body.startswith(title):
        return f"{title}\n\n{body}"
    return body or title


def _entry_id(entry: dict) -> str:
    ext = entry.get("id") or entry.get("link") or ""
    if not ext:  # RSS 2.0 makes guid and link optional: the entry's own words identify it
        seed = "\n".join(str(entry.get(k) or "") for k in ("title", "summary", "published"))
        return "sha256:" + hashlib.sha256(seed.encode()).hexdigest()
    if len(ext) > MAX_ID_CHARS:
        return "sha256:" + hashlib.sha256(ext.encode()).hexdigest()
    return ext


def _brief(entry: dict) -> dict:
    return {k: dict.get(entry, k) for k in ("id", "link", "title", "summary", "published")}


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
    if parsed:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    # feedparser reads English dates only; "Seg, 24 Set 2018" needs a multilingual parser.
    return localized(dict.get(entry, "published") or dict.get(entry, "updated"))
