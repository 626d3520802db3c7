"""Mastodon mentions from the notifications API, paged forward from the saved id via Link headers."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from urllib.parse import urlencode

import httpx
from pydantic import Field, SecretStr

from triage.core.message import Author, Message
from triage.intake.connectors.base import ChannelConfig, PayloadError
from triage.intake.connectors.dates import checked, flagged
from triage.intake.connectors.polling import (
    MAX_PAGES_PER_POLL,
    Entries,
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
    own_account_ids: list[str] = Field(default_factory=list)  # our accounts: never inbound
    sent_ids: list[str] = Field(default_factory=list)  # statuses the outbox posted


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
        entries = Entries()
        pages = 0
        full_page = False
        while url and pages < MAX_PAGES_PER_POLL:
            response = get_json(http, url, now=now, headers=headers)
            page = response.json()
            if not isinstance(page, list):
                raise PayloadError("notifications must be a JSON list", field="body")
            pages += 1
            full_page = len(page) >= PAGE_SIZE
            for i, note in enumerate(sorted(page, key=_order)):
                nid = str(note.get("id")) if isinstance(note, dict) else ""
                if nid.isdigit():  # the cursor moves past a bad entry too: it is skipped once
                    since = nid if since is None or int(nid) > int(since) else since
                if nid in known or (isinstance(note, dict) and note.get("type") != "mention"):
                    continue
                if entries.take(nid, partial(self._message, note, f"[{i}]", now), note):
                    known.add(nid)
            if not page or first_run:
                break  # a first run takes only the newest page: no backfill of years of mentions
            url = response.links.get("prev", {}).get("url")
        cursor.update(since_id=since, seen=remember(seen, [m.raw["id"] for m in entries.messages]))
        return entries.result(cursor=cursor, backlog=pages >= MAX_PAGES_PER_POLL and full_page)

    def _message(self, note: dict, path: str, now: datetime) -> Message | None:
        status = note.get("status")
        if status is None:
            return None  # the mentioning status was deleted before we polled
        if not isinstance(status, dict):
            raise PayloadError(f"{path}.status is not an object", field=f"{path}.status")
        account = need(note, "account", field=f"{path}.account")
        author_id = str(need(account, "id", field=f"{path}.account.id"))
        if author_id in self.config.own_account_ids or status.get("id") in self.config.sent_ids:
            return None  # our own post (a self-mention or a reply we sent)
        text = html_to_text(status.get("content") or "")
        if not text and not status.get("media_attachments"):
            return None  # deleted or empty
        if not text:
            text = f"[{len(status['media_attachments'])} attachment(s)]"
        created, flag = checked(iso(need(status, "created_at", field=f"{path}.status.created_at"),
                                    field=f"{path}.status.created_at"), received=now,
                                channel="mastodon")
        return Message(
            source=self.source,
            external_id=str(need(status, "id", field=f"{path}.status.id")),
            thread_id=status.get("in_reply_to_id"),
            author=Author(id=author_id, handle=account.get("acct"),
                          name=account.get("display_name") or None,
                          followers=account.get("followers_count")),
            text=text,
            language=status.get("language"),
            created_at=created,
            url=status.get("url"),
            raw=flagged(note, flag),
        )


def _order(note: object) -> int:
    """Notification ids are numeric strings; anything else sorts first and is skipped."""
    nid = note.get("id") if isinstance(note, dict) else None
    return int(nid) if isinstance(nid, str | int) and str(nid).isdigit() else -1
