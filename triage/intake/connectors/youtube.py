"""YouTube comments: commentThreads for a channel, newest first, paged with pageToken."""

from __future__ import annotations

from datetime import datetime
from functools import partial

import httpx
from pydantic import Field, SecretStr

from triage.core.message import Author, Message
from triage.intake.connectors.base import ChannelConfig
from triage.intake.connectors.dates import checked, flagged
from triage.intake.connectors.polling import (
    MAX_PAGES_PER_POLL,
    Entries,
    Poller,
    PollResult,
    RateLimited,
    TransientError,
    check,
    remember,
)
from triage.intake.connectors.signing import iso, need
from triage.intake.connectors.text import html_to_text

API = "https://www.googleapis.com/youtube/v3"
PAGE_SIZE = 100  # maxResults limit of commentThreads.list
# Threads whose reply count we remember: a reply to an older thread does not bring the thread
# back to the top of commentThreads (order=time follows the top comment), so we compare counts
# on the newest page each poll and fetch the replies of threads that grew.
THREADS_TRACKED = 500
QUOTA_RETRY_SECONDS = 3600.0  # the daily quota resets at midnight Pacific; try again hourly


class YouTubeConfig(ChannelConfig):
    """A channel id and an API key (public comments) or an OAuth access token."""

    channel_id: str
    api_key: SecretStr | None = None
    access_token: SecretStr | None = None
    api_base: str = API
    sent_ids: list[str] = Field(default_factory=list)  # comment ids the outbox posted


class YouTubePoller(Poller):
    """Top-level comments and their replies, threaded by comment thread."""

    slug = "youtube"
    Config = YouTubeConfig

    def poll(self, *, cursor: dict | None, http: httpx.Client, now: datetime) -> PollResult:
        cursor = dict(cursor or {})
        since = cursor.get("since")
        resume = cursor.get("resume") or {}
        token, high = resume.get("page_token"), resume.get("high") or since
        seen = list(cursor.get("seen", []))
        known = set(seen)
        entries = Entries()
        counts: dict[str, int] = dict(cursor.get("replies") or {})

        def take(thread_id: str, comments: list[dict]) -> None:
            for comment in comments:
                cid = comment.get("id") if isinstance(comment, dict) else None
                if cid not in known and entries.take(
                        cid, partial(self._message, thread_id, comment, now), comment):
                    known.add(cid)

        for _ in range(MAX_PAGES_PER_POLL):
            page = self._page(http, token, now)
            reached_old = False
            for thread in page.get("items", []):
                snippet = need(thread, "snippet", field="items[].snippet")
                top = need(snippet, "topLevelComment", field="items[].snippet.topLevelComment")
                published = top["snippet"]["publishedAt"]
                old = bool(since) and iso(published, field="publishedAt") <= iso(since, field="since")
                inline = (thread.get("replies") or {}).get("comments", [])
                total = int(snippet.get("totalReplyCount") or len(inline))
                before = counts.pop(thread["id"], None)
                counts[thread["id"]] = total  # re-inserted: most recently seen last
                if old:
                    reached_old = True
                    if before is not None and total > before:  # new replies on an older thread
                        take(thread["id"], self._replies(http, thread["id"], now))
                    continue
                high = max(high or published, published, key=lambda v: iso(v, field="since"))
                take(thread["id"], [top, *inline])
                if total > len(inline):  # the thread resource carries only a few replies
                    take(thread["id"], self._replies(http, thread["id"], now))
            token = page.get("nextPageToken")
            if reached_old or not token or not since:  # a first run takes the newest page only
                cursor.update(since=high, resume=None)
                break
        else:
            cursor.update(resume={"page_token": token, "high": high})
        cursor["seen"] = remember(seen, [m.external_id for m in entries.messages])
        cursor["replies"] = dict(list(counts.items())[-THREADS_TRACKED:])
        return entries.result(cursor=cursor, backlog=bool(cursor.get("resume")))

    def _page(self, http: httpx.Client, token: str | None, now: datetime) -> dict:
        params = {"part": "snippet,replies", "allThreadsRelatedToChannelId": self.config.channel_id,
                  "order": "time", "maxResults": PAGE_SIZE, "textFormat": "plainText"}
        return self._get(http, "commentThreads", params, token, now)

    def _get(self, http: httpx.Client, resource: str, params: dict, token: str | None,
             now: datetime) -> dict:
        headers = {}
        if token:
            params["pageToken"] = token
        if self.config.access_token:
            headers["Authorization"] = f"Bearer {self.config.access_token.get_secret_value()}"
        elif self.config.api_key:
            params["key"] = self.config.api_key.get_secret_value()
        url = f"{self.config.api_base.rstrip('/')}/{resource}"
        try:
            response = http.get(url, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise TransientError(f"GET {url} failed: {exc}") from exc
        return _quota_aware(response, now).json()

    def _replies(self, http: httpx.Client, parent: str, now: datetime) -> list[dict]:
        """Every reply of one thread (comments.list with parentId), oldest pages first."""
        replies, token = [], None
        for _ in range(MAX_PAGES_PER_POLL):
            page = self._get(http, "comments", {"part": "snippet", "parentId": parent,
                                                "maxResults": PAGE_SIZE,
                                                "textFormat": "plainText"}, token, now)
            replies += page.get("items", [])
            token = page.get("nextPageToken")
            if not token:
                break
        return replies

    def _message(self, thread_id: str, comment: dict, now: datetime) -> Message | None:
        snip = need(comment, "snippet", field="comment.snippet")
        author = (snip.get("authorChannelId") or {}).get("value") or snip.get("authorDisplayName")
        if author == self.config.channel_id or comment.get("id") in self.config.sent_ids:
            return None  # the channel's own replies
        text = snip.get("textOriginal") or html_to_text(snip.get("textDisplay") or "")
        if not text.strip():
            return None
        video = snip.get("videoId")
        created, flag = checked(iso(need(snip, "publishedAt", field="comment.snippet.publishedAt"),
                                    field="comment.snippet.publishedAt"), received=now,
                                channel="youtube")
        return Message(
            source=self.source,
            external_id=str(need(comment, "id", field="comment.id")),
            thread_id=thread_id,
            author=Author(id=str(author or "unknown"), name=snip.get("authorDisplayName"),
                          handle=snip.get("authorDisplayName")),
            text=text,
            created_at=created,
            url=f"https://www.youtube.com/watch?v={video}&lc={comment['id']}" if video else None,
            raw=flagged(comment, flag),
        )


def _quota_aware(response: httpx.Response, now: datetime) -> httpx.Response:
    """YouTube says 403 quotaExceeded when the daily quota is spent: that is a rate limit."""
    if response.status_code == 403 and "quotaExceeded" in response.text:
        raise RateLimited(QUOTA_RETRY_SECONDS, "YouTube daily quota exceeded")
    return check(response, now=now)
