"""One person across channels: link identities manually, undo a link, and re-rank what changed.

A link re-points authors at a person (contact); two people become one by moving every identity of
one onto the other, and the journal entry keeps each before/after so an unlink restores exactly
the previous state. Nothing is deleted on a merge: the absorbed contact stays, empty, until undone.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from uuid import uuid4

from sqlalchemy.orm import Session

from triage.core.errors import Conflict, Invalid
from triage.people import store as repo
from triage.platform import tables as t
from triage.platform.audit import audit
from triage.platform.tables_relationship import ContactIdentity

RESCORE_CHUNK = 500  # open items re-ranked per transaction after a link


@dataclasses.dataclass
class Journal:
    """What one link or unlink changed, in the shape the audit log keeps and an undo reads."""

    via: str  # manual, email, crm_id
    reason: str
    op: str = dataclasses.field(default_factory=lambda: uuid4().hex)
    authors: list[list[Any]] = dataclasses.field(default_factory=list)  # [author, before, after]
    identities: list[list[Any]] = dataclasses.field(default_factory=list)  # [identity, before, after]
    fields: list[list[Any]] = dataclasses.field(default_factory=list)  # [contact, field, before, after]
    created_contact: int | None = None
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def move(self, author: t.Author, contact_id: int | None) -> None:
        """Re-point one identity, remembering where it was."""
        if author.contact_id != contact_id:
            self.authors.append([author.id, author.contact_id, contact_id])
            author.contact_id = contact_id

    def write(self, session: Session, *, action: str, person_id: int, actor: str,
              now: datetime) -> None:
        """Record it in the audit log under the person it concerns."""
        detail = {"op": self.op, "via": self.via, "reason": self.reason, "authors": self.authors,
                  "identities": self.identities, "fields": self.fields,
                  "created_contact": self.created_contact, **self.extra}
        audit(session=session, actor=actor[:64], action=action, entity=repo.JOURNAL_ENTITY,
              entity_id=person_id, detail=detail, now=now)


@dataclasses.dataclass
class LinkResult:
    """The outcome of a link or unlink: what moved, and whose open items need re-ranking."""

    author_id: int
    person_id: int | None
    mode: str  # link, undo, split, unchanged
    moved: list[list[Any]] = dataclasses.field(default_factory=list)
    affected_authors: set[int] = dataclasses.field(default_factory=set)

    @property
    def changed(self) -> bool:
        return bool(self.moved)

    def as_dict(self) -> dict[str, Any]:
        return {"author_id": self.author_id, "person_id": self.person_id, "mode": self.mode,
                "changed": self.changed,
                "moved": [{"author_id": a, "from": b, "to": c} for a, b, c in self.moved]}


def new_person(session: Session, author: t.Author, *, origin: str, **facts: Any) -> t.Contact:
    """A contact for one identity, named after it; public until the CRM says more."""
    contact = t.Contact(display_name=author.name or author.handle or author.external_id,
                        group="public", lifetime_value=0.0, facts={"origin": origin, **facts})
    session.add(contact)
    session.flush()
    return contact


def has_crm_facts(contact: t.Contact) -> bool:
    """Whether the CRM said anything about this person (so they are worth keeping apart)."""
    return bool(contact.crm_id or contact.group != "public" or contact.crm_tier
                or contact.lifetime_value or contact.community_role)


def link(*, session: Session, author_id: int, actor: str, now: datetime,
         contact_id: int | None = None, other_author_id: int | None = None) -> LinkResult:
    """Say this author is the same person as a contact or as another author; merges two people."""
    if (contact_id is None) == (other_author_id is None):
        raise Invalid("give exactly one of contact_id or other_author_id")
    author = repo.get_author(session=session, author_id=author_id)
    if other_author_id == author_id:
        raise Conflict(f"author {author_id} cannot be linked to itself")
    j = Journal(via="manual", reason=f"linked by {actor}",
                extra={"requested": {"author": author_id, "contact": contact_id,
                                     "other_author": other_author_id}})
    if other_author_id is not None:
        other = repo.get_author(session=session, author_id=other_author_id)
        target_id = other.contact_id or author.contact_id
        if target_id is None:
            target_id = j.created_contact = new_person(session, other, origin="manual link").id
        j.move(other, target_id)
    else:
        target_id = repo.get_contact(session=session, contact_id=contact_id).id
    before = {c for c in (author.contact_id, target_id) if c is not None}
    affected = {a.id for a in repo.authors_of(session=session, contact_ids=before)} | {author.id}
    person_id = target_id
    if author.contact_id is None:
        j.move(author, target_id)
    elif author.contact_id != target_id:
        person_id = _merge(session, j, author=author, source_id=author.contact_id,
                           target_id=target_id)
    if not j.authors:
        return LinkResult(author_id, author.contact_id, "unchanged")
    session.flush()
    j.write(session, action=repo.LINK, person_id=person_id, actor=actor, now=now)
    return LinkResult(author_id, person_id, "link", j.authors,
                      affected | {a for a, _, _ in j.authors})


def _rank(contact: t.Contact, is_target: bool) -> tuple[bool, bool, bool]:
    """Which of two people survives a merge: the CRM record, then the one with CRM facts, then the target."""
    return (contact.crm_id is not None, has_crm_facts(contact), is_target)


def _merge(session: Session, j: Journal, *, author: t.Author, source_id: int,
           target_id: int) -> int:
    """Make two people one: every identity of the absorbed person moves to the survivor."""
    source = repo.get_contact(session=session, contact_id=source_id)
    target = repo.get_contact(session=session, contact_id=target_id)
    if source.crm_id and target.crm_id and source.crm_id != target.crm_id:
        raise Conflict(
            f"author {author.id} belongs to person {source.id} (CRM id {source.crm_id!r}) and the "
            f"target is person {target.id} (CRM id {target.crm_id!r}): two CRM records cannot be "
            f"one person here; merge them in the CRM first")
    survivor, absorbed = ((target, source) if _rank(target, True) >= _rank(source, False)
                          else (source, target))
    for member in repo.authors_of(session=session, contact_ids=[absorbed.id]):
        j.move(member, survivor.id)
    moved_values = {(i.kind, i.value) for i in repo.identities_of(session=session,
                                                                  contact_ids=[survivor.id])}
    for ident in repo.identities_of(session=session, contact_ids=[absorbed.id]):
        j.identities.append([ident.id, absorbed.id, survivor.id])
        ident.contact_id = survivor.id
        moved_values.add((ident.kind, ident.value))
    if absorbed.email and ("email", absorbed.email.lower()) not in moved_values:
        ident = ContactIdentity(contact_id=survivor.id, kind="email", source=None,
                                value=absorbed.email.lower())
        session.add(ident)
        session.flush()
        j.identities.append([ident.id, None, survivor.id])  # created: an undo deletes it
    for name in ("crm_id", "email", "display_name"):
        value = getattr(absorbed, name)
        if value and getattr(survivor, name) is None:
            _set(j, survivor, name, value)
        if value and name != "display_name":  # so a CRM re-import finds the survivor only
            _set(j, absorbed, name, None)
    _set(j, absorbed, "facts.merged_into", survivor.id)
    return survivor.id


def _set(j: Journal, contact: t.Contact, name: str, value: Any) -> None:
    """Change one contact field (or `facts.<key>`), remembering the old value."""
    j.fields.append([contact.id, name, _get(contact, name), value])
    _put(contact, name, value)


def _get(contact: t.Contact, name: str) -> Any:
    if name.startswith("facts."):
        return (contact.facts or {}).get(name[6:])
    return getattr(contact, name)


def _put(contact: t.Contact, name: str, value: Any) -> None:
    if name.startswith("facts."):
        facts = dict(contact.facts or {})  # a new dict, so the JSON column sees the change
        if value is None:
            facts.pop(name[6:], None)
        else:
            facts[name[6:]] = value
        contact.facts = facts
    else:
        setattr(contact, name, value)


def unlink(*, session: Session, author_id: int, actor: str, now: datetime) -> LinkResult:
    """Undo the manual link that made this author part of its person, or split it off on its own."""
    author = repo.get_author(session=session, author_id=author_id)
    if author.contact_id is None:
        raise Conflict(f"author {author_id} is not linked to any person")
    person_id = author.contact_id
    affected = {a.id for a in repo.authors_of(session=session, contact_ids=[person_id])}
    entry = repo.link_in_effect(session=session, author=author)
    if entry is not None and entry.detail.get("via") == "manual":
        j = _undo(session, entry.detail, actor)
        mode = "undo"
    else:  # linked by e-mail, CRM id or import: a split keeps it apart from automatic linking
        j = _split(session, author, person_id, actor)
        mode = "split"
    session.flush()
    j.write(session, action=repo.UNLINK, person_id=person_id, actor=actor, now=now)
    return LinkResult(author_id, author.contact_id, mode, j.authors,
                      affected | {a for a, _, _ in j.authors})


def _undo(session: Session, detail: dict[str, Any], actor: str) -> Journal:
    """Put back what a link moved, wherever it still is where that link left it."""
    j = Journal(via="manual", reason=f"unlinked by {actor}", extra={"undoes": detail["op"]})
    for aid, before, after in reversed(detail.get("authors", [])):
        member = session.get(t.Author, aid)
        if member is not None and member.contact_id == after:
            j.move(member, before)
    for iid, before, after in detail.get("identities", []):
        ident = session.get(ContactIdentity, iid)
        if ident is None or ident.contact_id != after:
            continue
        j.identities.append([iid, after, before])
        if before is None:
            session.delete(ident)
        else:
            ident.contact_id = before
    for cid, name, before, after in reversed(detail.get("fields", [])):
        contact = session.get(t.Contact, cid)
        if contact is not None and _get(contact, name) == after:
            _set(j, contact, name, before)
    session.flush()
    created = detail.get("created_contact")
    if created and not repo.authors_of(session=session, contact_ids=[created]) \
            and not repo.identities_of(session=session, contact_ids=[created]):
        contact = session.get(t.Contact, created)
        if contact is not None:
            session.delete(contact)
            j.extra["deleted_contact"] = created
    return j


def _split(session: Session, author: t.Author, person_id: int, actor: str) -> Journal:
    """Give the author a person of its own; refused when there is nobody to split it from."""
    person = repo.get_contact(session=session, contact_id=person_id)
    others = [a for a in repo.authors_of(session=session, contact_ids=[person_id]) if a.id != author.id]
    if not others and not has_crm_facts(person):
        raise Conflict(f"author {author.id} is the only identity of person {person_id}; "
                       "there is nothing to unlink it from")
    j = Journal(via="manual", reason=f"split off by {actor}", extra={"split": True})
    j.created_contact = new_person(session, author, origin="split", split_from=person_id).id
    j.move(author, j.created_contact)
    return j
