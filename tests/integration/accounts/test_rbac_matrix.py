"""The role matrix, generated from the app's own routes: every route x {anonymous, agent, lead,
admin} x {cookie, bearer token}. A route missing from MIN_ROLE fails, so a new route needs a decision.

Webhooks are authenticated by their signature (a cookie or token must not change the answer);
/health, /login and the static assets are public.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route

from tests.integration.accounts.support import signed_in
from tests.integration.helpers import add_user, bearer
from triage.api.app import create_app

RANK = {"anonymous": 0, "agent": 1, "lead": 2, "admin": 3}
MIN_ROLE = {
    ("GET", "/health"): "public",
    ("GET", "/api/openapi.json"): "public",  # outside production; PRODUCTION_MIN_ROLE below
    ("GET", "/api/docs"): "public",
    ("GET", "/"): "public",  # a redirect to /inbox, which asks for sign-in
    ("GET", "/login"): "public",
    ("POST", "/login"): "public",
    ("GET", "/webhooks/{source}"): "signature",
    ("POST", "/webhooks/{source}"): "signature",
    ("GET", "/metrics"): "agent",
    ("GET", "/api/inbox"): "agent",
    ("GET", "/api/inbox/{item_id}"): "agent",
    ("POST", "/api/inbox/{item_id}/corrections"): "agent",
    ("POST", "/api/inbox/{item_id}/{action}"): "agent",
    ("GET", "/api/me"): "agent",
    ("POST", "/api/tokens"): "agent",
    ("GET", "/api/users"): "admin",
    ("POST", "/api/users"): "admin",
    ("POST", "/api/users/{user_id}/deactivate"): "admin",
    ("POST", "/api/users/{user_id}/reactivate"): "admin",
    ("GET", "/api/tokens"): "admin",
    ("POST", "/api/tokens/{token_id}/revoke"): "admin",
    ("GET", "/admin"): "admin",
    ("POST", "/admin/users/{user_id}/{action}"): "admin",
    ("POST", "/admin/tokens/{token_id}/revoke"): "admin",
    ("GET", "/api/policy"): "lead",
    ("PUT", "/api/policy"): "lead",
    ("POST", "/api/policy/rescore"): "lead",
    ("GET", "/api/policy/rescore/status"): "lead",
    ("GET", "/policy"): "lead",
    ("POST", "/policy"): "lead",
    ("GET", "/staff"): "lead",
    ("POST", "/staff/rules"): "lead",
    ("POST", "/staff/new"): "lead",
    ("GET", "/roster"): "lead",
    ("POST", "/roster/plan"): "lead",
    ("POST", "/roster/publish"): "lead",
    ("POST", "/api/roster/publish"): "lead",
    ("POST", "/api/roster/plan"): "lead",
    ("GET", "/hours"): "agent",
    ("POST", "/hours/break"): "agent",
    ("POST", "/hours/break/end"): "agent",
    ("POST", "/api/breaks"): "agent",
    ("POST", "/api/breaks/end"): "agent",
    ("GET", "/api/staff"): "agent",
    ("POST", "/api/staff"): "lead",
    ("GET", "/api/staff/{staff_id}"): "lead",  # an agent reads only their own (scheduling tests)
    ("PATCH", "/api/staff/{staff_id}"): "lead",
    ("GET", "/api/staff/{staff_id}/shifts"): "agent",
    ("POST", "/api/staff/{staff_id}/shifts"): "lead",
    ("DELETE", "/api/shifts/{shift_id}"): "lead",
    ("POST", "/api/staff/{staff_id}/time-off"): "lead",
    ("GET", "/api/rules"): "agent",
    ("PUT", "/api/rules"): "lead",
    ("GET", "/api/hours"): "agent",
    ("GET", "/api/coverage-gaps"): "lead",
    ("POST", "/api/coverage-gaps/{gap_id}/seen"): "lead",
    ("POST", "/api/route"): "lead",
    ("GET", "/api/sources"): "lead",
    ("POST", "/api/sources/{slug}/poll"): "lead",
    ("GET", "/sources"): "lead",
    ("POST", "/sources/{slug}/poll"): "lead",
    ("POST", "/api/messages/{message_id}/reply"): "agent",
    ("GET", "/api/messages/{message_id}/replies"): "agent",
    ("POST", "/api/replies/{reply_id}/retry"): "agent",
    ("GET", "/inbox/{message_id}/replies"): "agent",
    ("POST", "/inbox/{message_id}/reply"): "agent",
    ("POST", "/replies/{reply_id}/retry"): "agent",
    ("GET", "/api/authors"): "agent",
    ("GET", "/api/authors/{author_id}"): "agent",
    ("POST", "/api/authors/{author_id}/link"): "lead",
    ("POST", "/api/authors/{author_id}/unlink"): "lead",
    ("GET", "/api/people/{contact_id}"): "agent",
    ("GET", "/authors"): "agent",
    ("GET", "/people/{contact_id}"): "agent",
    ("POST", "/authors/{author_id}/link"): "lead",
    ("POST", "/authors/{author_id}/unlink"): "lead",
    ("POST", "/logout"): "agent",
    ("GET", "/inbox"): "agent",
    ("GET", "/inbox/{item_id}"): "agent",
    ("GET", "/inbox/{item_id}/row"): "agent",
    ("POST", "/inbox/{item_id}/presence"): "agent",
    ("GET", "/inbox/counts"): "agent",
    ("GET", "/inbox/live"): "agent",  # server-sent events; the test shortens their lifetime
    ("GET", "/livez"): "public",
    ("GET", "/readyz"): "public",
    ("POST", "/inbox/{item_id}/{action}"): "agent",
    ("GET", "/board"): "lead",
    ("GET", "/my-week"): "agent",
    ("GET", "/audit"): "lead",
    ("GET", "/reports/health"): "lead",
    ("GET", "/reports/health.csv"): "lead",
    # canned replies: everyone reads and inserts them, leads keep the library
    ("GET", "/api/canned"): "agent",
    ("POST", "/api/canned"): "lead",
    ("PUT", "/api/canned/{canned_id}"): "lead",
    ("DELETE", "/api/canned/{canned_id}"): "lead",
    ("GET", "/api/messages/{message_id}/canned"): "agent",
    ("GET", "/canned"): "agent",
    ("POST", "/canned"): "lead",
    ("POST", "/canned/{canned_id}"): "lead",
    ("POST", "/canned/{canned_id}/delete"): "lead",
    # bulk moves (assigning others is checked per item), incident reply-all, the reply counter
    ("POST", "/api/inbox/bulk"): "agent",
    ("POST", "/api/incidents/{incident_id}/reply-all"): "agent",
    ("GET", "/api/incidents/{incident_id}/reply-all"): "agent",
    ("POST", "/api/messages/{message_id}/reply/length"): "agent",
    ("GET", "/inbox/incidents/{incident_id}/progress"): "agent",
    ("POST", "/inbox/incidents/{incident_id}/reply-all"): "agent",
}
# In production the API docs map every route for whoever asks, so they need a signed-in user.
PRODUCTION_MIN_ROLE = {("GET", "/api/openapi.json"): "agent", ("GET", "/api/docs"): "agent"}
DOCS_PAGES = {"/api/docs"}  # a page under /api/: the anonymous are sent to /login, not given 401
PUBLIC_MOUNTS = {"/static", "/static/docs"}  # CSS, htmx and the API docs' own assets
ACTIONS = {"/admin/users/{user_id}/{action}": "deactivate"}  # else "claim"
SIGN_IN_PAGE = {"/logout"}  # admitted callers are sent to /login by design
PARAM = re.compile(r"{(\w+)}")


def _routes(app) -> tuple[set[tuple[str, str]], set[str]]:
    """(method, path) of every endpoint, and every mount, however deep the routers nest."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI's flattened view, where it exists

        flat = [(c.route, c.path) for c in iter_route_contexts(app.routes)]
    except ImportError:
        flat = [(r, getattr(r, "path", None)) for r in app.routes]
    endpoints, mounts = set(), set()
    for route, path in flat:
        if isinstance(route, Mount):
            mounts.add(path)
        elif isinstance(route, (APIRoute, Route)):
            endpoints |= {(m, path) for m in route.methods if m != "HEAD"}
        else:
            raise AssertionError(f"unknown route kind {type(route).__name__} at {path}")
    return endpoints, mounts


def _url(path: str) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1)
        return {"action": ACTIONS.get(path, "claim"), "slug": "nosuch", "source": "test"}.get(
            name, "999999")
    return PARAM.sub(value, path)


@pytest.fixture
def app_and_callers(services, monkeypatch):
    monkeypatch.setattr("triage.inbox.live.LIFETIME", 0.2)  # the event stream ends by itself
    app = create_app(services)
    tokens = {role: add_user(services, role, role) for role in ("agent", "lead", "admin")}
    cookies = {role: signed_in(services, role) for role in tokens}
    anon = TestClient(app)
    return app, tokens, cookies, anon


def _call(client: TestClient, method: str, url: str, headers: dict[str, str]):
    body = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    return client.request(method, url, headers=headers, follow_redirects=False, **body)


def _denied_anonymous(r, url: str) -> bool:
    if url.startswith(("/api/", "/metrics")) and url not in DOCS_PAGES:
        return r.status_code == 401
    return r.status_code == 303 and r.headers["location"] == "/login"


def _verdict(need: str, who: str, r, path: str, url: str, anonymous) -> bool:
    role = who.split("/")[0]
    if r.status_code >= 500:
        return False
    if need == "public":
        return r.status_code not in (401, 403) and r.headers.get("location") != "/login"
    if need == "signature":
        return r.status_code == anonymous.status_code and r.status_code >= 400
    if role == "anonymous":
        return _denied_anonymous(r, url)
    if RANK[role] < RANK[need]:
        return r.status_code == 403
    return r.status_code not in (401, 403) and (
        path in SIGN_IN_PAGE or r.headers.get("location") != "/login")


def _failures(services, decisions, tokens, cookies, anon) -> list[str]:
    """Call every route in `decisions` as every caller; the answers that break its decision."""
    failures: list[str] = []
    for method, path in sorted(decisions, key=lambda k: (k[1] == "/logout", k)):
        need, url = decisions[(method, path)], _url(path)
        answers = {"anonymous": _call(anon, method, url, {})}
        for role in tokens:
            answers[f"{role}/token"] = _call(anon, method, url, bearer(tokens[role]))
            client, csrf = cookies[role]
            answers[f"{role}/cookie"] = _call(client, method, url, {"X-CSRF-Token": csrf})
            if path == "/logout":
                cookies[role] = signed_in(services, role)
        failures += [f"{method} {url} as {who} (needs {need}): {r.status_code} {r.text[:120]!r}"
                     for who, r in answers.items()
                     if not _verdict(need, who, r, path, url, answers["anonymous"])]
    return failures


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_route_has_a_role_decision_and_every_role_gets_exactly_its_routes(services,
                                                                                app_and_callers):
    app, tokens, cookies, anon = app_and_callers
    endpoints, mounts = _routes(app)
    assert endpoints - MIN_ROLE.keys() == set(), "routes without a role decision in MIN_ROLE"
    assert MIN_ROLE.keys() - endpoints == set(), "MIN_ROLE lists routes the app no longer has"
    assert mounts == PUBLIC_MOUNTS
    failures = _failures(services, MIN_ROLE, tokens, cookies, anon)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_in_production_the_api_docs_ask_for_sign_in(services, monkeypatch):
    monkeypatch.setattr(services.settings, "env", "production")  # secure cookies: https clients
    app = create_app(services)
    tokens = {role: add_user(services, role, role) for role in ("agent", "lead", "admin")}
    cookies = {role: signed_in(services, role, base_url="https://testserver") for role in tokens}
    anon = TestClient(app, base_url="https://testserver")
    assert PRODUCTION_MIN_ROLE.keys() <= MIN_ROLE.keys()
    failures = _failures(services, PRODUCTION_MIN_ROLE, tokens, cookies, anon)
    assert not failures, "\n".join(failures)
    signed_in_schema = _call(cookies["agent"][0], "GET", "/api/openapi.json", {}).json()
    assert "/api/inbox" in signed_in_schema["paths"]
    assert anon.get("/api/openapi.json").json() == {"detail": "sign in or send a bearer token"}


def test_a_route_without_a_decision_fails_the_matrix():
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/api/new-thing")
    def new_thing() -> dict:
        return {}

    endpoints, _ = _routes(app)
    assert ("GET", "/api/new-thing") in endpoints - MIN_ROLE.keys()


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
@pytest.mark.usefixtures("services")
def test_no_route_answers_a_huge_or_negative_id_with_a_500(app_and_callers):
    app, tokens, _cookies, anon = app_and_callers
    endpoints, _ = _routes(app)
    failures = []
    for method, path in sorted(endpoints):
        if "{" not in path or MIN_ROLE[(method, path)] in ("public", "signature"):
            continue
        for value in ("99999999999999999999", "-1"):
            url = PARAM.sub(lambda m, v=value: {"action": "claim", "slug": "nosuch"}.get(m.group(1), v),
                            path)
            r = _call(anon, method, url, bearer(tokens["admin"]))
            if r.status_code >= 500:
                failures.append(f"{method} {url}: {r.status_code}")
    assert not failures, "\n".join(failures)
