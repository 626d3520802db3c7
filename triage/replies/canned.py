"""The team's canned replies: leads keep the library (audited), everyone inserts them, filled in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from triage.config import Settings
from triage.core.errors import Conflict, Forbidden
from triage.platform import tables as t
from triage.platform.audit import audit
from triage.platform.tables_replies import CannedReply
from triage.replies import canned_domain as rules
from triage.replies import canned_store as repo
from triage.replies.repliers import channel_of
from triage.replies.service import message_for

CHANNEL_NAMES = {"x": "X", "mastodon": "Mastodon", "linkedin": "LinkedIn", "imap": "e-mail",
                 "meta": "Facebook/Instagram", "discourse": "the forum", "slack": "Slack",
                 "reddit": "Reddit", "youtube": "YouTube", "rss": "the blog", "generic": "our site"}


def _check_lead(user: t.User) -> None:
    if user.role not in ("lead", "admin"):
        raise Forbidden("only leads and admins change the canned replies")


def public(row: CannedReply) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "body": row.body, "updated_by": row.updated_by,
            "updated_at": row.updated_at.isoformat()}


def library(*, session: Session) -> list[dict[str, Any]]:
    """Every canned reply, by name."""
    return [public(r) for r in repo.all_(session=session)]


def create(*, session: Session, user: t.User, name: str, body: str, now: datetime) -> CannedReply:
    """A new canned reply (leads); the name is unique."""
    _check_lead(user)
    name, body = rules.check(name=name, body=body)
    if repo.by_name(session=session, name=name):
        raise Conflict(f"a canned reply named {name!r} exists; edit it or pick another name")
    row = repo.add(session=session, row=CannedReply(name=name, body=body, created_by=user.username,
                                                    updated_by=user.username, created_at=now,
                                                    updated_at=now))
    audit(session=session, actor=user.username, action="canned.create", entity="canned_reply",
          entity_id=row.id, detail={"name": name}, now=now)
    return row


def update(*, session: Session, user: t.User, canned_id: int, name: str, body: str,
           now: datetime) -> CannedReply:
    """Change a canned reply's name or text (leads); the old text is kept in the audit log."""
    _check_lead(user)
    name, body = rules.check(name=name, body=body)
    row = repo.get(session=session, canned_id=canned_id)
    clash = repo.by_name(session=session, name=name)
    if clash is not None and clash.id != row.id:
        raise Conflict(f"a canned reply named {name!r} exists")
    audit(session=session, actor=user.username, action="canned.update", entity="canned_reply",
          entity_id=row.id, detail={"name": name, "old_name": row.name, "old_body": row.body},
          now=now)
    row.name, row.body, row.updated_by, row.updated_at = name, body, user.username, now
    return row


def remove(*, session: Session, user: t.User, canned_id: int, now: datetime) -> None:
    """Delete a canned reply (leads), its text kept in the audit log."""
    _check_lead(user)
    row = repo.get(session=session, canned_id=canned_id)
    audit(session=session, actor=user.username, action="canned.delete", entity="canned_reply",
          entity_id=row.id, detail={"name": row.name, "body": row.body}, now=now)
    repo.delete(session=session, row=row)


def values_for(*, session: Session, settings: Settings, message_id: int, user: t.User,
               base_url: str) -> dict[str, str]:
    """What each variable stands for when replying to `message_id` as `user`."""
    message = message_for(session=session, message_id=message_id)
    author = message.author
    staff = session.get(t.Staff, user.staff_id) if user.staff_id else None
    channel = channel_of(settings, message.source)
    handle = (author.handle or "") if author else ""
    return {
        "author_name": (author.name or handle or "there") if author else "there",
        "author_handle": handle if not handle or handle.startswith("@") else f"@{handle}",
        "agent_name": staff.name if staff else user.username,
        "case_link": f"{base_url.rstrip('/')}/inbox/{message.id}", "case_id": str(message.id),
        "channel": CHANNEL_NAMES.get(channel, channel), "source": message.source,
    }


def rendered(*, session: Session, settings: Settings, message_id: int, user: t.User,
             base_url: str) -> list[dict[str, Any]]:
    """The library filled in for one reply: what the reply box's picker inserts, as plain text."""
    values = values_for(session=session, settings=settings, message_id=message_id, user=user,
                        base_url=base_url)
    return [{**public(r), "text": rules.render(r.body, values)} for r in repo.all_(session=session)]
