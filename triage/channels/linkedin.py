"""LinkedIn organization page: comments on its recent posts (REST Posts + socialActions APIs)."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from triage.channels.base import ChannelConfig, PayloadError
from triage.channels.polling import MAX_PAGES_PER_POLL, Poller, PollResult, remember, send
from triage.channels.signing import epoch, need
from triage.domain.message import Author, Message

API_VERSION = "202405"  # LinkedIn-Version header: versioned REST APIs are dated YYYYMM
RECENT_POSTS = 20  # posts whose comments we watch; older posts rarely get new comments
PAGE_SIZE = 50


class LinkedInConfig(ChannelConfig):
    """An organization URN and a token with r_organization_social (community management)."""

    organization_urn: str  # "urn:li:organization:2414183"
    access_token: SecretStr
    api_base: str = "https://api.linkedin.com"


class LinkedInPoller(Poller):
    """New comments on the organization's recent posts, threaded by post."""

    slug = "linkedin"
    Config = LinkedInConfig

    def poll(self, *, cursor: dict | None, http: httpx.Client, now: datetime) -> PollResult:
        cursor = dict(cursor or {})
        states = dict(cursor.get("posts", {}))
        seen = list(cursor.get("seen", []))
        known = set(seen)
        messages: list[Message] = []
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
                msg = self._message(urn, c)
                if msg.external_id not in known:
                    known.add(msg.external_id)
                    messages.append(msg)
        cursor.update(posts={u: states[u] for u in recent},
                      seen=remember(seen, [m.external_id for m in messages]))
        if backlog:
            return PollResult(messages=messages, cursor=cursor, retry_after=0.0, status="backlog")
        return PollResult(messages=messages, cursor=cursor)

    def _get(self, http: httpx.Client, path: str, now: datetime, **params: object) -> dict:
        headers = {"Authorization": f"Bearer {self.config.access_token.get_secret_value()}",
                   "LinkedIn-Version": API_VERSION, "X-Restli-Protocol-Version": "2.0.0"}
        url = self.config.api_base.rstrip("/") + path
        body = send(http, "GET", url, now=now, params=params, headers=headers).json()
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

    def _message(self, post_urn: str, comment: dict) -> Message:
        created = need(comment, "created", field="comment.created")
        actor = comment.get("actor") or created.get("actor")
        return Message(
            source=self.source,
            external_id=str(comment.get("commentUrn") or comment.get("$URN")
                            or need(comment, "id", field="comment.id")),
            thread_id=post_urn,
            author=Author(id=str(actor or "unknown")),
            text=(comment.get("message") or {}).get("text", ""),
            created_at=epoch(need(created, "time", field="comment.created.time"),
                             field="comment.created.time"),
            url=f"https://www.linkedin.com/feed/update/{post_urn}",
            raw=comment,
        )
