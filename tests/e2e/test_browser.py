"""The inbox page in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.test_pipeline_e2e import _inbox, _post, _token
from tests.integration.helpers import message, wait_for

CHROMIUM = shutil.which("chromium")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_manager_signs_in_and_works_the_inbox_in_priority_order(stack, db_url, browser, tmp_path):
    import httpx

    token = _token(db_url)  # user "e2e" / "long-e2e-password"
    stack.worker()
    texts = ["love the new release", "how do I reset my password?", "payment failed twice, refund asap",
             "my account was hacked and money stolen"]
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        _post(client, {"messages": [message(f"b{i}", t) for i, t in enumerate(texts)]})
        wait_for(lambda: _inbox(client, token)["total"] == len(texts))

    page = browser.new_page()
    page.goto(f"{stack.base_url}/inbox")
    assert page.url.endswith("/login")
    page.fill("input[name=username]", "e2e")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert "Wrong username or password" in page.text_content("main")
    page.fill("input[name=username]", "e2e")
    page.fill("input[name=password]", "long-e2e-password")
    page.click("button[type=submit]")
    page.wait_for_url("**/inbox")

    rows = page.locator("li.item")
    assert rows.count() == len(texts)
    priorities = [float(rows.nth(i).get_attribute("data-priority")) for i in range(rows.count())]
    assert priorities == sorted(priorities, reverse=True)
    top = rows.first
    assert "hacked" in top.text_content() and "security or fraud" in top.text_content()
    page.screenshot(path=str(tmp_path / "inbox.png"), full_page=True)

    top.get_by_role("button", name="Claim").click()
    page.wait_for_selector(f"#{top.get_attribute('id')} .status:has-text('claimed')")
    top = page.locator("li.item").first
    top.get_by_role("button", name="Resolve").click()
    page.wait_for_selector(f"#{top.get_attribute('id')}.status-resolved")
    page.reload()
    assert page.locator("li.item").count() == len(texts) - 1
