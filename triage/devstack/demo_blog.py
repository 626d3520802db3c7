"""The demo's blog: an Atom comment feed under the data dir, served over real HTTP for the poller."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

FEED_PATH = "/comments/feed/"  # where WordPress serves its comment feed
BLOG_URL = "https://blog.example.com"
KEEP_COMMENTS = 50  # the feed shows the newest, like a real blog's feed does


@dataclass(frozen=True)
class Comment:
    """One blog comment: who wrote it on which post, and when."""

    id: str
    post: str  # the post's URL: the comment's thread
    post_title: str
    author: str
    email: str
    text: str
    published: datetime


class BlogFeed:
    """The comments kept as JSON, rendered to an Atom feed file the server sends as is."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.store = self.directory / "comments.json"
        self.feed = self.directory / "comments.xml"

    def comments(self) -> list[Comment]:
        if not self.store.exists():
            return []
        return [Comment(**{**c, "published": datetime.fromisoformat(c["published"])})
                for c in json.loads(self.store.read_text())]

    def publish(self, new: list[Comment]) -> int:
        """Add comments (oldest first) and rewrite the feed atomically; returns how many it shows."""
        self.directory.mkdir(parents=True, exist_ok=True)
        known = {c.id for c in self.comments()}
        kept = (self.comments() + [c for c in new if c.id not in known])[-KEEP_COMMENTS:]
        _write(self.store, json.dumps([{**asdict(c), "published": c.published.isoformat()}
                                       for c in kept], indent=1))
        _write(self.feed, render_atom(kept))
        return len(kept)


def render_atom(comments: list[Comment]) -> str:
    """An Atom feed, newest first, each comment threaded to its post (RFC 4685 thr:in-reply-to)."""
    updated = max((c.published for c in comments), default=None)
    entries = "".join(_entry(c) for c in sorted(comments, key=lambda c: c.published, reverse=True))
    return ('<?xml version="1.0" encoding="utf-8"?>\n'
            '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0">\n'
            '  <title>Comments on the Example blog</title>\n'
            f'  <id>{BLOG_URL}/comments/feed/</id>\n'
            f'  <link rel="self" href="{BLOG_URL}/comments/feed/"/>\n'
            f'  <updated>{(updated.isoformat() if updated else "1970-01-01T00:00:00+00:00")}</updated>\n'
            f'{entries}</feed>\n')


def _entry(c: Comment) -> str:
    return (f'  <entry>\n    <id>{escape(c.id)}</id>\n'
            f'    <title>{escape(f"Comment on {c.post_title} by {c.author}")}</title>\n'
            f'    <link rel="alternate" href={quoteattr(c.post + "#" + c.id.rsplit(":", 1)[-1])}/>\n'
            f'    <author><name>{escape(c.author)}</name><email>{escape(c.email)}</email></author>\n'
            f'    <published>{c.published.isoformat()}</published>\n'
            f'    <updated>{c.published.isoformat()}</updated>\n'
            f'    <thr:in-reply-to ref={quoteattr(c.post)} href={quoteattr(c.post)}/>\n'
            f'    <content type="html">{escape("<p>" + escape(c.text) + "</p>")}</content>\n'
            '  </entry>\n')


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


class BlogServer:
    """A small HTTP server for the feed, with ETag and Last-Modified so polls are conditional."""

    def __init__(self, feed: BlogFeed, *, port: int, host: str = "127.0.0.1"):
        self.feed = feed
        self._server = ThreadingHTTPServer((host, port), _handler(feed))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.2,), daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}{FEED_PATH}"

    def start(self) -> BlogServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(feed: BlogFeed) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?", 1)[0] != FEED_PATH or not feed.feed.exists():
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            body = feed.feed.read_bytes()
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            modified = format_datetime(datetime.fromtimestamp(int(feed.feed.stat().st_mtime), UTC),
                                       usegmt=True)
            headers = {"ETag": etag, "Last-Modified": modified}
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", headers)
                return
            self._send(200, body, {**headers, "Content-Type": "application/atom+xml; charset=utf-8"})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if body:
                self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
