"""The report's one query: inbound messages with their person's group, score and first answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from triage.platform import tables as t
from triage.platform import tables_replies as tr
from triage.reports.domain.health import Conversation


def conversations(*, session: Session, since: datetime, until: datetime) -> Iterator[Conversation]:
    """Messages received in [since, until), first answer = the earliest sent reply or resolve."""
    replied = (select(tr.Reply.message_id, func.min(tr.Reply.sent_at).label("at"))
               .where(tr.Reply.kind == "reply", tr.Reply.sent_at >= since)  # answers follow receipt
               .group_by(tr.Reply.message_id).subquery())
    resolved = (select(t.Assignment.message_id, func.min(t.Assignment.at).label("at"))
                .where(t.Assignment.action == "resolve", t.Assignment.at >= since)
                .group_by(t.Assignment.message_id).subquery())
    q = (select(t.Message.received_at, t.Contact.group, t.Message.urgency, t.Score.sentiment,
                t.Score.intent, t.Score.tier, replied.c.at, resolved.c.at)
         .join(t.Author, t.Author.id == t.Message.author_id)
         .outerjoin(t.Contact, t.Contact.id == t.Author.contact_id)
         .outerjoin(t.Score, t.Score.message_id == t.Message.id)
         .outerjoin(replied, replied.c.message_id == t.Message.id)
         .outerjoin(resolved, resolved.c.message_id == t.Message.id)
         .where(t.Message.received_at >= since, t.Message.received_at < until))
    for received, group, urgency, sentiment, intent, tier, reply_at, resolve_at in session.execute(q):
        answers = [a for a in (reply_at, resolve_at) if a is not None]
        yield Conversation(received_at=received, group=group or "public", urgency=urgency,
                           sentiment=sentiment, intent=intent, tier=tier,
                           first_answer_at=min(answers) if answers else None)
