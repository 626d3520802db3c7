"""How a person reads: the inbox's "same person as" line, the person page and the API views."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, object_session

from triage.core.errors import Invalid
from triage.people import contacts_store
from triage.people import store as repo
from triage.platform import tables as t

BADGE_SHOWN = 3  # other identities named on an inbox item; the person page lists them all

# What other features ask of people, under the feature's public names (they never import its storage).
same_person_ids = repo.same_person_ids  # author -> every identity of the same person (a batch at once)
open_message_ids = repo.open_message_ids  # unresolved scored messages of these identities
preload_people = repo.preload_people  # a page's "same person as" identities in one query
link_new_authors = contacts_store.link_new_authors  # new authors matched to CRM contacts imported earlier


def author_public(a: t.Author) -> dict[str, Any]:
    """One identity as the API returns it."""
    return {"id": a.id, "source": a.source, "external_id": a.external_id, "handle": a.handle,
            "name": a.name, "followers": a.followers, "verified": a.verified,
            "person_id": a.contact_id, "first_seen": a.first_seen.isoformat()}


def _label(a: t.Author) -> str:
    return f"{a.handle or a.name or a.external_id} on {a.source}"


def person_badge(row: t.Message) -> dict[str, Any] | None:
    """'same person as @sam on demo-x' for an item whose author has other identities."""
    contact_id, session = row.author.contact_id, object_session(row)
    if contact_id is None or session is None:
        return None
    others = [a for a in repo.people_cached(session=session, contact_id=contact_id)
              if a.id != row.author_id]
    if not others:
        return None
    shown = ", ".join(_label(a) for a in others[:BADGE_SHOWN])
    more = f" and {len(others) - BADGE_SHOWN} more" if len(others) > BADGE_SHOWN else ""
    return {"id": contact_id, "url": f"/people/{contact_id}",
            "text": f"same person as {shown}{more}",
            "identities": [{"author_id": a.id, "source": a.source, "handle": a.handle}
                           for a in others]}


def person_view(*, session: Session, contact_id: int, messages: int = 50) -> dict[str, Any]:
    """A person: CRM facts, every identity, recent messages across channels, and link history."""
    c = repo.get_contact(session=session, contact_id=contact_id)
    members = repo.authors_of(session=session, contact_ids=[c.id])
    ids = [a.id for a in members]
    counts = repo.message_counts(session=session, author_ids=ids)
    by_id = {a.id: a for a in members}
    return {
        "id": c.id, "name": c.display_name, "email": c.email, "crm_id": c.crm_id,
        "group": c.group, "crm_tier": c.crm_tier, "lifetime_value": c.lifetime_value,
        "community_role": c.community_role, "facts": c.facts or {},
        "merged_into": (c.facts or {}).get("merged_into"),
        "identities": [{**author_public(a), "messages": counts.get(a.id, 0)} for a in members],
        "crm_identities": [{"kind": i.kind, "source": i.source, "value": i.value}
                           for i in repo.identities_of(session=session, contact_ids=[c.id])],
        "messages": [_message(m, by_id) for m in
                     repo.recent_messages(session=session, author_ids=ids, limit=messages)],
        "history": [_entry(e) for e in repo.journal(session=session, contact_ids=[c.id])],
    }


def _message(m: t.Message, authors: dict[int, t.Author]) -> dict[str, Any]:
    a = authors[m.author_id]
    return {"id": m.id, "source": m.source, "author": a.handle or a.name or a.external_id,
            "text": m.text[:280], "status": m.status, "urgency": m.urgency,
            "priority": m.priority, "received_at": m.received_at.isoformat(), "url": m.url}


def _entry(e: t.AuditLog) -> dict[str, Any]:
    d = e.detail or {}
    return {"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "via": d.get("via"),
            "reason": d.get("reason"), "undoes": d.get("undoes"), "split": bool(d.get("split")),
            "moved": [{"author_id": a, "from": b, "to": c} for a, b, c in d.get("authors", [])]}


def search_authors(*, session: Session, query: str | None, source: str | None, page: int,
                   per_page: int) -> tuple[list[t.Author], int]:
    """Identities matching a handle, name or id fragment (case-insensitive), newest first."""
    return repo.search(session=session, query=query, source=source, page=page, per_page=per_page)


def get_author(*, session: Session, author_id: int) -> t.Author:
    """One identity; NotFound naming the id."""
    return repo.get_author(session=session, author_id=author_id)


def person_exists(*, session: Session, contact_id: int) -> bool:
    """Whether the person (contact) still exists, e.g. after an unlink emptied it."""
    return session.get(t.Contact, contact_id) is not None


def author_by_ref(*, session: Session, ref: str) -> t.Author:
    """An author from `42` (its id) or `source:external_id`; NotFound or Invalid otherwise."""
    if ref.isdigit():
        return repo.get_author(session=session, author_id=int(ref))
    source, sep, external = ref.partition(":")
    if not sep or not external:
        raise Invalid(f"{ref!r} is neither an author id nor source:external_id")
    return repo.find_author(session=session, source=source, external_id=external)
