"""Every page against WCAG 2.2 AA (axe-core, every impact) and at a 390 px phone width."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from tests.e2e.test_browser import CHROMIUM, browser  # noqa: F401  (the shared browser fixture)
from tests.e2e.test_pipeline_e2e import _inbox, _post, _token
from tests.integration.helpers import wait_for
from triage.accounts import store as users_repo
from triage.platform import tables as t
from triage.platform.db import make_engine, session_factory, transaction

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PHONE = {"width": 390, "height": 844}


def _admin_and_a_person(db_url: str) -> int:
    """An admin (who sees every page) and one person holding the first author."""
    engine = make_engine(db_url)
    with transaction(session_factory(engine)) as session:
        users_repo.create_user(session=session, username="ada", password="long-ada-password",
                               role="admin", now=datetime.now(UTC))
        contact = t.Contact(display_name="Sam Rivera", group="customers", facts={"plan": "pro"})
        session.add(contact)
        session.flush()
        session.query(t.Author).first().contact_id = contact.id
        cid = contact.id
    engine.dispose()
    return cid


def violations(page) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations of any impact on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
    return [f"{page.url} {v['id']} ({v['impact']}): {v['help']} at "
            f"{[n['target'] for n in v['nodes']][:3]}" for v in results.response["violations"]]


def sideways(page) -> list[str]:
    """Elements reaching past the right edge at this width: the page would scroll sideways."""
    return page.evaluate("""() => {
        const w = document.documentElement.clientWidth, out = [];
        const page = document.documentElement.scrollWidth;
        if (page > w) out.push('page ' + page);
        for (const el of document.querySelectorAll('button, a, input, select, textarea, summary')) {
            const r = el.getBoundingClientRect();
            if (r.width && r.right > w + 1 && !el.closest('.table-scroll')) {
                out.push(el.outerHTML.slice(0, 80));
            }
        }
        return out.slice(0, 5); }""")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_page_passes_axe_and_works_at_390_px(stack, db_url, browser, tmp_path):  # noqa: F811
    token = _token(db_url)
    stack.worker()
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        _post(client, {"messages": [
            {"external_id": f"a{i}", "text": text, "created_at": "2026-11-20T10:00:00Z",
             "author": {"id": f"p{i}", "handle": f"@p{i}", "name": f"Person {i}"}}
            for i, text in enumerate(["my account was hacked", "how do I export my data?",
                                      "love the new release"])]})
        wait_for(lambda: _inbox(client, token)["total"] == 3, timeout=30)
        first = _inbox(client, token)["items"][0]["id"]
    person = _admin_and_a_person(db_url)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{stack.base_url}/login")
    found = violations(page)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(tmp_path / "phone-login.png"))
    bad = {"login": sideways(page)}
    found += violations(page)
    page.fill("input[name=username]", "ada")
    page.fill("input[name=password]", "long-ada-password")
    page.keyboard.press("Enter")
    page.wait_for_url("**/inbox")
    pages = ["/inbox", f"/inbox/{first}", "/authors",
             f"/people/{person}", "/policy", "/staff", "/roster", "/hours", "/sources", "/admin",
             "/inbox?status=nonsense"]
    for path in pages:  # axe at desktop width on the inbox pages, at 390 px on every page
        page.set_viewport_size({"width": 1280, "height": 900})
        page.goto(stack.base_url + path)
        if path.startswith("/inbox"):
            found += violations(page)
        page.set_viewport_size(PHONE)
        page.wait_for_timeout(300)  # tables.js refits after a resize
        bad[path] = sideways(page)
        found += violations(page)
        name = path.strip("/").replace("/", "-").replace("?", "-").replace("=", "-") or "root"
        page.screenshot(path=str(tmp_path / f"phone-{name}.png"), full_page=True)
    assert found == []
    assert {k: v for k, v in bad.items() if v} == {}
    # the row's actions, the detail's, and one at the end of a wide table (which scrolls in its
    # own box) come on screen, reachable by touch, at 390 px
    page.goto(f"{stack.base_url}/inbox/{first}")
    buttons = [page.locator(f"#item-{first}").get_by_role("button", name="Claim"),
               page.locator("#detail").get_by_role("button", name="Claim")]
    for button in buttons:
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert box["height"] >= 24  # WCAG 2.2 target size (minimum)
    page.goto(f"{stack.base_url}/authors")
    link = page.get_by_role("button", name="Link").first
    link.scroll_into_view_if_needed()
    box = link.bounding_box()
    assert box and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
