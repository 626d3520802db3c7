"""Signing in with a session cookie: CSRF on every unsafe request, roles on pages, sign-out."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.integration.helpers import PASSWORD, add_user, message, post_signed, run_jobs
from triage.api.app import create_app


@pytest.fixture
def client(services):
    add_user(services, "ana")
    post_signed(TestClient(create_app(services)), message("s1", "the app is down"))
    run_jobs(services)
    with TestClient(create_app(services)) as c:
        yield c


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def sign_in(c: TestClient) -> str:
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/inbox"
    return csrf_of(c.get("/inbox").text)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_form_without_the_csrf_token_is_refused(client):
    token = sign_in(client)
    item = client.get("/api/inbox").json()["items"][0]
    assert client.post(f"/inbox/{item['id']}/claim", data={}).status_code == 403
    assert client.post(f"/api/inbox/{item['id']}/claim").status_code == 403
    assert client.post(f"/inbox/{item['id']}/claim", data={"csrf_token": "forged"}).status_code == 403
    ok = client.post(f"/api/inbox/{item['id']}/claim", headers={"X-CSRF-Token": token})
    assert ok.status_code == 200 and ok.json()["status"] == "claimed"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_login_needs_the_right_password_and_its_own_csrf_token(client):
    bad = client.post("/login", data={"username": "ana", "password": "wrong-password-x",
                                      "csrf_token": csrf_of(client.get("/login").text)})
    assert bad.status_code == 401 and "Wrong username or password" in bad.text
    no_token = client.post("/login", data={"username": "ana", "password": PASSWORD})
    assert no_token.status_code == 403


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_htmx_actions_return_the_updated_row_and_sign_out_ends_the_session(client):
    token = sign_in(client)
    item = client.get("/api/inbox").json()["items"][0]
    r = client.post(f"/inbox/{item['id']}/claim", headers={"HX-Request": "true", "X-CSRF-Token": token})
    assert r.status_code == 200 and f'id="item-{item["id"]}"' in r.text and "claimed" in r.text
    taken = client.post(f"/inbox/{item['id']}/resolve", data={"csrf_token": token},
                        follow_redirects=False)
    assert taken.status_code == 303
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/api/inbox").status_code == 401


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_pager_link_opens_a_page_of_items_and_odd_page_numbers_do_not_fail(services):
    add_user(services, "ana")
    c = TestClient(create_app(services))
    post_signed(c, {"messages": [message(f"p{i}", f"question number {i} about billing")
                                 for i in range(120)]})
    run_jobs(services)
    sign_in(c)
    seen: set[str] = set()
    link = "/inbox"
    while link:  # walk the whole pager: every link answers a page of items, none a 422
        page = c.get(link)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"], link
        seen.update(re.findall(r'id="item-(\d+)"', page.text))
        nxt = re.search(r'<a href="([^"]+)" rel="next">', page.text)
        link = "/inbox" + nxt.group(1).replace("&amp;", "&") if nxt else None
    assert len(seen) == 120
    for odd in ("?page=100000000000000000000", "?page=-3", "?page=abc", "?mine=&page=2", "?page=99"):
        r = c.get("/inbox" + odd)
        assert r.status_code == 200 and 'class="item ' in r.text, odd
