"""CRM facts feed relationship value: import-crm links authors by id, handle or email, before or
after they write."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from tests.conftest import ROOT
from tests.integration.relationship_support import T0, doc, ingest
from triage.people import crm_import
from triage.people.crm_record import read_records
from triage.platform import tables as t

CSV = """email,handle,source,author_id,group,tier,lifetime_value,open_orders,community_role,tenure_days
sam@example.com,,test,a-sam,customer,Gold,25000,2,,
,@PriyaDev,,,partner,,,,moderator,800
bob@example.com,,,,alien,gold,,,,
,,test,,customer,,,,,
"""


def _import(services, path):
    return crm_import.import_crm(db=services.db, records=read_records(path), now=T0)


def _score_of(services, external_id):
    with services.db() as session:
        return session.scalars(select(t.Score).join(t.Message).where(
            t.Message.external_id == external_id)).one()


def test_import_links_authors_by_id_and_handle_and_reports_bad_lines_by_number(services, tmp_path):
    ingest(services, [doc("m1", "I want to cancel my subscription", author="a-sam"),
                      doc("m2", "How do I moderate a thread?", author="p9", handle="@priyadev")],
           at=T0)
    path = tmp_path / "crm.csv"
    path.write_text(CSV)
    report = _import(services, path)
    assert (report.created, report.updated, report.linked) == (2, 0, 2)
    assert [n for n, _ in report.errors] == [4, 5]
    assert "unknown group 'alien'" in report.errors[0][1]
    assert "needs crm_id, email, author_id, handle or identities" in report.errors[1][1]
    with services.db() as session:
        sam = session.scalars(select(t.Contact).where(t.Contact.email == "sam@example.com")).one()
        assert (sam.group, sam.crm_tier, sam.lifetime_value) == ("customer", "gold", 25000.0)
        assert sam.facts["open_orders"] == 2
        linked = dict(session.execute(select(t.Author.external_id, t.Author.contact_id)).all())
    assert linked["a-sam"] == sam.id and linked["p9"] not in (None, sam.id)


def test_a_contact_imported_before_they_write_is_valued_from_crm_facts(services, tmp_path):
    path = tmp_path / "crm.jsonl"
    path.write_text(json.dumps({"crm_id": "C-1", "group": "customer", "tier": "gold",
                                "open_deals": 1, "identities": [{"source": "test", "author_id": "vip"}]})
                    + "\nnot json\n")
    report = _import(services, path)
    assert report.created == 1 and report.errors == [(2, report.errors[0][1])]
    ingest(services, [doc("churn", "I want to cancel my subscription", author="vip"),
                      doc("anon", "I want to cancel my subscription")], at=T0)
    vip, anon = _score_of(services, "churn"), _score_of(services, "anon")
    assert vip.relationship_value > anon.relationship_value and vip.priority > anon.priority
    texts = [r["text"] for r in vip.reasons]
    assert "churn signal from a gold-tier customer" in texts
    assert "1 open order(s) or deal(s)" in texts
    # a second line for the same CRM id updates the contact instead of adding one
    path.write_text(json.dumps({"crm_id": "C-1", "tier": "platinum"}) + "\n")
    assert _import(services, path).updated == 1
    with services.db() as session:
        assert session.scalars(select(t.Contact.crm_tier)).all() == ["platinum"]


def test_past_sentiment_and_recency_come_from_the_authors_earlier_scored_messages(services):
    ingest(services, [doc("e1", "This is the worst, terrible service", author="grumpy")], at=T0)
    ingest(services, [doc("e2", "Awful and useless again, I hate it", author="grumpy")],
           at=T0 + timedelta(days=1))
    ingest(services, [doc("now", "How do I export my data?", author="grumpy")],
           at=T0 + timedelta(days=3))
    texts = [r["text"] for r in _score_of(services, "now").reasons]
    assert "earlier messages mostly negative: relationship at risk" in texts
    assert "last wrote to us 2 d ago" in texts
    assert not any("at risk" in r["text"] for r in _score_of(services, "e1").reasons)


def test_reach_is_its_own_reason_and_never_adds_relationship_value(services):
    ingest(services, [doc("star", "How do I export my data?", followers=2_500_000, verified=True),
                      doc("nobody", "How do I export my data?")], at=T0)
    star, nobody = _score_of(services, "star"), _score_of(services, "nobody")
    assert star.relationship_value == nobody.relationship_value and star.priority == nobody.priority
    assert {"text": "large reach: 2.5M followers, verified", "weight": 0.0, "kind": "reach"} in star.reasons


def test_the_import_crm_command_shows_progress_and_refused_lines(services, tmp_path):
    path = tmp_path / "crm.csv"
    path.write_text(CSV)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env.update(TRIAGE_ENV="test", TRIAGE_SECRET_KEY="s" * 40, TRIAGE_DATA_DIR=str(tmp_path / "var"),
               TRIAGE_DATABASE_URL=services.settings.database_url,
               TRIAGE_REDIS_URL=services.settings.redis_url,
               TRIAGE_SOURCES=json.dumps({"test": {"channel": "generic", "secret": "x" * 32}}))
    out = subprocess.run([sys.executable, "-m", "triage.cli", "import-crm", str(path)], env=env,
                         cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 1, out.stderr
    assert "line 4:" in out.stdout and "line 5:" in out.stdout
    assert "2 contacts created, 0 updated" in out.stdout


def test_demo_contacts_give_the_regular_demo_authors_relationship_value(services):
    from triage.devstack.demo import demo_crm_records

    report = crm_import.import_crm(db=services.db, records=demo_crm_records(), now=T0)
    assert report.created == 5 and report.errors == []
    ingest(services, [doc("d1", "We would like a quote for 200 seats", author="u0", source="demo-x"),
                      doc("d2", "We would like a quote for 200 seats", author="u99", source="demo-x")],
           at=T0)
    gold, stranger = _score_of(services, "d1"), _score_of(services, "d2")
    assert gold.tier == "key" and gold.relationship_value > stranger.relationship_value + 0.3
    assert "purchase signal from a gold-tier customer" in [r["text"] for r in gold.reasons]
