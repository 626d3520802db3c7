"""Message, author and score persistence: idempotent writes so re-deliveries and retries are harmless."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from triage.core import message as dm
from triage.core.priority import (
    DEFAULT_SLA,
    RELATIONSHIP_WEIGHT,
    URGENCY_BASE,
    WAIT_STEPS,
    WAITING_WEIGHT,
    due_in,
)
from triage.core.scoring import AuthorContext, Score
from triage.people import service as people
from triage.platform import tables as t
from triage.platform.tables_relationship import Incident


def _insert(session: Session, table):
    """INSERT ... ON CONFLICT DO NOTHING for whichever backend the session talks to."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table))


@dataclass(frozen=True, slots=True)
class Inserted:
    """What `insert_messages` wrote: the new messages and each author's row id."""

    # (id, source) of the messages stored now; re-deliveries are left out
    new: list[tuple[int, str]] = field(default_factory=list)
    # (source, the channel's author id) -> authors.id, for every author in the batch
    author_ids: dict[tuple[str, str], int] = field(default_factory=dict)


def insert_messages(*, session: Session, messages: Sequence[dm.Message], now: datetime) -> Inserted:
    """Store a batch in three statements, skipping re-deliveries; authors are not linked here."""
    if not messages:
        return Inserted()
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
    new = [(i, src) for i, src in session.execute(stmt, rows).all()]
    return Inserted(new=new, author_ids=author_ids)


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
    """What we know of each author: contact facts, how often and how they wrote before, reach."""
    if not rows:
        return []
    # History follows the person: every identity linked to the same contact counts.
    person = people.same_person_ids(session=session, author_ids={r.author_id for r in rows})
    author_ids = set().union(*person.values())
    # One pass over the author index for both counts: filtering on status in SQL let PostgreSQL,
    # with statistics from when few messages were open, AND in the status index (every open
    # message: 60 ms per batch at 165k rows in the soak, growing with the table).
    tallies = session.execute(
        select(t.Message.author_id, func.count(),
               func.count().filter(t.Message.status.in_(("open", "claimed"))))
        .where(t.Message.author_id.in_(author_ids)).group_by(t.Message.author_id)
    ).all()
    counts = {a: n for a, n, _ in tallies}
    open_counts = {a: n for a, _, n in tallies if n}
    history = _scored_history(session, author_ids,
                              min(r.received_at for r in rows) - HISTORY_WINDOW)
    contexts = []
    for r in rows:
        c = r.author.contact
        facts = (c.facts or {}) if c else {}
        ids = person[r.author_id]
        sentiment, since = _earlier(sorted(h for a in ids for h in history.get(a, ())), r)
        contexts.append(AuthorContext(
            group=c.group if c else "public", crm_tier=c.crm_tier if c else None,
            lifetime_value=c.lifetime_value if c else 0.0,
            interactions=max(0, sum(counts.get(a, 0) for a in ids) - 1),
            open_cases=max(0, sum(open_counts.get(a, 0) for a in ids) - 1),
            community_role=c.community_role if c else None,
            followers=r.author.followers or 0, verified=r.author.verified,
            open_deals=int(facts.get("open_orders", 0)) + int(facts.get("open_deals", 0)),
            tenure_days=_tenure(facts, r.received_at), past_sentiment=sentiment,
            days_since_last=since,
        ))
    return contexts


SENTIMENT_VALUE = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}


HISTORY_WINDOW = timedelta(days=180)  # past sentiment and recency look back this far


def _scored_history(session: Session, author_ids: set[int],
                    since: datetime) -> dict[int, list[tuple]]:
    """(id, received_at, sentiment) of the authors' scored messages since `since`, oldest first."""
    out: dict[int, list[tuple]] = {}
    for aid, mid, at, sentiment in session.execute(
            select(t.Message.author_id, t.Message.id, t.Message.received_at, t.Score.sentiment)
            .join(t.Score, t.Score.message_id == t.Message.id)
            .where(t.Message.author_id.in_(author_ids), t.Message.received_at >= since)
            .order_by(t.Message.id)):
        out.setdefault(aid, []).append((mid, at, sentiment))
    return out


def _earlier(history: Sequence[tuple], row: t.Message) -> tuple[float | None, float | None]:
    """Mean sentiment of the author's earlier messages and days since the latest of them."""
    earlier = [h for h in history if h[0] < row.id]
    if not earlier:
        return None, None
    mean = sum(SENTIMENT_VALUE.get(s, 0.0) for _, _, s in earlier) / len(earlier)
    days = max(0.0, (row.received_at - earlier[-1][1]).total_seconds() / 86400)
    return round(mean, 3), round(days, 2)


def _tenure(facts: dict, at: datetime) -> int | None:
    since = facts.get("member_since")
    if not since:
        return None
    try:
        return max(0, (at.date() - datetime.fromisoformat(str(since)).date()).days)
    except ValueError:
        return None


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
        "probabilities": {"urgency": score.urgency_proba, "intent": score.intent_proba,
                          "sentiment": score.sentiment_proba}, "scored_at": now,
    } for row, score in pairs]).all()
    msgs = t.Message.__table__
    session.execute(
        update(msgs).where(msgs.c.id == bindparam("_id"), msgs.c.stage == "received")
        .values(stage="scored", urgency=bindparam("_urgency"), priority=bindparam("_priority"),
                due_at=bindparam("_due")),
        [{"_id": row.id, "_urgency": score.urgency, "_priority": score.priority,
          "_due": row.received_at + due_in(score.urgency)} for row, score in pairs])
    return len(written)


def refresh_priorities(*, session: Session, now: datetime,
                       sla: dict[str, timedelta] | None = None, steps: int = WAIT_STEPS,
                       ids: Sequence[int] | None = None, since: datetime | None = None) -> int:
    """Re-rank unresolved items (all, or only `ids`) for time waited and relationship value.

    One UPDATE per urgency band, rows that change only. Same formula as
    `domain.priority.priority(..., steps=WAIT_STEPS)`: waiting in steps of the target keeps it a
    portable timestamp comparison; within a step the earlier deadline sorts first.
    With `since`, only rows that crossed a step between `since` and `now` are looked at: the
    tick's refresh then costs the traffic of one interval, not the whole open pile (a full pass
    over 150k open items held SQLite's write lock for 0.4-2 s every tick).
    """
    if since is not None:
        crossed = _crossed_steps(session=session, since=since, now=now, sla=sla or DEFAULT_SLA, steps=steps)
        if ids is not None:
            crossed &= set(ids)
        return sum(refresh_priorities(session=session, now=now, sla=sla, steps=steps, ids=chunk)
                   for chunk in chunks(sorted(crossed), 2000))
    msgs, scores = t.Message.__table__, t.Score.__table__
    rel = select(func.coalesce(scores.c.relationship_value, 0.0)).where(
        scores.c.message_id == msgs.c.id).scalar_subquery()
    incidents = Incident.__table__
    # A storm's own item carries the lift its people give it (core.priority.storm_lift).
    lift = select(incidents.c.lift).where(incidents.c.id == msgs.c.id,
                                          msgs.c.incident_id == msgs.c.id).scalar_subquery()
    only = (msgs.c.id.in_(ids),) if ids is not None else ()
    changed = 0
    for urgency, target in (sla or DEFAULT_SLA).items():
        waited = case(*[(msgs.c.received_at <= now - target * k / steps, WAITING_WEIGHT * k / steps)
                        for k in range(steps, 0, -1)], else_=0.0)
        raw = (URGENCY_BASE[urgency] + RELATIONSHIP_WEIGHT * func.coalesce(rel, 0.0) + waited
               + func.coalesce(lift, 0.0))
        value = case((raw > 100.0, 100.0), else_=raw)
        result = session.execute(
            update(msgs).where(msgs.c.urgency == urgency, msgs.c.status != "resolved",
                               msgs.c.stage != "received", msgs.c.priority != value, *only)
            .values(priority=value).execution_options(synchronize_session=False))
        changed += result.rowcount or 0
    return changed


def _crossed_steps(*, session: Session, since: datetime, now: datetime, sla: dict[str, timedelta],
                   steps: int) -> set[int]:
    """Ids whose waiting crossed a step in (since, now]: one indexed range per urgency and step."""
    m = t.Message
    found: set[int] = set()
    for urgency, target in sla.items():
        for k in range(1, steps + 1):
            lo, hi = since - target * k / steps, now - target * k / steps
            found.update(session.scalars(select(m.id).where(  # (stage, received_at) index
                m.stage.in_(("scored", "routed")), m.received_at > lo, m.received_at <= hi,
                m.urgency == urgency, m.status != "resolved")))
    return found


def chunks(items: Sequence[int], size: int) -> list[list[int]]:
    """Ids in lists of at most `size`: batches for jobs, IN lists the databases accept."""
    return [list(items[i:i + size]) for i in range(0, len(items), size)]


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
