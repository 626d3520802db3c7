"""Mastodon mentions from the notifications API, paged forward from the saved id via Link headers."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from triage.core.message import Author, Message
from triage.intake.connectors.base import ChannelConfig, PayloadError
from triage.intake.connectors.polling import (
    MAX_PAGES_PER_POLL,
    Poller,
    PollResult,
    get_json,
    remember,
)
from triage.intake.connectors.signing import iso, need
from triage.intake.connectors.text import html_to_text

PAGE_SIZE = 40  # the API's maximum for notifications


class MastodonConfig(ChannelConfig):
    """One account on one instance: base_url like https://mastodon.social, a read token."""

    base_url: str
    access_token: SecretStr


class MastodonPoller(Poller):
    """Mentions of the account; replies thread under the status they answer."""

    slug = "mastodon"
    Config = MastodonConfig

    def poll(self, *, cursor: dict | None, http: httpx.Client, now: datetime) -> PollResult:
        cursor = dict(cursor or {})
        since = cursor.get("since_id")
        first_run = since is None
        seen = list(cursor.get("seen", []))
        known = set(seen)
        query = {"types[]": "mention", "limit": PAGE_SIZE}
        # min_id pages *forward* from the cursor (oldest new page first), so a poll stopped at
        # the page cap leaves no gap; since_id would hand us the newest page first.
        if since:
            query["min_id"] = since
        url: str | None = f"{self.config.base_url.rstrip('/')}/api/v1/notifications?{urlencode(query)}"
        headers = {"Authorization": f"Bearer {self.config.access_token.get_secret_value()}"}
        messages: list[Message] = []
        pages = 0
        full_page = False
        while url and pages < MAX_PAGES_PER_POLL:
            response = get_json(http, url, now=now, headers=headers)
            page = response.json()
            if not isinstance(page, list):
                raise PayloadError("notifications must be a JSON list", field="body")
            pages += 1
            full_page = len(page) >= PAGE_SIZE
            for i, note in enumerate(sorted(page, key=lambda n: int(n["id"]))):
                nid = str(need(note, "id", field=f"[{i}].id"))
                since = nid if since is None or int(nid) > int(since) else since
                if note.get("type") == "mention" and nid not in known and note.get("status"):
                    known.add(nid)
                    messages.append(self._message(note, f"[{i}]"))
            if not page or first_run:
                break  # a first run takes only the newest page: no backfill of years of mentions
            url = response.links.get("prev", {}).get("url")
        cursor.update(since_id=since, seen=remember(seen, [m.raw["id"] for m in messages]))
        if pages >= MAX_PAGES_PER_POLL and full_page:
            return PollResult(messages=messages, cursor=cursor, retry_after=0.0, status="backlog")
        return PollResult(messages=messages, cursor=cursor)

    def _message(self, note: dict, path: str) -> Message:
        status = note["status"]
        account = need(note, "account", field=f"{path}.account")
        return Message(
            source=self.source,
            external_id=str(need(status, "id", field=f"{path}.status.id")),
            thread_id=status.get("in_reply_to_id"),
            author=Author(id=str(need(account, "id", field=f"{path}.account.id")),
                          handle=account.get("acct"), name=account.get("display_name") or None,
                          followers=account.get("followers_count")),
            text=html_to_text(status.get("content") or ""),
            language=status.get("language"),
            created_at=iso(need(status, "created_at", field=f"{path}.status.created_at"),
                           field=f"{path}.status.created_at"),
            url=status.get("url"),
            raw=note,
        )
