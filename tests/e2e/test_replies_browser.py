"""Replying from the inbox page in a real browser (Debian's Chromium driven by Playwright)."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.test_browser import CHROMIUM, browser  # noqa: F401  (the shared browser fixture)
from tests.e2e.test_pipeline_e2e import _inbox, _post, _token
from tests.integration.helpers import message, wait_for

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_manager_replies_from_the_inbox_and_sees_it_sent_in_dry_run(
        stack, db_url, browser):  # noqa: F811
    token = _token(db_url)  # user "e2e" / "long-e2e-password"
    stack.worker()
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        _post(client, message("r1", "where is my refund? the order never arrived"))
        wait_for(lambda: _inbox(client, token)["total"] == 1)

    page = browser.new_page()
    page.goto(f"{stack.base_url}/login")
    page.fill("input[name=username]", "e2e")
    page.fill("input[name=password]", "long-e2e-password")
    page.click("button[type=submit]")
    page.wait_for_url("**/inbox")

    row = page.locator("li.item").first
    item = page.locator("#detail")  # the top item's conversation opens beside the list
    assert item.get_attribute("data-id") == row.get_attribute("data-id")
    item.locator("summary", has_text="Reply").click()
    item.locator("textarea[name=text]").fill("So sorry, a new parcel leaves today.")
    defer = item.locator("input[name=defer]")
    if defer.count():  # out of business hours the form proposes the morning: send now instead
        defer.uncheck()
    item.get_by_role("button", name="Send reply").click()
    page.wait_for_selector("#detail .reply-status:has-text('sent (dry run)')",
                           timeout=20_000)
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        assert _inbox(client, token, status="resolved")["total"] == 1
