"""Storm incidents: open ones near in time, their members, counts per time bucket, bulk resolve."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from triage.platform import tables as t
from triage.platform.tables_relationship import Incident
from triage.scoring.storm_groups import STORM_MIN


def shown_in_inbox():
    """SQL condition: the message is its own item (no storm, or the storm's first message)."""
    count = select(Incident.count).where(Incident.id == t.Message.incident_id).scalar_subquery()
    return or_(t.Message.incident_id.is_(None), t.Message.incident_id == t.Message.id,
               count < STORM_MIN)


def open_near(*, session: Session, since: datetime, limit: int) -> list[Incident]:
    """Open incidents seen since `since`, most recently active first: the candidates to join."""
    return list(session.scalars(select(Incident).where(
        Incident.status == "open", Incident.last_seen >= since)
        .order_by(Incident.last_seen.desc()).limit(limit)))


def attach(*, session: Session, members: Mapping[int, Sequence[int]]) -> None:
    """Point messages at their incident (incident id -> message ids)."""
    pairs = [{"_id": mid, "_incident": iid} for iid, mids in members.items() for mid in mids]
    if pairs:
        msgs = t.Message.__table__
        session.execute(update(msgs).where(msgs.c.id == bindparam("_id"))
                        .values(incident_id=bindparam("_incident")), pairs)


def get_many(*, session: Session, ids: Sequence[int]) -> dict[int, Incident]:
    """Incidents by id."""
    if not ids:
        return {}
    return {i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(ids)))}


def preload(*, session: Session, ids: Sequence[int]) -> None:
    """Load a page's incidents in one query and keep them on the session for `cached`."""
    session.info.setdefault("incidents", {}).update(get_many(session=session, ids=ids))


def cached(*, session: Session, incident_id: int) -> Incident | None:
    """An incident preloaded for this page, else fetched."""
    found = session.info.get("incidents", {}).get(incident_id)
    return found if found is not None else session.get(Incident, incident_id)


def forget_vectors(*, session: Session, before: datetime) -> int:
    """Drop leader vectors of incidents quiet since `before`: nothing can join them any more."""
    result = session.execute(update(Incident).where(
        Incident.last_seen < before, Incident.embedding.is_not(None)).values(embedding=None)
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def resolve(*, session: Session, incident_id: int, actor: str, now: datetime) -> int:
    """Close the incident (later copies start a new one) and, for a storm, resolve its members."""
    incident = session.get(Incident, incident_id)
    if incident is None or incident.status == "resolved":
        return 0
    incident.status, incident.resolved_at, incident.resolved_by = "resolved", now, actor
    if incident.count < STORM_MIN:  # its copies are items of their own
        return 0
    result = session.execute(update(t.Message).where(
        t.Message.incident_id == incident_id, t.Message.id != incident_id,
        t.Message.status != "resolved").values(status="resolved")
        .execution_options(synchronize_session=False))
    return result.rowcount or 0


def busy(*, session: Session, since: datetime, min_count: int) -> list[Incident]:
    """Open incidents active since `since` with at least `min_count` members: spike candidates."""
    return list(session.scalars(select(Incident).where(
        Incident.last_seen >= since, Incident.count >= min_count)))


def bucket_counts(*, session: Session, ids: Sequence[int], now: datetime, bucket: timedelta,
                  n_buckets: int) -> dict[int, list[int]]:
    """Members received per bucket for each incident, oldest bucket first, the last ending at now."""
    if not ids:
        return {}
    start = now - bucket * n_buckets
    at = t.Message.received_at
    cols = [func.sum(case((at >= start + bucket * k, 1), else_=0) *
                     case((at < start + bucket * (k + 1), 1), else_=0)) for k in range(n_buckets)]
    rows = session.execute(select(t.Message.incident_id, *cols).where(
        t.Message.incident_id.in_(ids), at >= start, at < now).group_by(t.Message.incident_id))
    return {row[0]: [int(c or 0) for c in row[1:]] for row in rows}


def people_values(*, session: Session, ids: Sequence[int]) -> dict[int, list[float]]:
    """Per incident, one relationship value per distinct person among its members (their best)."""
    if not ids:
        return {}
    people: dict[int, dict[str, float]] = {}
    for incident_id, key, value in _people(session, t.Message.incident_id.in_(ids)):
        found = people.setdefault(incident_id, {})
        found[key] = max(found.get(key, 0.0), value)
    return {i: list(v.values()) for i, v in people.items()}


def joining_people(*, session: Session, incident_id: int,
                   message_ids: Sequence[int]) -> tuple[dict[str, float], dict[str, float]]:
    """The people among a storm's new members (best value among them), and the same people's best
    value among its earlier members: what a batch changes, read without the whole storm.

    A storm of 25,000 copies took 95 ms per full count, under the grouping lock, for every batch.
    """
    joining: dict[str, float] = {}
    for _, key, value in _people(session, t.Message.id.in_(message_ids)):
        joining[key] = max(joining.get(key, 0.0), value)
    if not joining:
        return {}, {}
    authors = [int(k[1:]) for k in joining if k[0] == "a"]
    contacts = [int(k[1:]) for k in joining if k[0] == "c"]
    same = select(t.Author.id).where(or_(t.Author.id.in_(authors), t.Author.contact_id.in_(contacts)))
    earlier: dict[str, float] = {}
    for _, key, value in _people(session, t.Message.author_id.in_(same),
                                 (t.Message.incident_id + 0) == incident_id,  # the author index
                                 t.Message.id.not_in(message_ids)):
        earlier[key] = max(earlier.get(key, 0.0), value)
    return joining, earlier


def _people(session: Session, *where) -> list[tuple[int, str, float]]:
    """(incident, person, best relationship value) for the messages `where` selects; a person is
    their contact when linked, else their author."""
    rows = session.execute(
        select(t.Message.incident_id, t.Author.contact_id, t.Message.author_id,
               func.max(func.coalesce(t.Score.relationship_value, 0.0)))
        .join(t.Author, t.Author.id == t.Message.author_id)
        .outerjoin(t.Score, t.Score.message_id == t.Message.id)
        .where(*where)
        .group_by(t.Message.incident_id, t.Author.contact_id, t.Message.author_id))
    return [(incident_id, f"c{contact_id}" if contact_id else f"a{author_id}", float(value or 0.0))
            for incident_id, contact_id, author_id, value in rows]


def set_reach(*, incident: Incident, people: int, weight: float, lift: float) -> bool:
    """Store how many people a storm touches, what they weigh and its lift; True if the lift changed."""
    changed = abs((incident.lift or 0.0) - lift) > 1e-9
    incident.people, incident.people_weight, incident.lift = people, weight, lift
    return changed
