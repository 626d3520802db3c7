"""Channel identities (authors) and the person (contact) behind them: lookups, moves, link journal.

A person is a `contacts` row; each channel identity is an `authors` row pointing at it. Links are
only ever re-pointed, never merged into one row, so a merge keeps every identity and can be undone.
The journal of links lives in `audit_log` (entity "person"): it is the who-and-when managers read,
and the before/after states it records are what an unlink restores.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from triage.core.errors import NotFound
from triage.platform import tables as t
from triage.platform.tables_relationship import ContactIdentity

LINK, UNLINK = "author.link", "author.unlink"
JOURNAL_ENTITY = "person"


def get_author(*, session: Session, author_id: int) -> t.Author:
    """The author row, or NotFound naming the id."""
    row = session.get(t.Author, author_id)
    if row is None:
        raise NotFound(f"no author {author_id}")
    return row


def find_author(*, session: Session, source: str, external_id: str) -> t.Author:
    """The author known on `source` by `external_id` (as the channel reports it)."""
    row = session.scalar(select(t.Author).where(t.Author.source == source,
                                                t.Author.external_id == external_id))
    if row is None:
        raise NotFound(f"no author {external_id!r} on {source!r}")
    return row


def get_contact(*, session: Session, contact_id: int) -> t.Contact:
    """The person (contact) row, or NotFound naming the id."""
    row = session.get(t.Contact, contact_id)
    if row is None:
        raise NotFound(f"no person (contact) {contact_id}")
    return row


def authors_of(*, session: Session, contact_ids: Iterable[int]) -> list[t.Author]:
    """Every identity of these people, oldest first."""
    ids = [c for c in set(contact_ids) if c is not None]
    if not ids:
        return []
    return list(session.scalars(select(t.Author).where(t.Author.contact_id.in_(ids))
                                .order_by(t.Author.first_seen, t.Author.id)))


def identities_of(*, session: Session, contact_ids: Iterable[int]) -> list[ContactIdentity]:
    """The CRM and e-mail identities recorded for these people."""
    ids = [c for c in set(contact_ids) if c is not None]
    if not ids:
        return []
    return list(session.scalars(select(ContactIdentity).where(
        ContactIdentity.contact_id.in_(ids)).order_by(ContactIdentity.id)))


def same_person_ids(*, session: Session, author_ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    """For each author, the ids of every identity of the same person (itself included).

    Two queries for a whole scoring batch; an author without a person maps to itself alone.
    """
    ids = set(author_ids)
    if not ids:
        return {}
    contact_of = dict(session.execute(select(t.Author.id, t.Author.contact_id)
                                      .where(t.Author.id.in_(ids))).all())
    members: dict[int, list[int]] = {}
    contacts = {c for c in contact_of.values() if c is not None}
    if contacts:
        for aid, cid in session.execute(select(t.Author.id, t.Author.contact_id)
                                        .where(t.Author.contact_id.in_(contacts))):
            members.setdefault(cid, []).append(aid)
    return {aid: tuple(sorted(members.get(contact_of.get(aid), ()) or (aid,))) for aid in ids}


def preload_people(*, session: Session, rows: Sequence[t.Message]) -> None:
    """Load the other identities of a page's authors in one query, for `people_cached`."""
    contacts = {r.author.contact_id for r in rows if r.author.contact_id is not None}
    cache = session.info.setdefault("people", {})
    missing = contacts - set(cache)
    for cid in missing:
        cache[cid] = []
    for author in authors_of(session=session, contact_ids=missing):
        cache[author.contact_id].append(author)


def people_cached(*, session: Session, contact_id: int) -> list[t.Author]:
    """Identities of a person preloaded for this page, else fetched."""
    cache = session.info.setdefault("people", {})
    if contact_id not in cache:
        cache[contact_id] = authors_of(session=session, contact_ids=[contact_id])
    return cache[contact_id]


# --- lookups for automatic linking --------------------------------------------------------------

def unlinked(*, session: Session, author_ids: Iterable[int]) -> list[t.Author]:
    """The authors among these that belong to no person yet."""
    ids = list(set(author_ids))
    if not ids:
        return []
    return list(session.scalars(select(t.Author).where(t.Author.id.in_(ids),
                                                       t.Author.contact_id.is_(None))
                                .order_by(t.Author.id)))


def contacts_by_crm_id(*, session: Session, crm_ids: Iterable[str]) -> dict[str, int]:
    """CRM id -> person id, for the ids some person carries."""
    ids = list(set(crm_ids))
    if not ids:
        return {}
    found: dict[str, int] = {}
    for cid, crm in session.execute(select(t.Contact.id, t.Contact.crm_id)
                                    .where(t.Contact.crm_id.in_(ids)).order_by(t.Contact.id)):
        found.setdefault(crm, cid)
    return found


def contacts_by_email(*, session: Session, emails: Iterable[str]) -> dict[str, int]:
    """Lower-case address -> person id, from e-mail identities first, then the contact's own field."""
    wanted = list({e.lower() for e in emails})
    if not wanted:
        return {}
    found: dict[str, int] = {}
    for value, cid in session.execute(
            select(ContactIdentity.value, ContactIdentity.contact_id).where(
                ContactIdentity.kind == "email", ContactIdentity.value.in_(wanted))
            .order_by(ContactIdentity.id)):
        found.setdefault(value, cid)
    rest = [e for e in wanted if e not in found]
    if rest:
        for cid, email in session.execute(select(t.Contact.id, func.lower(t.Contact.email))
                                          .where(func.lower(t.Contact.email).in_(rest))
                                          .order_by(t.Contact.id)):
            found.setdefault(email, cid)
    return found


# --- the link journal ------------------------------------------------------------------------

def journal(*, session: Session, contact_ids: Iterable[int], limit: int = 200) -> list[t.AuditLog]:
    """Link and unlink entries about these people, newest first."""
    ids = [str(c) for c in set(contact_ids) if c is not None]
    if not ids:
        return []
    return list(session.scalars(select(t.AuditLog).where(
        t.AuditLog.entity == JOURNAL_ENTITY, t.AuditLog.entity_id.in_(ids),
        t.AuditLog.action.in_((LINK, UNLINK))).order_by(t.AuditLog.id.desc()).limit(limit)))


def link_in_effect(*, session: Session, author: t.Author) -> t.AuditLog | None:
    """The newest link, not undone since, that joined this author to its current person: one
    that moved it there, or one it was named in (a merge may move the other side instead)."""
    if author.contact_id is None:
        return None
    entries = journal(session=session, contact_ids=[author.contact_id])
    undone = {e.detail.get("undoes") for e in entries if e.action == UNLINK}
    for entry in entries:
        if entry.action != LINK or entry.detail.get("op") in undone:
            continue
        requested = entry.detail.get("requested") or {}
        if author.id in (requested.get("author"), requested.get("other_author")) or any(
                aid == author.id and after == author.contact_id
                for aid, _before, after in entry.detail.get("authors", [])):
            return entry
    return None


# --- reading a person ------------------------------------------------------------------------

def recent_messages(*, session: Session, author_ids: Sequence[int], limit: int = 50) -> list[t.Message]:
    """A person's latest messages across all their identities, newest first."""
    if not author_ids:
        return []
    return list(session.scalars(select(t.Message).where(t.Message.author_id.in_(author_ids))
                                .order_by(t.Message.received_at.desc(), t.Message.id.desc())
                                .limit(limit)))


def message_counts(*, session: Session, author_ids: Sequence[int]) -> dict[int, int]:
    """How many messages each identity sent."""
    if not author_ids:
        return {}
    return dict(session.execute(select(t.Message.author_id, func.count())
                                .where(t.Message.author_id.in_(author_ids))
                                .group_by(t.Message.author_id)).all())


def open_message_ids(*, session: Session, author_ids: Sequence[int]) -> list[int]:
    """Scored, unresolved messages of these identities: what a new link should re-rank."""
    if not author_ids:
        return []
    return list(session.scalars(select(t.Message.id).where(
        t.Message.author_id.in_(author_ids), t.Message.status != "resolved",
        t.Message.stage != "received").order_by(t.Message.id)))


def search(*, session: Session, query: str | None, source: str | None, page: int,
           per_page: int) -> tuple[list[t.Author], int]:
    """Authors matching a handle, name or id fragment (case-insensitive), newest first."""
    where: list[Any] = []
    if query:
        like = f"%{query.strip().lower().lstrip('@')}%"
        where.append(or_(func.lower(t.Author.handle).like(like), func.lower(t.Author.name).like(like),
                         func.lower(t.Author.external_id).like(like)))
    if source:
        where.append(t.Author.source == source)
    total = session.scalar(select(func.count()).select_from(t.Author).where(*where)) or 0
    rows = session.scalars(select(t.Author).where(*where).order_by(t.Author.id.desc())
                           .offset((page - 1) * per_page).limit(per_page))
    return list(rows), total
