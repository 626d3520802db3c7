"""A lead opens the roster and hours pages in a real browser, with staff and a routed backlog behind them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.e2e.test_browser import CHROMIUM, browser  # noqa: F401  (the shared browser fixture)
from tests.e2e.test_pipeline_e2e import _inbox, _post, _token
from tests.integration.helpers import message, wait_for
from triage.accounts import store as users_repo
from triage.platform.db import make_engine, session_factory, transaction
from triage.scheduling import staffing

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]
PASSWORD = "long-lead-password"
QUESTIONS = ("How do I export my data?", "Can I change the email on my account?",
             "Where are the API docs for webhooks?", "Is there a student discount?")


def _team(db_url: str) -> None:
    """A lead login and one agent on shift now, linked to logins, with a tight capacity rule."""
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    with transaction(session_factory(engine)) as session:
        users_repo.create_user(session=session, username="lena", password=PASSWORD, role="lead", now=now)
        users_repo.create_user(session=session, username="alex", password=PASSWORD, role="agent", now=now)
        alex = staffing.create_staff(session=session, actor="e2e", now=now,
                                     data={"name": "Alex Agent", "username": "alex"})
        staffing.add_shift(session=session, staff_id=alex.id, start=now - timedelta(hours=1),
                           end=now + timedelta(hours=7))
        staffing.set_rules(session=session, raw={"max_open_effort": 3}, actor="e2e", now=now)
    engine.dispose()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_lead_opens_the_roster_and_the_team_hours(stack, db_url, browser):  # noqa: F811
    token = _token(db_url)
    _team(db_url)
    stack.worker()
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        _post(client, {"messages": [message(f"r{i}", text) for i, text in enumerate(QUESTIONS)]})
        wait_for(lambda: sum(bool(i["assignee"]) for i in _inbox(client, token)["items"]) == 3)
        waiting = [i for i in _inbox(client, token)["items"] if not i["assignee"]]
        assert len(waiting) == 1 and "at capacity" in waiting[0]["wait_reason"]
        # Counted in the worker's forked job, read by the API process (multiprocess mode).
        metrics = client.get("/metrics", headers={"Authorization": f"Bearer {token}"}).text
        assert 'triage_route_assignments_total{kind="freshest_fit"} 3.0' in metrics
        assert 'triage_route_waiting_items{kind="at_limit"} 1.0' in metrics

    page = browser.new_page()
    page.goto(f"{stack.base_url}/login")
    page.fill("input[name=username]", "lena")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/inbox")
    assert "waiting: all 1 on shift are at a limit" in page.text_content("main")

    page.click("nav >> text=Roster")
    page.wait_for_url("**/roster")
    assert "Alex Agent" in page.text_content("table.roster")
    assert page.locator("table.heat tbody tr").count() == 7
    assert page.locator("table.heat td.short").count() > 0  # one person cannot cover the default demand

    page.click("nav >> text=Hours")
    page.wait_for_url("**/hours")
    assert page.locator("li.person").count() == 1
    assert "Alex Agent" in page.text_content("li.person") and "/ 9 h" in page.text_content("li.person")


def _sign_in(chromium, base_url: str):
    page = chromium.new_page()
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", "lena")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/inbox")
    return page


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_lead_plans_next_week_and_publishes_it_from_the_roster_page(stack, db_url, browser):  # noqa: F811
    _team(db_url)
    page = _sign_in(browser, stack.base_url)
    page.goto(f"{stack.base_url}/roster")
    page.click("text=Plan with OR-Tools")
    page.wait_for_selector("#publish", timeout=60_000)
    page.click("#publish")
    page.wait_for_selector("#published")
    assert page.url.endswith("/roster?week=1")
    summary = page.text_content("#published")
    assert "Published by lena" in summary and "shifts added" in summary
    row = page.locator("table.roster tbody tr", has_text="Alex Agent")
    assert row.locator("div.shift").count() > 0  # next week's grid now shows the published shifts
