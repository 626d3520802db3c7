"""Canned replies, bulk moves and a storm's reply-all in Chromium, from the keyboard where it counts."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.e2e.test_browser import CHROMIUM, browser  # noqa: F401  (the shared browser fixture)
from tests.e2e.test_inbox_browser import axe_findings
from tests.e2e.test_pipeline_e2e import _inbox, _post, _token
from tests.integration.helpers import wait_for
from triage.accounts import store as users_repo
from triage.platform.db import make_engine, session_factory, transaction

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]
STORM = "Checkout page shows error 500 when I pay"
QUESTIONS = ["How do I change my delivery address?", "Can I get the invoice as a PDF?",
             "Where do I find my order history?"]


def _lead(db_url: str) -> None:
    engine = make_engine(db_url)
    with transaction(session_factory(engine)) as session:
        users_repo.create_user(session=session, username="lead1", password="long-lead-password",
                               role="lead", now=datetime.now(UTC))
    engine.dispose()


def _msg(i: str, text: str, name: str) -> dict:
    return {"external_id": i, "text": text, "created_at": "2026-11-20T10:00:00Z",
            "author": {"id": f"id-{i}", "handle": f"@{i}", "name": name}}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_canned_reply_bulk_resolve_and_storm_reply_all(stack, db_url, browser, tmp_path):  # noqa: F811
    token = _token(db_url)
    _lead(db_url)
    stack.worker()
    storm = [_msg(f"s{i}", STORM, f"Buyer {i}") for i in range(4)]
    singles = [_msg(f"q{i}", q, f"Robin {i}") for i, q in enumerate(QUESTIONS)]
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        _post(client, {"messages": storm + singles})
        wait_for(lambda: _inbox(client, token)["total"] == 4)  # the storm is one item
        items = _inbox(client, token)["items"]
    leader = next(i for i in items if i["incident"])
    single_ids = [i["id"] for i in items if not i["incident"]]

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{stack.base_url}/login")
    page.fill("input[name=username]", "lead1")
    page.fill("input[name=password]", "long-lead-password")
    page.keyboard.press("Enter")
    page.wait_for_url("**/inbox")

    # a lead adds a canned reply
    page.goto(f"{stack.base_url}/canned")
    page.fill(".canned-new input[name=name]", "Address change")
    page.fill(".canned-new textarea[name=body]",
              "Hi {author_name}, {agent_name} here: change it under Account. Case {case_link}")
    page.click(".canned-new button[type=submit]")
    page.wait_for_selector(".canned-library input[value='Address change']")
    page.screenshot(path=str(tmp_path / "canned.png"), full_page=True)
    assert axe_findings(page) == []

    # in a conversation: r, then ; opens the picker, a few letters filter, Enter inserts it
    first = single_ids[0]
    page.goto(f"{stack.base_url}/inbox/{first}")
    page.wait_for_selector(f"#detail[data-id='{first}']")
    page.keyboard.press("r")
    page.keyboard.type("Thanks! ")
    page.keyboard.press(";")
    page.wait_for_selector(f"#canned-picker-{first}:not([hidden]) li[role=option]")
    page.keyboard.type("addr")
    page.keyboard.press("Enter")
    box = page.locator(f"#reply-text-{first}")
    author = next(i for i in items if i["id"] == first)["author"]["name"]
    expected = (f"Thanks! Hi {author}, lead1 here: change it under Account. "
                f"Case {stack.base_url}/inbox/{first}")
    assert box.input_value() == expected
    assert page.evaluate("document.activeElement.id") == f"reply-text-{first}"
    page.wait_for_selector(f"#reply-count-{first}:has-text('{len(expected)} / 10,000')")
    page.screenshot(path=str(tmp_path / "canned-inserted.png"))
    defer = page.locator("#detail input[name=defer]")
    if defer.count():  # out of business hours the form proposes the morning: send now instead
        defer.uncheck()
        box.focus()
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#detail .reply-status:has-text('sent (dry run)')", timeout=20_000)

    # bulk: x on the selected row, shift-click for a range, one Resolve for all of them
    page.goto(f"{stack.base_url}/inbox")
    rest = single_ids[1:]
    listed = page.eval_on_selector_all("#items li.item", "els => els.map(e => +e.dataset.id)")
    for _ in range(listed.index(rest[0])):
        page.keyboard.press("j")
    page.keyboard.press("x")
    assert page.locator(f"#item-{rest[0]} input.pick").is_checked()
    page.locator(f"#item-{rest[1]} input.pick").click(modifiers=["Shift"])
    assert page.locator("#bulk-count").inner_text() == "2 selected"
    page.click("[data-bulk=resolve]")
    page.wait_for_selector("#bulk-result:has-text('resolve: 2 done')")
    page.wait_for_selector(f"#item-{rest[1]}.status-resolved")
    page.screenshot(path=str(tmp_path / "bulk.png"))

    # the storm: one answer into every thread, through the outbox, then all resolved
    page.goto(f"{stack.base_url}/inbox/{leader['id']}")
    panel = page.locator(".incident-panel")
    panel.locator("summary").click()
    panel.locator("textarea[name=text]").fill("Fixed: payments work again. Sorry!")
    panel.get_by_role("button", name="Send to every thread and resolve").click()
    page.wait_for_selector(".incident-progress:has-text('4 sent')", timeout=20_000)
    page.wait_for_selector(".incident-progress:has-text('0 items still open')", timeout=20_000)
    page.screenshot(path=str(tmp_path / "storm-reply-all.png"), full_page=True)
    assert axe_findings(page) == []
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        assert _inbox(client, token, status="resolved")["total"] == 4  # 1 reply, 2 bulk, the storm
