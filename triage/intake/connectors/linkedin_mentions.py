"""Mentions of a LinkedIn organization page, pulled from the Organization Social Action Notifications API.

Followed: Microsoft Learn, LinkedIn Marketing > Community Management > "Organization Social Action
Notifications", section "Pull Organizational Notifications"
(https://learn.microsoft.com/en-us/linkedin/marketing/community-management/organizations/organization-social-action-notifications):

    GET /rest/organizationalEntityNotifications?q=criteria&actions=List(...)
        &organizationalEntity={URL-encoded organization URN}&timeRange=(start:{ms},end:{ms})

answers {"paging": {"start", "count", "links"}, "elements": [{"notificationId", "action",
"organizationalEntity", "sourcePost", "generatedActivity", "lastModifiedAt"}]}; notifications are
kept 60 days; the token needs rw_organization_admin (an ADMINISTRATOR of the page). Rest.li 2.0
wants List(...) and (start:..,end:..) as written, only the URN percent-encoded, so that query is
built by hand rather than by httpx (which would encode the brackets).
The mentioning activity's text: Posts API "Retrieve Posts" GET /rest/posts/{encoded share or ugcPost
URN}; Comments API "Retrieve a Comment" GET /rest/socialActions/{encoded post URN}/comments/{id}.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import quote

from triage.core.message import Author, Message
from triage.intake.connectors.polling import MAX_PAGES_PER_POLL, Entries
from triage.intake.connectors.signing import epoch
from triage.intake.connectors.text import mention_text

# Only the documented mention action: an unknown enum value would make LinkedIn refuse the whole
# call (400) and stop this source's comment polling too. A mention whose activity is a comment URN
# is still read as a comment (the URN's shape decides, not the action name).
MENTION_ACTIONS = ("SHARE_MENTION",)
PAGE_SIZE = 50
DAY_MS = 86_400_000
RETENTION_MS = 60 * DAY_MS  # LinkedIn keeps notifications this long; never ask for older ones
FIRST_LOOKBACK_MS = 7 * DAY_MS  # the first poll takes a week of mentions, not two months
OVERLAP_MS = 10 * 60_000  # re-read a little before the last notification; the seen ids skip repeats
COMMENT_URN = re.compile(r"^urn:li:comment:\((?P<post>urn:li:[A-Za-z]+:[^,]+),(?P<id>[^)]+)\)$")

Get = Callable[[str], dict]  # path with its query -> the JSON object; raises the typed poll errors
Fetch = Callable[[str], "dict | None"]  # the same, None when the activity is gone or not visible


class LinkedInMentions:
    """One poll of the page's mention notifications, each turned into the mentioning post or comment."""

    def __init__(self, *, source: str, organization_urn: str, get: Get, fetch: Fetch):
        self.source = source
        self.organization_urn = organization_urn
        self.get = get
        self.fetch = fetch

    def poll(self, state: dict[str, Any], known: set[str], now: datetime,
             entries: Entries) -> tuple[dict[str, Any], bool]:
        """(the state to save, backlog?) for mentions since `state`; messages go to `entries`.

        state: {"since": ms of the newest notification taken} and, while a window is unfinished
        because of the page cap, {"end": ms, "start": offset, "latest": ms} to resume it.
        """
        now_ms = int(now.timestamp() * 1000)
        since = int(state.get("since") or now_ms - FIRST_LOOKBACK_MS)
        end = int(state.get("end") or now_ms)
        offset = int(state.get("start") or 0)
        latest = state.get("latest")
        begin = max(since - OVERLAP_MS, now_ms - RETENTION_MS + OVERLAP_MS)
        for _ in range(MAX_PAGES_PER_POLL):
            page = self.get(self._query(begin, end, offset))
            elements = [n for n in page.get("elements", []) if isinstance(n, dict)]
            for note in elements:
                stamp = note.get("lastModifiedAt")
                if isinstance(stamp, int | float):
                    latest = max(int(stamp), int(latest or 0))
                msg = entries.take(note.get("generatedActivity"), partial(self._message, note, known),
                                   note)
                if msg is not None:
                    known.add(msg.external_id)
            offset += len(elements)
            total = (page.get("paging") or {}).get("total")
            if len(elements) < PAGE_SIZE or (total is not None and offset >= total):
                return {"since": max(since, int(latest or 0))}, False
        return {"since": since, "end": end, "start": offset, "latest": latest}, True

    def _query(self, begin: int, end: int, offset: int) -> str:
        return ("/rest/organizationalEntityNotifications?q=criteria"
                f"&actions=List({','.join(MENTION_ACTIONS)})"
                f"&organizationalEntity={quote(self.organization_urn, safe='')}"
                f"&timeRange=(start:{begin},end:{end})&start={offset}&count={PAGE_SIZE}")

    def _message(self, note: dict, known: set[str]) -> Message | None:
        """The mentioning activity as a Message; None if taken before, deleted or not readable."""
        activity = str(note.get("generatedActivity") or "")
        if not activity or activity in known:
            return None  # a notification without its activity has nothing to triage
        comment = COMMENT_URN.match(activity)
        if comment:
            found = self.fetch(f"/rest/socialActions/{quote(comment['post'], safe='')}"
                               f"/comments/{quote(comment['id'], safe='')}")
            return None if found is None else self._from_comment(note, activity, comment["post"], found)
        found = self.fetch(f"/rest/posts/{quote(activity, safe='')}")
        return None if found is None else self._from_post(note, activity, found)

    def _from_post(self, note: dict, urn: str, post: dict) -> Message:
        when = post.get("publishedAt") or post.get("createdAt") or note.get("lastModifiedAt")
        return Message(
            source=self.source, external_id=urn, thread_id=urn,
            author=Author(id=str(post.get("author") or "unknown")),
            text=mention_text(str(post.get("commentary") or "")),
            created_at=epoch(when, field="post.publishedAt"),
            url=f"https://www.linkedin.com/feed/update/{urn}",
            raw={"notification": note, "post": post},
        )

    def _from_comment(self, note: dict, urn: str, post_urn: str, comment: dict) -> Message:
        created = comment.get("created") or {}
        thread = str(comment.get("object") or note.get("sourcePost") or post_urn)
        return Message(
            source=self.source, external_id=urn, thread_id=thread,
            author=Author(id=str(comment.get("actor") or created.get("actor") or "unknown")),
            text=mention_text(str((comment.get("message") or {}).get("text") or "")),
            created_at=epoch(created.get("time") or note.get("lastModifiedAt"),
                             field="comment.created.time"),
            url=f"https://www.linkedin.com/feed/update/{thread}",
            raw={"notification": note, "comment": comment},
        )
