"""An agent's week and a lead's oversight pages in a real browser: one session, several pages, axe on each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.e2e.test_browser import CHROMIUM, browser  # noqa: F401  (the shared browser fixture)
from tests.e2e.test_inbox_browser import SEVERE
from triage.accounts import store as users_repo
from triage.platform import tables as t
from triage.platform.db import make_engine, session_factory, transaction
from triage.scheduling import staffing

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]
PASSWORD = "long-oversight-password"


def _axe(page) -> list[str]:
    """Serious and critical WCAG findings (these pages have no transitions to wait for)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
    return [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in SEVERE]


def _seed(db_url: str) -> None:
    """A lead, an agent in Berlin on shift now, a colleague in Tokyo, and a week of customer messages."""
    engine = make_engine(db_url)
    now = datetime.now(UTC)
    with transaction(session_factory(engine)) as session:
        users_repo.create_user(session=session, username="lena", password=PASSWORD, role="lead", now=now)
        users_repo.create_user(session=session, username="alex", password=PASSWORD, role="agent", now=now)
        alex = staffing.create_staff(session=session, actor="lena", now=now, data={
            "name": "Alex Agent", "username": "alex", "timezone": "Europe/Berlin", "on_call": True})
        staffing.add_shift(session=session, staff_id=alex.id, start=now - timedelta(hours=1),
                           end=now + timedelta(hours=7))
        staffing.add_shift(session=session, staff_id=alex.id, start=now - timedelta(days=6),
                           end=now - timedelta(days=6) + timedelta(hours=4), kind="on_call")
        kenji = staffing.create_staff(session=session, actor="lena", now=now,
                                      data={"name": "Kenji", "timezone": "Asia/Tokyo"})
        soon = now + timedelta(minutes=30)  # this team week's (UTC) roster shows it, even late on a Sunday
        start = soon if soon.weekday() == now.weekday() or now.weekday() != 6 else now - timedelta(hours=2)
        staffing.add_shift(session=session, staff_id=kenji.id, start=start, end=start + timedelta(hours=8))
        staffing.set_rules(session=session, raw={}, actor="lena", now=now, note="start")
        person = t.Contact(display_name="Gold customer", group="customer")
        session.add(person)
        session.flush()
        author = t.Author(source="test", external_id="gold", handle="@gold", contact_id=person.id,
                          first_seen=now)
        session.add(author)
        session.flush()
        for i in range(6):
            at = now - timedelta(days=2 * i, hours=1)
            msg = t.Message(source="test", external_id=f"h{i}", thread_id=f"h{i}", author_id=author.id,
                            text="where is my order?", created_at=at, received_at=at, stage="scored",
                            status="resolved", urgency="normal", priority=40)
            session.add(msg)
            session.flush()
            session.add(t.Score(message_id=msg.id, model="rules", urgency="normal", intent="question",
                                sentiment=("negative", "neutral", "positive")[i % 3], relationship_value=0.6,
                                tier="key", priority=40, confidence=0.9, scored_at=at))
            session.add(t.Assignment(message_id=msg.id, action="resolve", actor="alex",
                                     at=at + timedelta(hours=1 + i)))
    engine.dispose()


def _sign_in(context, base_url: str, username: str):
    page = context.new_page()
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/inbox")
    return page


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_agent_reads_their_week_and_a_lead_oversees_the_team(stack, db_url, browser, tmp_path):  # noqa: F811
    _seed(db_url)
    agent = _sign_in(browser.new_context(), stack.base_url, "alex")
    agent.click("nav >> text=My week")
    agent.wait_for_url("**/my-week")
    assert "Europe/Berlin" in agent.text_content("h1") and agent.locator("#my-shifts tbody tr").count() == 1
    assert "of 5 pages" in agent.text_content("#pages-week")
    agent.screenshot(path=str(tmp_path / "my-week.png"), full_page=True)
    assert _axe(agent) == []
    agent.goto(f"{stack.base_url}/hours")
    agent.click("#take-break")
    agent.goto(f"{stack.base_url}/inbox")
    assert "You are on a break until" in agent.text_content("#break-banner")

    lead = _sign_in(browser.new_context(accept_downloads=True), stack.base_url, "lena")
    lead.click("nav >> text=Team board")
    lead.wait_for_url("**/board")
    row = lead.locator("#board tr.person", has_text="Alex Agent")
    assert "on break" in row.text_content() and "Europe/Berlin" in row.text_content()
    assert lead.locator("#board tr.person").count() == 2 and "Asia/Tokyo" in lead.text_content("#board")
    lead.screenshot(path=str(tmp_path / "board.png"), full_page=True)
    assert _axe(lead) == []

    lead.goto(f"{stack.base_url}/staff")
    lead.fill("#rule-max_hours_per_day", "lots")
    lead.fill("#rule-pages_per_night", "9")
    lead.fill("#rule-pages_per_week", "3")
    lead.click("#save-rules")
    assert lead.text_content("#rule-max_hours_per_day-err") == "must be a number"
    lead.screenshot(path=str(tmp_path / "rules-form.png"), full_page=True)
    assert _axe(lead) == []
    lead.fill("#rule-max_hours_per_day", "8")
    lead.click("#save-rules")
    assert "pages_per_night (9) exceeds pages_per_week (3)" in lead.text_content("#rule-pages_per_night-err")
    lead.fill("#rule-pages_per_night", "2")
    lead.fill("#rule-note", "shorter days")
    lead.click("#save-rules")
    lead.wait_for_url("**/staff#rules")
    assert lead.input_value("#rule-max_hours_per_day") == "8"

    lead.click("nav >> text=Audit log")
    lead.wait_for_url("**/audit")
    lead.select_option("#f-actor", "lena")
    lead.select_option("#f-action", "rules.set")
    lead.click("form.filters button[type=submit]")
    lead.wait_for_url("**/audit?*actor=lena*")
    actions = lead.locator("#audit td.action").all_text_contents()
    assert actions == ["rules.set", "rules.set"] and "shorter days" in lead.text_content("#audit")
    lead.screenshot(path=str(tmp_path / "audit.png"), full_page=True)
    assert _axe(lead) == []

    lead.click("nav >> text=Relationship health")
    lead.wait_for_url("**/reports/health")
    assert lead.locator("figure.chart svg").count() == 3
    assert lead.locator("#group-customer table.health tbody tr").count() == 8
    lead.screenshot(path=str(tmp_path / "health.png"), full_page=True)
    assert _axe(lead) == []
    with lead.expect_download() as download:
        lead.click("#csv")
    text = open(download.value.path(), encoding="utf-8").read()
    assert text.startswith("group,week,volume,") and text.count("\n") == 1 + 8 * 8

    lead.goto(f"{stack.base_url}/roster")
    kenji = lead.locator("table.roster tbody tr", has_text="Kenji")
    assert "local" in kenji.text_content()
    lead.screenshot(path=str(tmp_path / "roster.png"), full_page=True)  # not a new page: the inbox's axe run
