"""Message, author and score persistence: idempotent writes so re-deliveries and retries are harmless."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from triage.domain import message as dm
from triage.domain.priority import due_in
from triage.domain.scoring import AuthorContext, Score
from triage.storage import tables as t


def _insert(session: Session, table):
    """INSERT ... ON CONFLICT DO NOTHING for whichever backend the session talks to."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table))


def insert_messages(*, session: Session, messages: Sequence[dm.Message],
                    now: datetime) -> list[tuple[int, str]]:
    """Store a batch in three statements; returns (id, source) of the new ones, skipping re-deliveries."""
    if not messages:
        return []
    authors = {(m.source, m.author.id): m.author for m in messages}
    session.execute(_insert(session, t.Author.__table__).on_conflict_do_nothing(
        index_elements=["source", "external_id"]), [
        {"source": src, "external_id": a.id, "handle": a.handle, "name": a.name,
         "followers": a.followers, "verified": a.verified, "first_seen": now, "contact_id": None}
        for (src, _), a in authors.items()])
    author_ids = {(src, ext): aid for aid, src, ext in session.execute(
        select(t.Author.id, t.Author.source, t.Author.external_id).where(
            tuple_(t.Author.source, t.Author.external_id).in_(list(authors))))}
    rows = [{"source": m.source, "external_id": m.external_id, "thread_id": m.thread_key,
             "author_id": author_ids[(m.source, m.author.id)], "text": m.text,
             "language": m.language, "url": m.url, "created_at": m.created_at, "received_at": now,
             "raw": m.raw, "stage": "received", "status": "open", "priority": 0.0,
             "assignee_id": None, "snoozed_until": None, "urgency": None, "due_at": None}
            for m in messages]
    stmt = _insert(session, t.Message.__table__).on_conflict_do_nothing(
        index_elements=["source", "external_id"]).returning(t.Message.id, t.Message.source)
    return [(i, src) for i, src in session.execute(stmt, rows).all()]


def to_domain(row: t.Message) -> dm.Message:
    a = row.author
    return dm.Message(
        source=row.source, external_id=row.external_id, thread_id=row.thread_id,
        author=dm.Author(id=a.external_id, handle=a.handle, name=a.name,
                         followers=a.followers, verified=a.verified),
        text=row.text, language=row.language, created_at=row.created_at, url=row.url, raw=row.raw,
    )


def unscored(*, session: Session, ids: Sequence[int]) -> list[t.Message]:
    """The messages among `ids` that have no score yet (a retried job skips the done ones)."""
    return list(session.scalars(
        select(t.Message).where(t.Message.id.in_(ids), t.Message.stage == "received")
        .options(selectinload(t.Message.author).selectinload(t.Author.contact))
        .order_by(t.Message.id)
    ))


def author_contexts(*, session: Session, rows: Sequence[t.Message]) -> list[AuthorContext]:
    """What we know of each author: contact facts and how often they wrote before."""
    author_ids = {r.author_id for r in rows}
    counts = dict(session.execute(
        select(t.Message.author_id, func.count()).where(t.Message.author_id.in_(author_ids))
        .group_by(t.Message.author_id)
    ).all())
    open_counts = dict(session.execute(
        select(t.Message.author_id, func.count()).where(
            t.Message.author_id.in_(author_ids), t.Message.status.in_(("open", "claimed")))
        .group_by(t.Message.author_id)
    ).all())
    contexts = []
    for r in rows:
        c = r.author.contact
        contexts.append(AuthorContext(
            group=c.group if c else "public", crm_tier=c.crm_tier if c else None,
            lifetime_value=c.lifetime_value if c else 0.0,
            interactions=max(0, counts.get(r.author_id, 1) - 1),
            open_cases=max(0, open_counts.get(r.author_id, 1) - 1),
            community_role=c.community_role if c else None,
            followers=r.author.followers or 0, verified=r.author.verified,
        ))
    return contexts


def save_scores(*, session: Session, pairs: Iterable[tuple[t.Message, Score]], now: datetime) -> int:
    """Write each score once and lift its numbers onto the message for the inbox index."""
    pairs = list(pairs)
    if not pairs:
        return 0
    stmt = _insert(session, t.Score.__table__).on_conflict_do_nothing(
        index_elements=["message_id"]).returning(t.Score.message_id)
    written = session.execute(stmt, [{
        "message_id": row.id, "model": score.model, "urgency": score.urgency,
        "intent": score.intent, "sentiment": score.sentiment,
        "relationship_value": score.relationship, "tier": score.tier, "priority": score.priority,
        "confidence": score.confidence, "reasons": [r.as_dict() for r in score.top_reasons(5)],
        "probabilities": {"urgency": score.urgency_proba}, "scored_at": now,
    } for row, score in pairs]).all()
    msgs = t.Message.__table__
    session.execute(
        update(msgs).where(msgs.c.id == bindparam("_id"), msgs.c.stage == "received")
        .values(stage="scored", urgency=bindparam("_urgency"), priority=bindparam("_priority"),
                due_at=bindparam("_due")),
        [{"_id": row.id, "_urgency": score.urgency, "_priority": score.priority,
          "_due": row.received_at + due_in(score.urgency)} for row, score in pairs])
    return len(written)


def stuck(*, session: Session, stage: str, older_than: datetime, limit: int = 1000) -> list[int]:
    """Ids left in a stage longer than they should be: a crashed job's leftovers."""
    return list(session.scalars(
        select(t.Message.id).where(t.Message.stage == stage, t.Message.received_at < older_than)
        .order_by(t.Message.id).limit(limit)
    ))


def mark_routed(*, session: Session, ids: Sequence[int]) -> None:
    session.execute(update(t.Message).where(t.Message.id.in_(ids), t.Message.stage == "scored")
                    .values(stage="routed"))


def stage_counts(*, session: Session) -> dict[str, int]:
    return dict(session.execute(select(t.Message.stage, func.count()).group_by(t.Message.stage)).all())


SNOOZE_DEFAULT = timedelta(hours=4)
