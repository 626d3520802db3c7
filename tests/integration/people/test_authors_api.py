"""Authors and people over the API and pages: who may link, what bad input answers, what the inbox shows."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import select

from tests.conftest import ROOT
from tests.integration.helpers import PASSWORD, add_user, bearer, run_jobs
from tests.integration.people.test_authors_linking import _import_crm, author, msg, texts
from tests.integration.relationship_support import T0, ingest
from triage.platform import tables as t
from triage.platform.queue import RESCORE, queue


@pytest.fixture
def tokens(services):
    return {role: add_user(services, name, role)
            for role, name in (("agent", "ana"), ("lead", "lee"), ("admin", "root"))}


@pytest.fixture
def sam(services):
    """Sam e-mailed us, and writes on X as @sam (not linked yet)."""
    ingest(services, [msg("mail-1", "My invoice is wrong", author="sam@example.com", source="mail"),
                      msg("x-1", "Still waiting on that invoice", author="x-77", source="demo-x",
                          handle="@sam")], at=T0)
    return author(services, "mail", "sam@example.com"), author(services, "demo-x", "x-77")


def test_only_leads_and_admins_link_and_unlink_and_every_change_is_audited(client, tokens, sam):
    mail, x = sam
    body = {"other_author_id": mail.id}
    assert client.post(f"/api/authors/{x.id}/link", json=body).status_code == 401
    denied = client.post(f"/api/authors/{x.id}/link", json=body, headers=bearer(tokens["agent"]))
    assert denied.status_code == 403 and "lead" in denied.json()["detail"]
    assert client.post(f"/api/authors/{x.id}/unlink",
                       headers=bearer(tokens["agent"])).status_code == 403
    r = client.post(f"/api/authors/{x.id}/link", json=body, headers=bearer(tokens["lead"]))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["changed"] and out["person_id"] == mail.contact_id
    assert {i["source"] for i in out["person"]["identities"]} == {"mail", "demo-x"}
    # agents can see who is who
    seen = client.get(f"/api/authors/{x.id}", headers=bearer(tokens["agent"])).json()
    assert seen["person"]["id"] == mail.contact_id
    r = client.post(f"/api/authors/{x.id}/unlink", headers=bearer(tokens["admin"]))
    assert r.status_code == 200 and r.json()["mode"] == "undo" and r.json()["person_id"] is None
    history = client.get(f"/api/people/{mail.contact_id}", headers=bearer(tokens["agent"])).json()
    assert [(h["action"], h["actor"]) for h in history["history"]] == [
        ("author.unlink", "root"), ("author.link", "lee")]


def test_a_link_answers_at_once_and_the_workers_re_rank_the_persons_open_items(
        client, services, tokens, sam):
    mail, x = sam
    r = client.post(f"/api/authors/{x.id}/link", json={"other_author_id": mail.id},
                    headers=bearer(tokens["lead"]))
    assert r.status_code == 200 and r.json()["rescore"] == {"items": 2, "jobs": 1}
    assert queue(services.redis, RESCORE).count == 1
    assert "1 open case(s)" not in texts(services, "x-1"), "queued, not re-ranked in the request"
    run_jobs(services)
    assert "1 open case(s)" in texts(services, "x-1") and "1 open case(s)" in texts(services, "mail-1")


def test_bad_input_answers_404_409_or_422_with_the_reason(client, services, tokens, sam, tmp_path):
    mail, x = sam
    lead = bearer(tokens["lead"])
    r = client.post("/api/authors/999/link", json={"other_author_id": x.id}, headers=lead)
    assert r.status_code == 404 and r.json()["detail"] == "no author 999"
    r = client.post(f"/api/authors/{x.id}/link", json={"contact_id": 999}, headers=lead)
    assert r.status_code == 404 and r.json()["detail"] == "no person (contact) 999"
    r = client.post(f"/api/authors/{x.id}/link", json={"other_author_id": x.id}, headers=lead)
    assert r.status_code == 409 and "cannot be linked to itself" in r.json()["detail"]
    assert client.post(f"/api/authors/{x.id}/link", json={}, headers=lead).status_code == 422
    both = client.post(f"/api/authors/{x.id}/link", headers=lead,
                       json={"contact_id": 1, "other_author_id": mail.id})
    assert both.status_code == 422 and "exactly one" in both.text
    r = client.post(f"/api/authors/{x.id}/unlink", headers=lead)
    assert r.status_code == 409 and "not linked to any person" in r.json()["detail"]
    _import_crm(services, tmp_path, {"crm_id": "C-1", "email": "sam@example.com"},
                {"crm_id": "C-2", "identities": [{"source": "demo-x", "author_id": "x-77"}]})
    r = client.post(f"/api/authors/{x.id}/link", json={"other_author_id": mail.id}, headers=lead)
    assert r.status_code == 409 and "CRM id 'C-2'" in r.json()["detail"]


@pytest.mark.usefixtures("services")
def test_the_inbox_says_same_person_and_links_the_person_page(client, tokens, sam):
    mail, x = sam
    client.post(f"/api/authors/{x.id}/link", json={"other_author_id": mail.id},
                headers=bearer(tokens["lead"]))
    items = {i["external_id"]: i for i in
             client.get("/api/inbox", headers=bearer(tokens["agent"])).json()["items"]}
    assert items["mail-1"]["person"]["text"] == "same person as @sam on demo-x"
    assert items["x-1"]["person"]["text"] == "same person as sam@example.com on mail"
    assert items["x-1"]["person"]["url"] == f"/people/{mail.contact_id}"

    csrf = _sign_in(client, "ana")
    page = client.get("/inbox")
    assert "same person as @sam on demo-x" in page.text and f'href="/people/{mail.contact_id}"' in page.text
    person = client.get(f"/people/{mail.contact_id}")
    assert person.status_code == 200
    assert "My invoice is wrong" in person.text and "Still waiting on that invoice" in person.text
    assert "linked by lee" in person.text and "Unlink" not in person.text  # agents only look
    assert client.post(f"/authors/{x.id}/unlink", data={"csrf_token": csrf}).status_code == 403


@pytest.mark.usefixtures("tokens")
def test_a_lead_links_from_the_authors_page_by_source_and_id_and_unlinks_on_the_person_page(
        client, services, sam):
    mail, x = sam
    _sign_in(client, "lee")
    page = client.get("/authors?q=sam")
    assert page.status_code == 200 and "@sam" in page.text
    csrf = _csrf(page.text)
    bad = client.post(f"/authors/{x.id}/link", data={"other": "mail:nobody@example.com",
                                                      "csrf_token": csrf})
    assert bad.status_code == 404 and "no author &#39;nobody@example.com&#39; on &#39;mail&#39;" in bad.text
    r = client.post(f"/authors/{x.id}/link", data={"other": "mail:sam@example.com", "csrf_token": csrf},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/people/{mail.contact_id}"
    person = client.get(r.headers["location"])
    assert "Unlink" in person.text and "demo-x" in person.text
    r = client.post(f"/authors/{x.id}/unlink", data={"csrf_token": _csrf(person.text)},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/people/{mail.contact_id}"
    with services.db() as session:
        assert session.get(t.Author, x.id).contact_id is None


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _sign_in(client, username: str) -> str:
    client.post("/login", data={"username": username, "password": PASSWORD,
                                "csrf_token": _csrf(client.get("/login").text)})
    return _csrf(client.get("/inbox").text)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_cli_links_two_authors_and_shows_the_person(services, sam, tmp_path):
    mail, x = sam
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRIAGE_")}
    env.update(TRIAGE_ENV="test", TRIAGE_SECRET_KEY="s" * 40, TRIAGE_DATA_DIR=str(tmp_path / "var"),
               TRIAGE_DATABASE_URL=services.settings.database_url,
               TRIAGE_REDIS_URL=services.settings.redis_url,
               TRIAGE_SOURCES=json.dumps({"test": {"channel": "generic", "secret": "x" * 32}}))

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "triage.cli", "authors", *args], env=env, check=False,
                              cwd=ROOT, capture_output=True, text=True, timeout=120)

    out = cli("link", "demo-x:x-77", str(mail.id))
    assert out.returncode == 0, out.stderr + out.stdout
    assert f"link: author {x.id} is now person {mail.contact_id}" in out.stdout
    assert cli("link", str(x.id), str(x.id)).returncode == 2
    assert cli("link", "999", str(x.id)).returncode == 1
    shown = cli("show", str(x.id))
    assert shown.returncode == 0 and "sam@example.com" in shown.stdout and "@sam" in shown.stdout
    assert "My invoice is wrong" in shown.stdout
    with services.db() as session:
        entry = session.scalars(select(t.AuditLog).where(t.AuditLog.action == "author.link")).one()
    assert entry.actor.startswith("cli")
