"""One person across channels: automatic links by e-mail and CRM id, merges, unlinks, and history
that follows the person into scoring."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tests.integration.relationship_support import T0, doc, ingest
from triage.core import message as dm
from triage.core.errors import Conflict, NotFound
from triage.people import authors as service
from triage.people import crm_import
from triage.people import store as repo
from triage.people.crm_record import read_records
from triage.platform import tables as t
from triage.platform.db import transaction
from triage.scoring import rescoring

ANGRY = "This is the worst, terrible service, I hate it"


def msg(external_id: str, text: str, *, author: str, source: str = "test", at=T0,
        handle: str | None = None, raw: dict | None = None) -> dm.Message:
    return dm.Message(source=source, external_id=external_id, text=text, created_at=at,
                      author=dm.Author(id=author, handle=handle), raw=raw or {})


def author(services, source: str, external_id: str) -> t.Author:
    with services.db() as session:
        return repo.find_author(session=session, source=source, external_id=external_id)


def score(services, external_id: str) -> t.Score:
    with services.db() as session:
        return session.scalars(select(t.Score).join(t.Message).where(
            t.Message.external_id == external_id)).one()


def texts(services, external_id: str) -> list[str]:
    return [r["text"] for r in score(services, external_id).reasons]


def link(services, author_id: int, **target) -> service.LinkResult:
    with transaction(services.db) as session:
        result = service.link(session=session, author_id=author_id, actor="lee", now=T0, **target)
    rescoring.rescore_people(db=services.db, conn=services.redis,
                           author_ids=result.affected_authors, now=T0)
    return result


def unlink(services, author_id: int) -> service.LinkResult:
    with transaction(services.db) as session:
        result = service.unlink(session=session, author_id=author_id, actor="lee", now=T0)
    rescoring.rescore_people(db=services.db, conn=services.redis,
                           author_ids=result.affected_authors, now=T0)
    return result


def journal(services) -> list[t.AuditLog]:
    with services.db() as session:
        return list(session.scalars(select(t.AuditLog).where(
            t.AuditLog.entity == "person").order_by(t.AuditLog.id)))


def test_the_same_address_on_two_channels_makes_one_person_and_says_why(services):
    ingest(services, [msg("e1", "Where is my order?", author="sam@example.com", source="mail")],
           at=T0)
    first = author(services, "mail", "sam@example.com")
    assert first.contact_id is not None  # a person for the address, so a later identity finds it
    ingest(services, [msg("w1", "Order status please", author="u42", source="shop",
                          raw={"author": {"email": "SAM@example.com"}})], at=T0 + timedelta(hours=1))
    second = author(services, "shop", "u42")
    assert second.contact_id == first.contact_id
    entries = journal(services)
    assert [(e.actor, e.detail["via"], e.detail["reason"]) for e in entries] == [
        ("ingest", "email", "same e-mail address sam@example.com")]
    # ...and the second message is scored with the first one's history
    assert "last wrote to us today" in texts(services, "w1")


def test_role_addresses_never_join_strangers_into_one_person(services):
    ingest(services, [msg("a", "hi", author="u1", raw={"author": {"email": "noreply@shop.example"}}),
                      msg("b", "hi", author="u2", raw={"author": {"email": "noreply@shop.example"}})],
           at=T0)
    assert author(services, "test", "u1").contact_id is None
    assert author(services, "test", "u2").contact_id is None


def _import_crm(services, tmp_path, *records):
    path = tmp_path / "crm.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    report = crm_import.import_crm(db=services.db, records=read_records(path), now=T0)
    assert report.errors == []


def test_a_crm_id_in_the_payload_links_to_that_crm_contact(services, tmp_path):
    _import_crm(services, tmp_path, {"crm_id": "C-7", "name": "Sam", "group": "customer",
                                     "tier": "gold"})
    ingest(services, [msg("w1", "How do I export my data?", author="u42",
                          raw={"author": {"crm_id": "C-7"}})], at=T0)
    with services.db() as session:
        crm = session.scalars(select(t.Contact).where(t.Contact.crm_id == "C-7")).one()
    assert author(services, "test", "u42").contact_id == crm.id
    assert "gold-tier account" in texts(services, "w1")


def test_an_identity_the_crm_names_wins_over_a_new_person_for_its_address(services, tmp_path):
    _import_crm(services, tmp_path, {"crm_id": "C-9", "group": "partner",
                                     "identities": [{"source": "test", "author_id": "u9"}]})
    ingest(services, [msg("w9", "hello", author="u9", raw={"author": {"email": "pat@example.com"}})],
           at=T0)
    with services.db() as session:
        crm = session.scalars(select(t.Contact).where(t.Contact.crm_id == "C-9")).one()
        assert session.scalar(select(t.Contact).where(t.Contact.email == "pat@example.com")) is None
    assert author(services, "test", "u9").contact_id == crm.id


def test_a_failure_while_linking_never_blocks_or_quarantines_the_batch(services, monkeypatch):
    def broken(**_kw):
        raise OperationalError("SELECT", {}, Exception("connection dropped"))

    monkeypatch.setattr(repo, "contacts_by_email", broken)
    ids = ingest(services, [msg("e1", "hello", author="sam@example.com", source="mail"),
                            doc("plain", "hello too")], at=T0)
    assert len(ids) == 2 and author(services, "mail", "sam@example.com").contact_id is None


def _email_history(services, n: int = 6) -> None:
    """A customer who has e-mailed us for weeks, unhappily."""
    for k in range(n):
        ingest(services, [msg(f"mail-{k}", ANGRY, author="sam@example.com", source="mail")],
               at=T0 + timedelta(days=3 * k))


def test_history_follows_the_person_when_a_customer_writes_on_x(services):
    _email_history(services)
    later = T0 + timedelta(days=20)
    ingest(services, [msg("x1", "How do I export my data?", author="x-123", source="demo-x",
                          handle="@sam")], at=later)
    assert not any("past interactions" in r for r in texts(services, "x1"))
    x_author, mail_author = author(services, "demo-x", "x-123"), author(services, "mail",
                                                                         "sam@example.com")
    result = link(services, x_author.id, other_author_id=mail_author.id)
    assert result.mode == "link" and result.person_id == mail_author.contact_id
    reasons = texts(services, "x1")
    assert "6 past interactions" in reasons
    assert "earlier messages mostly negative: relationship at risk" in reasons
    # a new X message is scored with the e-mail history straight away, no re-rank needed
    ingest(services, [msg("x2", "Any news?", author="x-123", source="demo-x", handle="@sam")],
           at=later + timedelta(days=1))
    assert "7 past interactions" in texts(services, "x2")
    assert "last wrote to us 1 d ago" in texts(services, "x2")
    # unlinking takes the history away again: it was never this account's own
    assert unlink(services, x_author.id).mode == "undo"
    assert not any("past interactions" in r for r in texts(services, "x1"))


def test_a_merge_keeps_every_identity_and_unlinking_restores_the_state_before(services, tmp_path):
    _import_crm(services, tmp_path, {"crm_id": "C-1", "group": "customer", "tier": "silver",
                                     "identities": [{"source": "demo-x", "author_id": "x-1"}]})
    ingest(services, [msg("e1", "hi", author="kim@example.com", source="mail"),
                      msg("w1", "hi", author="k-7", source="shop",
                          raw={"author": {"email": "kim@example.com"}}),
                      msg("x1", "hi", author="x-1", source="demo-x", handle="@kim")], at=T0)
    mail, shop, x = (author(services, "mail", "kim@example.com"), author(services, "shop", "k-7"),
                     author(services, "demo-x", "x-1"))
    email_person, crm_person = mail.contact_id, x.contact_id
    assert shop.contact_id == email_person != crm_person
    result = link(services, mail.id, other_author_id=x.id)
    assert result.person_id == crm_person  # the CRM record survives the merge
    with services.db() as session:
        assert {a.id for a in repo.authors_of(session=session, contact_ids=[crm_person])} == {
            mail.id, shop.id, x.id}
        idents = repo.identities_of(session=session, contact_ids=[crm_person])
        assert ("email", "kim@example.com") in {(i.kind, i.value) for i in idents}
        absorbed = session.get(t.Contact, email_person)
        assert absorbed.facts["merged_into"] == crm_person and absorbed.email is None
    # another e-mail identity of Kim now joins the merged person directly
    ingest(services, [msg("e2", "hi", author="kim@example.com", source="mail2")], at=T0)
    assert author(services, "mail2", "kim@example.com").contact_id == crm_person

    assert unlink(services, shop.id).mode == "undo"
    assert author(services, "mail", "kim@example.com").contact_id == email_person
    assert author(services, "shop", "k-7").contact_id == email_person
    assert author(services, "demo-x", "x-1").contact_id == crm_person
    with services.db() as session:
        restored = session.get(t.Contact, email_person)
        assert restored.email == "kim@example.com" and "merged_into" not in restored.facts
        assert [i.value for i in repo.identities_of(session=session, contact_ids=[email_person])] == [
            "kim@example.com"]
    actions = [(e.action, e.actor) for e in journal(services)]
    assert actions[-2:] == [("author.link", "lee"), ("author.unlink", "lee")]


def test_unlinking_the_author_whose_crm_person_survived_the_merge_undoes_it(services, tmp_path):
    _import_crm(services, tmp_path, {"crm_id": "C-3", "group": "partner",
                                     "identities": [{"source": "test", "author_id": "crm-a"}]})
    ingest(services, [doc("a", "hi", author="crm-a"), doc("b", "hi", author="fb-b", source="demo-fb"),
                      doc("c", "hi", author="ig-c", source="demo-ig")], at=T0)
    a, b, c = author(services, "test", "crm-a"), author(services, "demo-fb", "fb-b"), author(
        services, "demo-ig", "ig-c")
    loose = link(services, b.id, other_author_id=c.id).person_id
    merged = link(services, a.id, other_author_id=b.id)
    assert merged.person_id == a.contact_id  # a did not move: the others joined its CRM person
    assert unlink(services, a.id).mode == "undo"
    assert author(services, "demo-fb", "fb-b").contact_id == loose
    assert author(services, "demo-ig", "ig-c").contact_id == loose
    assert author(services, "test", "crm-a").contact_id == a.contact_id


def test_linking_two_lone_authors_creates_a_person_that_unlinking_removes(services):
    ingest(services, [doc("a", "hi", author="fb-1", source="demo-fb"),
                      doc("b", "hi", author="ig-1", source="demo-ig")], at=T0)
    fb, ig = author(services, "demo-fb", "fb-1"), author(services, "demo-ig", "ig-1")
    person = link(services, fb.id, other_author_id=ig.id).person_id
    assert author(services, "demo-ig", "ig-1").contact_id == person
    assert link(services, fb.id, contact_id=person).changed is False  # idempotent
    unlink(services, ig.id)
    assert author(services, "demo-fb", "fb-1").contact_id is None
    assert author(services, "demo-ig", "ig-1").contact_id is None
    with services.db() as session:
        assert session.get(t.Contact, person) is None


def test_unlinking_an_automatic_link_splits_the_identity_off_for_good(services):
    ingest(services, [msg("e1", "hi", author="lee@example.com", source="mail"),
                      msg("w1", "hi", author="w-5", source="shop",
                          raw={"author": {"email": "lee@example.com"}})], at=T0)
    person = author(services, "mail", "lee@example.com").contact_id
    shop = author(services, "shop", "w-5")
    result = unlink(services, shop.id)
    assert result.mode == "split" and result.person_id not in (None, person)
    ingest(services, [msg("w2", "again", author="w-5", source="shop",
                          raw={"author": {"email": "lee@example.com"}})], at=T0 + timedelta(hours=1))
    assert author(services, "shop", "w-5").contact_id == result.person_id  # not re-linked
    with pytest.raises(Conflict, match="only identity of person"):
        unlink(services, shop.id)


def test_bad_links_are_refused_with_the_reason(services, tmp_path):
    _import_crm(services, tmp_path,
                {"crm_id": "C-1", "identities": [{"source": "test", "author_id": "one"}]},
                {"crm_id": "C-2", "identities": [{"source": "test", "author_id": "two"}]})
    ingest(services, [doc("m1", "hi", author="one"), doc("m2", "hi", author="two"),
                      doc("m3", "hi", author="alone")], at=T0)
    one, two, alone = (author(services, "test", a) for a in ("one", "two", "alone"))
    with pytest.raises(Conflict, match="cannot be linked to itself"):
        link(services, one.id, other_author_id=one.id)
    with pytest.raises(Conflict, match="'C-1'.*'C-2'.*merge them in the CRM first"):
        link(services, one.id, other_author_id=two.id)
    with pytest.raises(NotFound, match="no author 9999"):
        link(services, 9999, other_author_id=one.id)
    with pytest.raises(NotFound, match=r"no person \(contact\) 9999"):
        link(services, one.id, contact_id=9999)
    with pytest.raises(Conflict, match="not linked to any person"):
        unlink(services, alone.id)
    assert author(services, "test", "one").contact_id != author(services, "test", "two").contact_id
    assert journal(services) == []
