"""Automatic linking as messages arrive: an identity that carries an e-mail address or a CRM id
joins the person it names.

Decision on creating people: an identity with an e-mail address and no person yet gets a contact
for that address at once, not only when a second channel shows the same address. The address is
the one identifier the person chose themselves and every channel reports the same way (helpdesks
key their requesters by it too); keeping it on a contact is the only way a later identity, on
any channel and in either order, or a later CRM line with that e-mail, can find the same person.
Managers do not see anything new until a second identity joins: a person of one identity shows
no "same person" line. Role addresses (no-reply, mailer-daemon...) are never linked: many
different people hide behind them.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from triage.core import message as dm
from triage.people import contacts_store as contacts_repo
from triage.people import store as repo
from triage.people.authors import Journal
from triage.platform import tables as t
from triage.platform.tables_relationship import ContactIdentity

log = logging.getLogger(__name__)

EMAIL = re.compile(r"^[^@\s<>\"]+@[^@\s<>\"]+\.[^@\s<>\"]+$")
# Shared or automated senders: linking on them would merge strangers into one person.
ROLE_LOCALPARTS = frozenset({"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
                             "mailer-daemon", "postmaster", "bounce", "bounces", "notifications",
                             "notification", "nobody", "anonymous"})
# Where payloads expose an address or CRM id besides the author id: our generic webhook's
# `author.email` / `author.crm_id`, and Slack-style `user.profile.email` objects.
RAW_EMAIL_PATHS = (("author", "email"), ("email",), ("user", "email"), ("user", "profile", "email"))
RAW_CRM_PATHS = (("author", "crm_id"), ("crm_id",))
ACTOR = "ingest"


@dataclass(frozen=True)
class Hints:
    """What a message says about who wrote it, beyond the channel's own account id."""

    emails: tuple[str, ...] = ()
    crm_ids: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.emails or self.crm_ids)

    def __or__(self, other: Hints) -> Hints:
        return Hints(tuple(dict.fromkeys(self.emails + other.emails)),
                     tuple(dict.fromkeys(self.crm_ids + other.crm_ids)))


def personal_email(value: Any) -> str | None:
    """The address, lower case, if `value` is one a single person would use; else None."""
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    if len(value) > 320 or not EMAIL.match(value):
        return None
    local = value.split("@", 1)[0].split("+", 1)[0]
    return None if local in ROLE_LOCALPARTS else value


def _dig(raw: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = raw
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    return node


def hints(message: dm.Message) -> Hints:
    """E-mail addresses and CRM ids in the author id (e-mail channels), handle or raw payload."""
    candidates = [message.author.id, message.author.handle,
                  *(_dig(message.raw, p) for p in RAW_EMAIL_PATHS)]
    emails = tuple(dict.fromkeys(e for e in map(personal_email, candidates) if e))
    crm = (_dig(message.raw, p) for p in RAW_CRM_PATHS)
    crm_ids = tuple(dict.fromkeys(str(c).strip()[:128] for c in crm
                                  if isinstance(c, str | int) and str(c).strip()))
    return Hints(emails, crm_ids)


def link_arrivals(*, session: Session, messages: Sequence[dm.Message],
                  author_ids: Mapping[tuple[str, str], int], message_ids: Sequence[int],
                  now: datetime) -> int:
    """Link the new batch's unlinked authors by CRM identity, CRM id or e-mail; returns how many.

    Runs inside the drain's transaction under a savepoint: a failure here is logged and the batch
    is stored all the same (linking is retried on the author's next message), never quarantined.
    """
    found: dict[int, Hints] = {}
    for m in messages:
        h = hints(m)
        if h:
            aid = author_ids[(m.source, m.author.id)]
            found[aid] = found.get(aid, Hints()) | h
    if not found:
        return 0  # the common case costs nothing
    try:
        with session.begin_nested():
            return _link(session, found, message_ids, now)
    except SQLAlchemyError:
        log.exception("automatic author linking failed for %d authors; messages stored", len(found))
        return 0


def _link(session: Session, found: dict[int, Hints], message_ids: Sequence[int],
          now: datetime) -> int:
    if not repo.unlinked(session=session, author_ids=found):
        return 0
    # Identities the CRM import named (author id, handle, e-mail) come first, as at scoring time.
    contacts_repo.link_new_authors(session=session, message_ids=message_ids)
    authors = repo.unlinked(session=session, author_ids=found)
    by_crm = repo.contacts_by_crm_id(session=session,
                                     crm_ids=[c for a in authors for c in found[a.id].crm_ids])
    known = repo.contacts_by_email(session=session,
                                   emails=[e for a in authors for e in found[a.id].emails])
    created: dict[str, t.Contact] = {}  # address -> person made in this batch (flushed once)
    joins: list[tuple[t.Author, str, str, str | t.Contact | int]] = []
    for author in authors:
        h = found[author.id]
        crm = next((c for c in h.crm_ids if c in by_crm), None)
        email = next((e for e in h.emails if e in known or e in created), None)
        if crm is not None:
            joins.append((author, "crm_id", f"CRM id {crm}", by_crm[crm]))
        elif email is not None:
            joins.append((author, "email", f"same e-mail address {email}",
                          known.get(email) or created[email]))
        elif h.emails:
            person = _person_for(author, h.emails[0])
            created.update((e, person) for e in h.emails)
            author.contact = person  # a person of one identity: nothing to journal yet
    session.flush()
    session.add_all(ContactIdentity(contact_id=person.id, kind="email", source=None, value=e)
                    for e, person in created.items())
    for author, via, reason, person in joins:
        person_id = person if isinstance(person, int) else person.id
        j = Journal(via=via, reason=reason)
        j.move(author, person_id)
        j.write(session, action=repo.LINK, person_id=person_id, actor=ACTOR, now=now)
    session.flush()
    return sum(a.contact_id is not None for a in authors)


def _person_for(author: t.Author, email: str) -> t.Contact:
    """A new person keyed by the author's e-mail address, named after the author."""
    return t.Contact(display_name=author.name or author.handle or author.external_id,
                     email=email, group="public", lifetime_value=0.0,
                     facts={"origin": "e-mail address"})
