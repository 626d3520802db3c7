"""Account security attacked from outside: copied cookies, password guessing, weak passwords,
revoked tokens and deactivated people (issue 12, part 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select
from typer.testing import CliRunner

from tests.integration.accounts.support import csrf_of, login, signed_in
from tests.integration.helpers import add_user, bearer
from triage.api.app import create_app
from triage.core.clock import FixedClock
from triage.platform import tables as t

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def audit_actions(services, action: str) -> list[t.AuditLog]:
    with services.db() as session:
        return list(session.scalars(select(t.AuditLog).where(t.AuditLog.action == action)))


def test_sign_out_ends_the_session_on_the_server_so_a_copied_cookie_stops_working(services):
    add_user(services, "ana")
    c, token = signed_in(services, "ana")
    stolen = dict(c.cookies)
    thief = TestClient(create_app(services), cookies=stolen)
    assert thief.get("/api/me").json()["username"] == "ana"
    assert c.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False).status_code == 303
    assert thief.get("/api/me").status_code == 401
    assert thief.get("/inbox", follow_redirects=False).headers["location"] == "/login"


def test_a_deactivated_users_sessions_and_tokens_stop_at_once_and_come_back_on_reactivation(services):
    admin_token = add_user(services, "root", role="admin")
    ana_token = add_user(services, "ana")
    c, _ = signed_in(services, "ana")
    api = TestClient(create_app(services))
    ana_id = api.get("/api/me", headers=bearer(ana_token)).json()["id"]
    off = api.post(f"/api/users/{ana_id}/deactivate", headers=bearer(admin_token))
    assert off.status_code == 200 and off.json()["active"] is False
    assert c.get("/api/me").status_code == 401
    assert api.get("/api/me", headers=bearer(ana_token)).status_code == 401
    assert login(TestClient(create_app(services)), "ana").status_code == 401
    assert api.post(f"/api/users/{ana_id}/reactivate", headers=bearer(admin_token)).json()["active"]
    assert api.get("/api/me", headers=bearer(ana_token)).status_code == 200
    assert c.get("/api/me").status_code == 401  # the ended session stays ended
    (deactivated,) = audit_actions(services, "user.deactivate")
    assert deactivated.actor == "root" and deactivated.detail["sessions_ended"] == 1
    assert audit_actions(services, "user.reactivate")


def test_an_admin_cannot_deactivate_themselves_and_an_agent_cannot_deactivate_anyone(services):
    admin_token = add_user(services, "root", role="admin")
    agent_token = add_user(services, "ana")
    api = TestClient(create_app(services))
    root_id = api.get("/api/me", headers=bearer(admin_token)).json()["id"]
    assert api.post(f"/api/users/{root_id}/deactivate", headers=bearer(admin_token)).status_code == 409
    assert api.post(f"/api/users/{root_id}/deactivate", headers=bearer(agent_token)).status_code == 403
    assert api.post("/api/users/99999999999999999999/deactivate",
                    headers=bearer(admin_token)).status_code == 422


def test_password_guessing_is_refused_with_429_per_account_and_every_failure_is_audited(services):
    add_user(services, "ana")
    c = TestClient(create_app(services))
    for attempt in range(10):
        assert login(c, "ana", f"wrong-password-{attempt}").status_code == 401
    blocked = login(c, "ana")  # even the right password waits: the guesser cannot tell
    assert blocked.status_code == 429 and "too many failed sign-ins" in blocked.text
    assert 1 <= int(blocked.headers["Retry-After"]) <= 15 * 60
    assert len(audit_actions(services, "login.failed")) == 10
    assert audit_actions(services, "login.throttled")
    add_user(services, "bo")
    other = TestClient(create_app(services))
    assert login(other, "bo").status_code == 303  # another account from the same address still works


def test_one_address_trying_many_accounts_is_refused_with_429(services):
    add_user(services, "ana")
    c = TestClient(create_app(services))
    for n in range(30):
        assert login(c, f"nobody{n}", "wrong-password-x").status_code == 401
    blocked = login(c, "ana")
    assert blocked.status_code == 429 and "address" in blocked.text


@pytest.mark.parametrize("password, reason", [
    ("aaaaaaaaaa", "common or breached"),
    ("password12", "common or breached"),
    ("qwertyuiop", "common or breached"),
    ("zzzzzzzzzzzzzzzz", "repeats"),
    ("short-pw", "at least 10"),
])
def test_weak_passwords_are_refused_with_the_reason(services, password, reason):
    admin = add_user(services, "root", role="admin")
    r = TestClient(create_app(services)).post("/api/users", headers=bearer(admin), json={
        "username": "newbie", "password": password, "role": "agent"})
    assert r.status_code == 422 and reason in r.text


def test_long_passphrases_without_composition_rules_are_accepted(services):
    admin = add_user(services, "root", role="admin")
    api = TestClient(create_app(services))
    phrase = "my cat likes to sleep on the warm laptop in the afternoon sun ok"
    assert len(phrase) >= 64
    assert api.post("/api/users", headers=bearer(admin), json={
        "username": "newbie", "password": phrase, "role": "agent"}).status_code == 201
    assert login(TestClient(create_app(services)), "newbie", phrase).status_code == 303
    too_long = api.post("/api/users", headers=bearer(admin), json={
        "username": "other", "password": "x1" * 100, "role": "agent"})
    assert too_long.status_code == 422


def test_admins_list_and_revoke_tokens_and_a_revoked_token_gets_401(services):
    admin = add_user(services, "root", role="admin")
    agent = add_user(services, "ana")
    api = TestClient(create_app(services))
    tokens = api.get("/api/tokens", headers=bearer(admin)).json()
    assert {tok["username"] for tok in tokens} == {"root", "ana"}
    assert all("token_hash" not in tok and "token" not in tok for tok in tokens)
    assert api.get("/api/tokens", headers=bearer(agent)).status_code == 403
    ana_tok = next(tok for tok in tokens if tok["username"] == "ana")
    assert api.post(f"/api/tokens/{ana_tok['id']}/revoke", headers=bearer(agent)).status_code == 403
    assert api.post(f"/api/tokens/{ana_tok['id']}/revoke", headers=bearer(admin)).json()["revoked"]
    assert api.get("/api/me", headers=bearer(agent)).status_code == 401
    assert api.post("/api/tokens/999999/revoke", headers=bearer(admin)).status_code == 404
    (revoked,) = audit_actions(services, "token.revoke")
    assert revoked.actor == "root" and revoked.detail["user"] == "ana"


def test_the_admin_page_deactivates_a_user_and_revokes_a_token_and_agents_cannot_open_it(services):
    add_user(services, "root", role="admin")
    agent = add_user(services, "ana")
    c, csrf = signed_in(services, "root")
    page = c.get("/admin")
    assert page.status_code == 200 and "ana" in page.text and "Revoke" in page.text
    api = TestClient(create_app(services))
    ana_id = api.get("/api/me", headers=bearer(agent)).json()["id"]
    token_id = next(tok["id"] for tok in c.get("/api/tokens").json() if tok["username"] == "ana")
    assert c.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": "forged"}).status_code == 403
    assert c.post(f"/admin/tokens/{token_id}/revoke", data={"csrf_token": csrf},
                  follow_redirects=False).status_code == 303
    assert api.get("/api/me", headers=bearer(agent)).status_code == 401
    assert c.post(f"/admin/users/{ana_id}/deactivate", data={"csrf_token": csrf},
                  follow_redirects=False).status_code == 303
    assert "deactivated" in c.get("/admin").text
    ana, _ = TestClient(create_app(services)), None
    assert login(ana, "ana").status_code == 401
    add_user(services, "bo")
    bo, _ = signed_in(services, "bo")
    assert bo.get("/admin").status_code == 403


def test_the_cli_lists_tokens_revokes_one_and_deactivates_a_user(services, monkeypatch):
    import triage.cli.common
    import triage.cli.main

    agent = add_user(services, "ana")
    monkeypatch.setattr(triage.cli.common, "services", lambda *_, **__: services)
    runner = CliRunner()
    listed = runner.invoke(triage.cli.main.app, ["users", "tokens", "ana"])
    assert listed.exit_code == 0 and "ana" in listed.output and "never" in listed.output
    api = TestClient(create_app(services))
    assert runner.invoke(triage.cli.main.app, ["users", "revoke", "1"]).exit_code == 0
    assert api.get("/api/me", headers=bearer(agent)).status_code == 401
    assert runner.invoke(triage.cli.main.app, ["users", "revoke", "99"]).exit_code == 2
    c_token = add_user(services, "bo")
    assert runner.invoke(triage.cli.main.app, ["users", "deactivate", "bo"]).exit_code == 0
    assert api.get("/api/me", headers=bearer(c_token)).status_code == 401
    assert "False" in runner.invoke(triage.cli.main.app, ["users", "list"]).output
    assert runner.invoke(triage.cli.main.app, ["users", "deactivate", "nobody"]).exit_code == 2
    assert {a.actor for a in audit_actions(services, "token.revoke")} == {"cli"}


def test_a_bearer_get_writes_last_used_at_at_most_once_a_minute_and_outside_the_request(services):
    clock = FixedClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    services.clock = clock
    token = add_user(services, "ana")
    api = TestClient(create_app(services))
    updates: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("UPDATE API_TOKENS"):
            updates.append(statement)

    event.listen(services.engine, "before_cursor_execute", count)
    try:
        for _ in range(5):
            assert api.get("/api/inbox", headers=bearer(token)).status_code == 200
            clock.at += timedelta(seconds=5)
    finally:
        event.remove(services.engine, "before_cursor_execute", count)
    assert len(updates) == 1
    with services.db() as session:
        (row,) = session.scalars(select(t.ApiToken)).all()
        assert row.last_used_at.replace(tzinfo=UTC) == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_failed_login_page_keeps_its_csrf_and_never_echoes_the_password(services):
    add_user(services, "ana")
    c = TestClient(create_app(services))
    r = login(c, "ana", "hunter2-secret-guess")
    assert r.status_code == 401 and "hunter2-secret-guess" not in r.text and csrf_of(r.text)
    (failed,) = audit_actions(services, "login.failed")
    assert "hunter2" not in str(failed.detail)
