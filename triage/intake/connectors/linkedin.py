"""LinkedIn organization page: comments on its recent posts (REST Posts + socialActions APIs),
and posts or comments that mention the page (Organization Social Action Notifications API)."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from urllib.parse import quote

import httpx
from pydantic import Field, SecretStr

from triage.core.message import Author, Message
from triage.intake.connectors.base import ChannelConfig, PayloadError
from triage.intake.connectors.dates import checked, flagged
from triage.intake.connectors.linkedin_mentions import LinkedInMentions
from triage.intake.connectors.polling import (
    MAX_PAGES_PER_POLL,
    AuthExpired,
    Entries,
    Poller,
    PollResult,
    TransientError,
    check,
    remember,
    send,
)
from triage.intake.connectors.signing import epoch, need
from triage.intake.connectors.text import mention_text

log = logging.getLogger(__name__)

API_VERSION = "202405"  # LinkedIn-Version header: versioned REST APIs are dated YYYYMM
RECENT_POSTS = 20  # posts whose comments we watch; older posts rarely get new comments
PAGE_SIZE = 50


class LinkedInConfig(ChannelConfig):
    """An organization URN and a token with r_organization_social (community management), plus
    rw_organization_admin for mentions (the notifications API answers 403 without it)."""

    organization_urn: str  # "urn:li:organization:2414183"
    access_token: SecretStr
    api_base: str = "https://api.linkedin.com"
    mentions: bool = True  # also take posts and comments that mention the page
    sent_ids: list[str] = Field(default_factory=list)  # comment URNs the outbox posted


class LinkedInPoller(Poller):
    """New comments on the organization's recent posts, threaded by post, and page mentions."""

    slug = "linkedin"
    Config = LinkedInConfig

    def poll(self, *, cursor: dict | None, http: httpx.Client, now: datetime) -> PollResult:
        cursor = dict(cursor or {})
        states = dict(cursor.get("posts", {}))
        seen = list(cursor.get("seen", []))
        known = set(seen)
        entries = Entries()
        backlog = False
        posts = self._get(http, "/rest/posts", now, q="author", author=self.config.organization_urn,
                          count=RECENT_POSTS, sortBy="LAST_MODIFIED")
        recent = [str(need(p, "id", field="elements[].id")) for p in posts.get("elements", [])]
        for urn in recent:
            start, comments, more = self._comments(http, urn, states.get(urn, {}).get("start", 0),
                                                   now)
            states[urn] = {"start": start}
            backlog |= more
            for c in comments:
                cid = _comment_id(c)
                if cid not in known and entries.take(cid, partial(self._message, urn, c, now), c):
                    known.add(cid)
        if self.config.mentions:
            mentions = LinkedInMentions(
                source=self.source, organization_urn=self.config.organization_urn,
                get=lambda path: self._get(http, path, now),
                fetch=lambda path: self._fetch(http, path, now))
            try:
                cursor["mentions"], more = mentions.poll(dict(cursor.get("mentions") or {}),
                                                         known, now, entries)
            except AuthExpired as exc:
                # The same token just read the comments, so this is the missing
                # rw_organization_admin scope: keep the comments, skip mentions until it is granted.
                log.warning("LinkedIn source %s: mentions skipped, %s", self.source, exc)
                more = False
            backlog |= more
        cursor.update(posts={u: states[u] for u in recent},
                      seen=remember(seen, [m.external_id for m in entries.messages]))
        return entries.result(cursor=cursor, backlog=backlog)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.config.access_token.get_secret_value()}",
                "LinkedIn-Version": API_VERSION, "X-Restli-Protocol-Version": "2.0.0"}

    def _get(self, http: httpx.Client, path: str, now: datetime, **params: object) -> dict:
        """GET `path` (which may carry a hand-built Rest.li query when no params are given)."""
        url = self.config.api_base.rstrip("/") + path
        response = send(http, "GET", url, now=now, params=params or None, headers=self._headers())
        return self._object(path, response)

    def _fetch(self, http: httpx.Client, path: str, now: datetime) -> dict | None:
        """One mentioning post or comment; None when it was deleted (404/410) or is not visible to
        the page (403: the notifications call with this same token has just succeeded, so the token
        is fine, and one unreadable post must not stop every later poll). Other errors as _get."""
        url = self.config.api_base.rstrip("/") + path
        try:
            response = http.request("GET", url, headers=self._headers())
        except httpx.TimeoutException as exc:
            raise TransientError(f"GET {url} timed out") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"GET {url} failed: {exc}") from exc
        if response.status_code in (403, 404, 410):
            return None
        return self._object(path, check(response, now=now))

    @staticmethod
    def _object(path: str, response: httpx.Response) -> dict:
        body = response.json()
        if not isinstance(body, dict):
            raise PayloadError(f"{path} did not answer a JSON object", field="body")
        return body

    def _comments(self, http: httpx.Client, urn: str, start: int,
                  now: datetime) -> tuple[int, list[dict], bool]:
        """Comments from offset `start` on (oldest first, as LinkedIn lists them)."""
        found: list[dict] = []
        for _ in range(MAX_PAGES_PER_POLL):
            page = self._get(http, f"/rest/socialActions/{quote(urn, safe='')}/comments", now,
                             start=start, count=PAGE_SIZE)
            elements = page.get("elements", [])
            total = (page.get("paging") or {}).get("total")
            if total is not None and total < start:
                start = 0  # comments were deleted: rescan, the seen ids skip what we have
                continue
            found += elements
            start += len(elements)
            if len(elements) < PAGE_SIZE or (total is not None and start >= total):
                return start, found, False
        return start, found, True

    def _message(self, post_urn: str, comment: dict, now: datetime) -> Message | None:
        created = need(comment, "created", field="comment.created")
        actor = comment.get("actor") or created.get("actor")
        ext = _comment_id(comment) or str(need(comment, "id", field="comment.id"))
        if actor == self.config.organization_urn or ext in self.config.sent_ids:
            return None  # the page's own replies
        text = (comment.get("message") or {}).get("text", "")
        if not text.strip():
            return None  # deleted, or an image-only comment with nothing to read
        when, flag = checked(epoch(need(created, "time", field="comment.created.time"),
                                   field="comment.created.time"), received=now, channel="linkedin")
        return Message(
            source=self.source,
            external_id=ext,
            thread_id=post_urn,
            author=Author(id=str(actor or "unknown")),
            text=mention_text(text),
            created_at=when,
            url=f"https://www.linkedin.com/feed/update/{post_urn}",
            raw=flagged(comment, flag),
        )


def _comment_id(comment: object) -> str | None:
    if not isinstance(comment, dict):
        return None
    found = comment.get("commentUrn") or comment.get("$URN") or comment.get("id")
    return str(found) if found else None
