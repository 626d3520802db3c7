"""Relationship value in the pipeline: the active policy (cached per worker), applied to scores, rescoring."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import redis
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from triage.core.priority import priority
from triage.core.scoring import AuthorContext, Score
from triage.intake import messages as messages_repo
from triage.people import service as people
from triage.platform import tables as t
from triage.platform.db import transaction
from triage.scoring import policy_store as policy_repo
from triage.scoring import storms
from triage.scoring.domain.relationship import (
    DEFAULT_POLICY,
    KIND,
    RelationshipPolicy,
    reach_reason,
    relationship_value,
)

log = logging.getLogger(__name__)
POLICY_KINDS = (KIND, "reach")  # reasons recomputed when the policy changes
RESCORE_CHUNK = 500


class PolicyCache:
    """The active policy, reloaded only when the token in Redis changes (one GET per batch)."""

    key = "triage:relationship:policy"  # "<version>:<digest>" of the active policy

    def __init__(self) -> None:
        self.token: str | None = None
        self.policy: RelationshipPolicy = DEFAULT_POLICY

    def get(self, *, session: Session, conn: redis.Redis) -> RelationshipPolicy:
        """The active policy; reads the database only when the version changed."""
        current = conn.get(self.key)
        current = current.decode() if current else None
        if current is None or current != self.token:
            version, self.policy = policy_repo.active(session=session)
            self.token = policy_repo.token(version, self.policy)
            if current is None:
                conn.set(self.key, self.token, nx=True)
        return self.policy

    @classmethod
    def publish(cls, conn: redis.Redis, version: int, policy: RelationshipPolicy) -> None:
        """Tell every worker a new version is active; call after the save committed."""
        conn.set(cls.key, policy_repo.token(version, policy))


_cache = PolicyCache()


def active_policy(*, session: Session, conn: redis.Redis) -> RelationshipPolicy:
    """The active policy through this process's cache."""
    return _cache.get(session=session, conn=conn)


def policy_in_force(*, session: Session) -> tuple[int, RelationshipPolicy]:
    """The lead's active relationship policy and its version, read from the database."""
    return policy_repo.active(session=session)


def policy_public(*, session: Session) -> dict[str, Any]:
    """The active policy, its version and its version history, as the lead's API shows them."""
    version, policy = policy_repo.active(session=session)
    return {"version": version, "policy": policy.as_dict(),
            "history": [{"version": r.version, "actor": r.actor, "note": r.note,
                         "created_at": r.created_at.isoformat()}
                        for r in policy_repo.history(session=session)]}


def save_policy(*, session: Session, doc: dict[str, Any], actor: str, note: str | None,
                now: datetime) -> tuple[int, RelationshipPolicy]:
    """Validate and store a new policy version, audited; the caller commits, then publishes it."""
    row, policy = policy_repo.save(session=session, doc=doc, actor=actor, note=note, now=now)
    return row.version, policy


def apply_policy(score: Score, ctx: AuthorContext, policy: RelationshipPolicy) -> Score:
    """Recompute relationship value, tier and priority under the policy; reach gets its own line."""
    rel = relationship_value(ctx, intent=score.intent, policy=policy)
    reach = reach_reason(ctx)
    kept = tuple(r for r in score.reasons if r.kind not in POLICY_KINDS)
    return dataclasses.replace(score, relationship=rel.value, tier=rel.tier,
                               priority=priority(score.urgency, rel.value),
                               reasons=(*kept, *rel.reasons, *((reach,) if reach else ())))


def open_ids(*, session: Session) -> list[int]:
    """Scored, unresolved messages: what a policy change re-ranks."""
    return list(session.scalars(select(t.Message.id).where(
        t.Message.status != "resolved", t.Message.stage != "received").order_by(t.Message.id)))


def rescore_open(*, db, conn: redis.Redis, now: datetime) -> int:
    """Recompute relationship and priority of unresolved items from stored scores, here and now.

    The operator's CLI runs this; the API queues the same chunks as jobs (scoring/rescoring.py).
    """
    with db() as session:
        ids = open_ids(session=session)
    return rescore_ids(db=db, conn=conn, ids=ids, now=now)


def rescore_ids(*, db, conn: redis.Redis, ids: Sequence[int], now: datetime) -> int:
    """Re-rank `ids` here and now, chunk by chunk (the same chunks the queued jobs take)."""
    return sum(rescore_chunk(db=db, conn=conn, ids=ids[start:start + RESCORE_CHUNK], now=now)
               for start in range(0, len(ids), RESCORE_CHUNK))


def rescore_chunk(*, db, conn: redis.Redis, ids: Sequence[int], now: datetime) -> int:
    """Re-rank `ids` and refresh their stored priority in one transaction; a rerun is harmless.

    Everything is recomputed from stored scores and contact facts, so a retried or repeated
    chunk writes the same numbers, and a chunk that dies half-way has written nothing.
    """
    with transaction(db) as session:
        done = rescore_messages(session=session, conn=conn, ids=ids)
        session.flush()  # the UPDATE below reads the new relationship values
        messages_repo.refresh_priorities(session=session, now=now, ids=ids)
        # A storm's lift counts its people by relationship value: recount the storms these touch.
        touched = session.scalars(select(t.Message.incident_id).where(
            t.Message.id.in_(ids), t.Message.incident_id.is_not(None)).distinct()).all()
        storms.lift_storms(session=session, ids=list(touched), now=now)
    return done


def rescore_messages(*, session: Session, conn: redis.Redis, ids: Sequence[int]) -> int:
    """Re-rank `ids` under the policy in force from their stored scores (one chunk, one transaction)."""
    people.link_new_authors(session=session, message_ids=ids)
    rows = list(session.scalars(select(t.Message).where(t.Message.id.in_(ids)).options(
        selectinload(t.Message.author).selectinload(t.Author.contact),
        selectinload(t.Message.score)).order_by(t.Message.id)))
    rows = [r for r in rows if r.score is not None]
    policy = active_policy(session=session, conn=conn)
    for row, ctx in zip(rows, messages_repo.author_contexts(session=session, rows=rows), strict=True):
        s = row.score
        rel = relationship_value(ctx, intent=s.intent, policy=policy)
        reach = reach_reason(ctx)
        kept = [r for r in s.reasons if r.get("kind") not in POLICY_KINDS]
        fresh = [r.as_dict() for r in (*rel.reasons, *((reach,) if reach else ()))]
        s.reasons = _top([*kept, *fresh])
        s.relationship_value, s.tier = rel.value, rel.tier
        s.priority = priority(s.urgency, rel.value)
    return len(rows)


def _top(reasons: list[dict[str, Any]], n: int = 5) -> list[dict[str, Any]]:
    """The n strongest reasons, as the scorer stores them."""
    return sorted(reasons, key=lambda r: -abs(float(r.get("weight", 0))))[:n]
