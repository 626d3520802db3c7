"""The inbox workspace: item URLs, the conversation and relationship card, views, search, feedback."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.integration.helpers import PASSWORD, add_user, message, post_signed, run_jobs
from tests.integration.replies_support import FRIDAY_20, arrive, make_services_fixture  # noqa: F401
from triage.api.app import create_app
from triage.platform import tables as t


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in(services, username="ana", role="agent") -> tuple[TestClient, str]:
    add_user(services, username, role)
    client = TestClient(create_app(services))
    client.post("/login", data={"username": username, "password": PASSWORD,
                                "csrf_token": csrf_of(client.get("/login").text)})
    return client, csrf_of(client.get("/inbox").text)


def ids_on(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<li class="item [^"]*" id="item-(\d+)"', html)]


@pytest.fixture
def inbox(client, services):
    post_signed(client, {"messages": [
        message("fraud", "Someone hacked my account, there are charges I don't recognise",
                thread_id="t-1", author_id="sam"),
        message("follow", "Still waiting, this is awful", thread_id="t-1", author_id="sam"),
        message("thanks", "Thanks, love the product", author_id="kim"),
        message("export", "How do I export my data?", author_id="lee")]})
    run_jobs(services)
    with services.db() as session:
        ids = dict(session.query(t.Message.external_id, t.Message.id).all())
    return ids


def test_every_item_has_its_own_page_with_the_thread_in_order(services, inbox):
    client, _ = signed_in(services)
    page = client.get(f"/inbox/{inbox['follow']}")
    assert page.status_code == 200
    html = page.text
    thread = html[html.index('class="thread"'):html.index("</ol>", html.index('class="thread"'))]
    assert thread.index(f'id="msg-{inbox["fraud"]}"') < thread.index(f'id="msg-{inbox["follow"]}"')
    assert f'id="msg-{inbox["thanks"]}"' not in thread  # someone else's conversation
    assert 'class="card relationship"' in html and "Open cases" in html and "Sentiment" in html
    assert client.get("/inbox/999999").status_code == 404


@pytest.mark.usefixtures("inbox")
def test_the_list_is_dense_and_keeps_the_newcomer_markers(services):
    client, _ = signed_in(services)
    html = client.get("/inbox").text
    assert html.count('class="item ') == 4 and 'class="why"' in html
    assert 'id="detail"' in html  # the top item opens beside the list


def test_saved_views_count_and_filter(services, inbox):
    client, token = signed_in(services)
    html = client.get("/inbox").text
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert counts["all"] == "4" and counts["unassigned"] == "4" and counts["mine"] == "0"
    assert int(counts["critical"]) >= 1
    client.post(f"/inbox/{inbox['export']}/claim", headers={"X-CSRF-Token": token, "HX-Request": "1"})
    html = client.get("/inbox?view=mine").text
    assert ids_on(html) == [inbox["export"]]
    counts = dict(re.findall(r'data-count="(\w+)">(\d+)<', html))
    assert counts["mine"] == "1" and counts["waiting"] == "1" and counts["unassigned"] == "3"
    assert all(i != inbox["export"] for i in ids_on(client.get("/inbox?view=unassigned").text))
    assert client.get("/inbox?view=nonsense").status_code == 422


def test_search_finds_words_and_handles_and_treats_wildcards_literally(services, inbox):
    client, _ = signed_in(services)
    assert ids_on(client.get("/inbox?q=export").text) == [inbox["export"]]
    assert ids_on(client.get("/inbox?q=%25").text) == []  # "%" is a character, not a wildcard
    assert client.get("/inbox?q=" + "x" * 201).status_code == 422


def test_a_correction_visibly_changes_the_label_and_names_who(services, inbox):
    client, token = signed_in(services, "alex", "lead")
    r = client.post(f"/inbox/{inbox['thanks']}/correct", data={
        "field": "urgency", "value": "high", "pane": "detail"},
        headers={"X-CSRF-Token": token, "HX-Request": "1"})
    assert r.status_code == 200
    assert "urgency: high, corrected by alex" in r.text  # the pane
    assert 'hx-swap-oob="true"' in r.text and "urgency corrected by alex" in r.text  # the row
    assert 'class="badge high"' in client.get(f"/inbox/{inbox['thanks']}").text


def test_a_snoozed_item_says_until_when(services, inbox):
    client, token = signed_in(services)
    r = client.post(f"/inbox/{inbox['export']}/snooze", data={"minutes": "240", "pane": "detail"},
                    headers={"X-CSRF-Token": token, "HX-Request": "1"})
    assert re.search(r"snoozed until \w{3} \d{2} \w{3} \d{2}:\d{2} UTC", r.text)


def test_an_agent_cannot_act_without_csrf_or_sign_in(services, inbox):
    client, _ = signed_in(services)
    assert client.post(f"/inbox/{inbox['export']}/claim", data={"pane": "detail"}).status_code == 403
    anonymous = TestClient(create_app(services))
    assert anonymous.get(f"/inbox/{inbox['export']}", follow_redirects=False).status_code == 303


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_critical_and_high_replies_go_out_at_once_even_after_hours(make_services):
    services = make_services(at=FRIDAY_20)
    high = arrive(services, "shop", "h1")  # "where is my refund?": high
    normal = arrive(services, "shop", "n1", "How do I change the e-mail address on my account?")
    client, _ = signed_in(services)
    assert 'name="defer"' not in client.get(f"/inbox/{high}").text.split('id="detail"')[1]
    assert 'name="defer" value="true" checked' in client.get(f"/inbox/{normal}").text
