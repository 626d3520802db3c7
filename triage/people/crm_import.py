"""Importing a CRM export: one contact per line, linked to the channel authors it names."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from triage.people import contacts_store as contacts_repo
from triage.people.crm_record import CrmRecord
from triage.platform import tables as t
from triage.platform.db import transaction


@dataclasses.dataclass
class ImportReport:
    """What an import did, with the problems of each refused line by number."""

    created: int = 0
    updated: int = 0
    linked: int = 0
    errors: list[tuple[int, str]] = dataclasses.field(default_factory=list)


def import_line(*, session: Session, record: Any, now: datetime) -> tuple[bool, int]:
    """Create or update one contact from a CRM record and link its authors: (created, linked)."""
    rec = CrmRecord.model_validate(record)
    idents = rec.identity_tuples()
    contact = contacts_repo.find_contact(session=session, crm_id=rec.crm_id, email=rec.email,
                                         identities=idents)
    created = contact is None
    if created:
        contact = t.Contact(group="customer", lifetime_value=0.0, facts={})
        session.add(contact)
    rec.apply(contact, now=now)
    session.flush()
    contacts_repo.add_identities(session=session, contact=contact, identities=idents)
    session.flush()
    return created, contacts_repo.link_contact(session=session, contact=contact)


def import_crm(*, db, records, now: datetime, progress=None) -> ImportReport:
    """Import (line number, record or parse error) pairs, one transaction per line; bad lines are listed."""
    report = ImportReport()
    for lineno, record in records:
        try:
            if isinstance(record, Exception):
                raise record
            with transaction(db) as session:
                created, linked = import_line(session=session, record=record, now=now)
            report.created += created
            report.updated += not created
            report.linked += linked
        except ValidationError as exc:
            report.errors.append((lineno, "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'line'}: {e['msg']}" for e in exc.errors())))
        except ValueError as exc:
            report.errors.append((lineno, str(exc)))
        if progress:
            progress(1)
    return report
