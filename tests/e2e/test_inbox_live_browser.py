"""Live inbox in Chromium: arrivals, counts and moves by others appear without a reload; presence."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.e2e.test_browser import CHROMIUM, browser  # noqa: F401  (the shared browser fixture)
from tests.e2e.test_pipeline_e2e import _inbox, _post, _token
from tests.integration.helpers import wait_for
from triage.accounts import store as users_repo
from triage.inbox import live
from triage.platform.db import make_engine, session_factory, transaction

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]


def _second_agent(db_url: str) -> None:
    engine = make_engine(db_url)
    with transaction(session_factory(engine)) as session:
        users_repo.create_user(session=session, username="bo", password="long-bo-password",
                               role="agent", now=datetime.now(UTC))
    engine.dispose()


def _open_inbox(browser, base_url: str, username: str, password: str):  # noqa: F811
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.keyboard.press("Enter")
    page.wait_for_url("**/inbox")
    wait_for(lambda: page.evaluate("document.body.dataset.live") == "open", timeout=10)
    return page


def _msg(i: int, text: str) -> dict:
    return {"external_id": f"l{i}", "text": text, "created_at": "2026-11-20T10:00:00Z",
            "author": {"id": f"p{i}", "handle": f"@p{i}"}}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_two_agents_see_arrivals_each_others_moves_and_presence(stack, db_url, browser, tmp_path,  # noqa: F811
                                                                redis_conn):
    token = _token(db_url)  # "e2e"
    _second_agent(db_url)
    worker = stack.worker()
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        _post(client, {"messages": [_msg(0, "how do I reset my password?")]})
        wait_for(lambda: _inbox(client, token)["total"] == 1)
    alex = _open_inbox(browser, stack.base_url, "e2e", "long-e2e-password")
    bo = _open_inbox(browser, stack.base_url, "bo", "long-bo-password")
    first = alex.locator("li.item").first.get_attribute("data-id")

    # presence: both have the top item open; each sees the other
    alex.wait_for_selector(f"[data-presence-detail='{first}']:has-text('bo viewing')", timeout=15_000)
    alex.wait_for_selector(f"#item-{first} [data-presence]:has-text('bo viewing')")
    bo.locator("#detail summary", has_text="Reply").click()
    bo.locator("#detail textarea[name=text]").focus()
    alex.wait_for_selector(f"[data-presence-detail='{first}']:has-text('bo replying')", timeout=15_000)
    alex.screenshot(path=str(tmp_path / "presence.png"))

    # a new message appears in both lists, in priority order, and the counts follow
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        _post(client, {"messages": [_msg(1, "my account was hacked and money stolen")]})
    wait_for(lambda: alex.locator("li.item").count() == 2, timeout=20)
    assert "hacked" in alex.locator("li.item").first.text_content()  # critical goes on top
    wait_for(lambda: alex.locator("[data-count='all']").text_content() == "2", timeout=10)
    wait_for(lambda: bo.locator("li.item").count() == 2, timeout=20)
    alex.screenshot(path=str(tmp_path / "arrived.png"))

    # bo takes an item: it changes in place on alex's screen
    bo.locator(f"#item-{first}").get_by_role("button", name="Claim").click()
    alex.wait_for_selector(f"#item-{first} .status:has-text('claimed · bo')", timeout=15_000)
    wait_for(lambda: alex.locator("[data-count='unassigned']").text_content() == "1", timeout=10)

    # the API goes away and an item is routed meanwhile: the page says so, and when the API is
    # back the browser's Last-Event-ID brings the missed arrival in without a reload
    stack.kill(worker)
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        _post(client, {"messages": [_msg(2, "where is my parcel?")]})
    stack.kill(stack.procs[0])
    alex.wait_for_selector("#live-state:has-text('Live updates lost')", timeout=20_000)
    alex.screenshot(path=str(tmp_path / "offline.png"))
    logged = redis_conn.xlen(live.LOG_KEY)
    stack.worker()
    wait_for(lambda: redis_conn.xlen(live.LOG_KEY) > logged, timeout=30)  # routed while down
    stack.spawn("api", "api", "--log-level", "warning")
    wait_for(lambda: alex.evaluate("document.body.dataset.live") == "open", timeout=20)
    alex.wait_for_selector("#live-state:has-text('Live again')", timeout=5_000)
    wait_for(lambda: alex.locator("li.item").count() == 3, timeout=15)
    assert "parcel" in alex.locator("#items").text_content()
    alex.screenshot(path=str(tmp_path / "caught-up.png"))
    alex.context.set_offline(True)  # the network goes: the page says "offline"
    alex.wait_for_selector("#live-state:has-text('Offline')", timeout=5_000)
    alex.context.set_offline(False)
