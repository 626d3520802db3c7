"""One answer to a whole storm: a reply into every affected thread through its own channel.

The replies go through the outbox like any other (so they survive a crash and retry), spaced
per account by each platform's write limits (`domain.SEND_SPACING`) via `next_attempt_at`.
A sent reply resolves its item; the storm's own item is answered last, and resolving it
resolves what is left of the storm.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from triage.config import Settings
from triage.core.errors import DomainError, Invalid
from triage.platform import tables as t
from triage.platform.audit import audit
from triage.replies import store as repo
from triage.replies.domain import paced
from triage.replies.repliers import channel_of, dry_run
from triage.replies.service import check_may_reply, checked_text, message_for

KEY = "incident:{incident}:"


def _threads(members: list[t.Message], leader: t.Message) -> list[t.Message]:
    """One message per thread (its latest), the storm's own item's thread last."""
    latest: dict[tuple[str, str], t.Message] = {}
    for m in members:
        latest[(m.source, m.thread_id)] = m
    last = (leader.source, leader.thread_id)
    if leader in members:  # its reply resolves the storm's item, and so the copies left
        latest[last] = leader
    return sorted(latest.values(), key=lambda m: ((m.source, m.thread_id) == last, m.id))


def reply_all(*, session: Session, settings: Settings, incident_id: int, user: t.User, text: str,
              now: datetime) -> dict[str, Any]:
    """Queue one reply per open thread of the storm; threads that cannot take it are reported."""
    leader = message_for(session=session, message_id=incident_id)
    if leader.incident_id != leader.id:
        raise Invalid(f"item {incident_id} is not a storm's item")
    members = repo.incident_members(session=session, incident_id=incident_id)
    if not members:
        raise Invalid("every message of this storm is resolved already")
    if not text.strip():
        raise Invalid("a reply needs some text")
    batch = f"{int(now.timestamp() * 1000):x}"
    queued, skipped, per_account = [], [], {}
    for m in _threads(members, leader):
        try:
            check_may_reply(user, m)
            body = checked_text(settings, m, text)
        except DomainError as exc:
            skipped.append({"message_id": m.id, "source": m.source, "reason": str(exc)})
            continue
        position = per_account.get(m.source, 0)
        per_account[m.source] = position + 1
        row = repo.add(session=session, message=m, text=body, kind="reply", status="queued",
                       now=now, author_id=user.id, dry_run=dry_run(settings),
                       dedupe_key=f"{KEY.format(incident=incident_id)}{batch}:{m.source}:"
                                  f"{m.thread_id}"[:400])
        row.next_attempt_at = paced(channel=channel_of(settings, m.source), position=position,
                                    now=now)
        queued.append(row)
    audit(session=session, actor=user.username, action="incident.reply_all", entity="incident",
          entity_id=incident_id, now=now,
          detail={"threads": len(queued), "skipped": len(skipped), "members": len(members)})
    return {"incident_id": incident_id, "threads": len(queued), "members": len(members),
            "skipped": skipped, "queued": [r.id for r in queued],
            "due_now": [r.id for r in queued if r.next_attempt_at is None]}


def progress(*, session: Session, incident_id: int) -> dict[str, Any]:
    """How the storm's replies are getting on: counts per outbox status, and what is still open."""
    counts = repo.progress_by_status(session=session, key_prefix=KEY.format(incident=incident_id))
    open_left = len(repo.incident_members(session=session, incident_id=incident_id))
    waiting = sum(counts.get(s, 0) for s in ("queued", "sending", "deferred"))
    return {"incident_id": incident_id, "counts": counts, "total": sum(counts.values()),
            "waiting": waiting, "sent": counts.get("sent", 0),
            "failed": counts.get("failed", 0) + counts.get("dead", 0), "open_items": open_left}
