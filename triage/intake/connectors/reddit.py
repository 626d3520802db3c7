"""Reddit: inbox (mentions, replies, messages) and subreddit posts/comments via OAuth listings."""

from __future__ import annotations

from datetime import datetime
from functools import partial

import httpx
from pydantic import Field, SecretStr

from triage.core.message import Author, Message
from triage.intake.connectors.base import ChannelConfig, PayloadError
from triage.intake.connectors.dates import checked, flagged
from triage.intake.connectors.polling import (
    MAX_PAGES_PER_POLL,
    AuthExpired,
    Entries,
    Poller,
    PollResult,
    remember,
    send,
)
from triage.intake.connectors.signing import epoch, need
from triage.intake.connectors.text import markdown_to_text

PAGE_SIZE = 100  # Reddit's listing maximum
GONE = frozenset({"[deleted]", "[removed]"})  # what Reddit shows in place of deleted content
WEB = "https://www.reddit.com"


class RedditConfig(ChannelConfig):
    """A script/web app's id+secret, the account's refresh token, and what to watch."""

    client_id: str
    client_secret: SecretStr
    refresh_token: SecretStr
    user_agent: str  # Reddit requires a unique, descriptive one: "platform:app:version (by /u/x)"
    subreddits: list[str] = Field(default_factory=list)
    inbox: bool = True
    own_usernames: list[str] = Field(default_factory=list)  # our accounts: never inbound
    sent_ids: list[str] = Field(default_factory=list)  # fullnames the outbox posted
    api_base: str = "https://oauth.reddit.com"
    token_url: str = f"{WEB}/api/v1/access_token"


class RedditPoller(Poller):
    """Each listing keeps its own `before` anchor and pages toward newer items from it."""

    slug = "reddit"
    Config = RedditConfig

    def listings(self) -> list[str]:
        paths = ["/message/inbox"] if self.config.inbox else []
        for sub in self.config.subreddits:
            paths += [f"/r/{sub}/new", f"/r/{sub}/comments"]
        return paths

    def poll(self, *, cursor: dict | None, http: httpx.Client, now: datetime) -> PollResult:
        cursor = dict(cursor or {})
        anchors = dict(cursor.get("before", {}))
        seen = list(cursor.get("seen", []))
        known = set(seen)
        headers = {"Authorization": f"bearer {self._token(http, now)}",
                   "User-Agent": self.config.user_agent}
        entries = Entries()
        backlog = False
        for path in self.listings():
            things, anchors[path], more = self._walk(http, path, anchors.get(path), headers, now)
            backlog |= more
            for thing in things:
                data = thing.get("data") if isinstance(thing, dict) else None
                name = data.get("name") if isinstance(data, dict) else None
                if name in known:
                    continue
                if entries.take(name, partial(self._message, thing, now), thing):
                    known.add(name)
        cursor.update(before=anchors, seen=remember(seen, [m.external_id for m in entries.messages]))
        return entries.result(cursor=cursor, backlog=backlog)

    def _token(self, http: httpx.Client, now: datetime) -> str:
        response = send(http, "POST", self.config.token_url, now=now,
                        auth=(self.config.client_id, self.config.client_secret.get_secret_value()),
                        data={"grant_type": "refresh_token",
                              "refresh_token": self.config.refresh_token.get_secret_value()},
                        headers={"User-Agent": self.config.user_agent})
        body = response.json()
        if "access_token" not in body:  # {"error": "invalid_grant"}: the refresh token was revoked
            raise AuthExpired(f"Reddit refused the refresh token: {body.get('error', body)}")
        return body["access_token"]

    def _walk(self, http: httpx.Client, path: str, before: str | None, headers: dict,
              now: datetime) -> tuple[list[dict], str | None, bool]:
        """Children newer than `before`, oldest first; the new anchor; whether more remain."""
        url = self.config.api_base.rstrip("/") + path
        found: list[dict] = []
        for _ in range(MAX_PAGES_PER_POLL):
            params = {"limit": PAGE_SIZE, "raw_json": 1}
            if before:
                params["before"] = before
            listing = send(http, "GET", url, now=now, params=params, headers=headers).json()
            data = listing.get("data") if isinstance(listing, dict) else None
            if not isinstance(data, dict):
                raise PayloadError(f"{path} is not a Listing", field=f"{path}.data")
            children = data.get("children") or []
            if not isinstance(children, list):
                raise PayloadError(f"{path} children is not a list", field=f"{path}.data.children")
            found += reversed(children)  # listings are newest first
            newest = _name(children[0]) if children else None
            before = newest or before
            if not before or len(children) < PAGE_SIZE or not params.get("before"):
                return found, before, False  # caught up (or a first run: newest page only)
        return found, before, True

    def _message(self, thing: dict, now: datetime) -> Message | None:
        kind, data = thing.get("kind"), need(thing, "data", field="data")
        name = str(need(data, "name", field="data.name"))
        author = data.get("author")
        if author in GONE or data.get("removed_by_category") or data.get("body") in GONE \
                or data.get("selftext") in GONE and not data.get("title"):
            return None  # deleted or removed: nobody to answer, nothing to read
        own = {u.lower() for u in self.config.own_usernames}
        if (author or "").lower() in own or name in self.config.sent_ids:
            return None  # what our own account wrote
        if kind == "t3":
            selftext = "" if data.get("selftext") in GONE else _md(data.get("selftext"))
            text = "\n\n".join(p for p in (data.get("title"), selftext) if p)
            thread = name
        elif kind == "t1":
            text, thread = _md(data.get("body")), data.get("link_id") or _post_of(data)
        elif kind == "t4":
            text = "\n\n".join(p for p in (data.get("subject"), _md(data.get("body"))) if p)
            thread = data.get("first_message_name") or name
        else:
            raise PayloadError(f"unexpected listing kind {kind!r}", field="kind")
        if not str(text).strip():
            return None
        link = data.get("permalink") or data.get("context")
        created, flag = checked(epoch(need(data, "created_utc", field="data.created_utc"),
                                      field="data.created_utc"), received=now, channel="reddit")
        return Message(
            source=self.source,
            external_id=name,
            thread_id=thread,
            author=Author(id=str(data.get("author_fullname") or data.get("author") or "[deleted]"),
                          handle=data.get("author")),
            text=str(text),
            created_at=created,
            url=f"{WEB}{link}" if link else None,
            raw=flagged(thing, flag),
        )


def _md(value: object) -> str:
    """Reddit markdown as plain text ('**bold**', '[label](url)', '&gt;' quotes)."""
    return markdown_to_text(value) if isinstance(value, str) else ""


def _name(thing: object) -> str | None:
    data = thing.get("data") if isinstance(thing, dict) else None
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else None


def _post_of(data: dict) -> str | None:
    """Inbox comments carry no link_id; their context '/r/x/comments/<post>/...' names the post."""
    parts = (data.get("context") or "").split("/")
    if "comments" in parts and parts.index("comments") + 1 < len(parts):
        return "t3_" + parts[parts.index("comments") + 1]
    return data.get("parent_id")
