"""Contacts from the CRM, their channel identities, and linking authors to the person behind them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from triage.platform import tables as t
from triage.platform.tables_relationship import ContactIdentity

KINDS = ("id", "handle", "email")


def norm(kind: str, value: str) -> str:
    """Identity values as stored and compared: handles and emails lower case, no leading @."""
    value = value.strip()
    return value if kind == "id" else value.lower().lstrip("@")


def find_contact(*, session: Session, crm_id: str | None, email: str | None,
                 identities: Sequence[tuple[str, str | None, str]]) -> t.Contact | None:
    """The contact a CRM line is about: by CRM id, else email, else one of its identities."""
    if crm_id:
        found = session.scalars(select(t.Contact).where(t.Contact.crm_id == crm_id)).first()
        if found:
            return found
    if email:
        found = session.scalars(select(t.Contact).where(
            func.lower(t.Contact.email) == email.lower())).first()
        if found:
            return found
    for kind, source, value in identities:
        found = session.scalars(select(t.Contact).join(
            ContactIdentity, ContactIdentity.contact_id == t.Contact.id).where(
            ContactIdentity.kind == kind, ContactIdentity.value == norm(kind, value),
            or_(ContactIdentity.source.is_(None), ContactIdentity.source == source)
            if source else True)).first()
        if found:
            return found
    return None


def add_identities(*, session: Session, contact: t.Contact,
                   identities: Iterable[tuple[str, str | None, str]]) -> None:
    """Remember how the contact appears on channels; identities already known are skipped."""
    known = {(i.kind, i.source, i.value) for i in session.scalars(
        select(ContactIdentity).where(ContactIdentity.contact_id == contact.id))}
    for kind, source, value in identities:
        key = (kind, source, norm(kind, value))
        if key not in known and key[2]:
            session.add(ContactIdentity(contact_id=contact.id, kind=kind, source=source,
                                        value=key[2]))
            known.add(key)


def _author_match(kind: str, source: str | None, value: str):
    """SQL condition for authors showing this identity."""
    if kind == "id":
        cond = t.Author.external_id == value
    elif kind == "handle":
        cond = func.lower(func.ltrim(t.Author.handle, "@")) == value
    else:
        cond = or_(func.lower(t.Author.external_id) == value, func.lower(t.Author.handle) == value)
    return cond if source is None else (cond & (t.Author.source == source))


def link_contact(*, session: Session, contact: t.Contact) -> int:
    """Point every author matching one of the contact's identities at it; returns how many moved."""
    idents = session.scalars(select(ContactIdentity).where(
        ContactIdentity.contact_id == contact.id)).all()
    if not idents:
        return 0
    cond = or_(*[_author_match(i.kind, i.source, i.value) for i in idents])
    result = session.execute(update(t.Author).where(
        cond, or_(t.Author.contact_id.is_(None), t.Author.contact_id != contact.id))
        .values(contact_id=contact.id).execution_options(synchronize_session=False))
    return result.rowcount or 0


def link_new_authors(*, session: Session, message_ids: Sequence[int]) -> int:
    """Link the unlinked authors of these messages to contacts imported earlier; cheap when none match."""
    # Two lookups by key, not a join: SQLite joined from every unlinked author (all of them, when
    # no contacts are imported), 14 % of a worker's time at 20k authors in the soak.
    author_ids = set(session.scalars(select(t.Message.author_id).where(t.Message.id.in_(message_ids))))
    authors = session.execute(select(t.Author.id, t.Author.source, t.Author.external_id, t.Author.handle)
                              .where(t.Author.id.in_(author_ids), t.Author.contact_id.is_(None))).all()
    if not authors:
        return 0
    wanted: dict[str, list[tuple[str, Any]]] = {}
    for aid, source, ext, handle in authors:
        for kind, value in (("id", ext), ("handle", handle or ""), ("email", ext),
                            ("email", handle or "")):
            if value:
                wanted.setdefault(norm(kind, value), []).append((kind, (aid, source)))
    idents = session.scalars(select(ContactIdentity).where(
        ContactIdentity.value.in_(list(wanted)))).all()
    links: dict[int, int] = {}
    for ident in idents:
        for kind, (aid, source) in wanted.get(ident.value, []):
            if kind == ident.kind and ident.source in (None, source):
                links.setdefault(aid, ident.contact_id)
    for aid, contact_id in links.items():
        session.execute(update(t.Author).where(t.Author.id == aid).values(contact_id=contact_id))
    return len(links)
