"""The browser lock-down: link targets from strangers' data, and the security headers on every answer."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from triage.api.browser_safety import safe_url

TEMPLATES = Path(__file__).resolve().parents[3] / "triage" / "api" / "templates"


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
    "java\nscript:alert(1)", "\x01javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)", "//evil.example/x", "/\\evil.example", "https:no-host", "http://[::1",
    "file:///etc/passwd", "", None, "jav&#x09;ascript:alert(1)", "nothing-but-words",
])
def test_unsafe_or_foreign_link_targets_render_as_no_link(url):
    assert safe_url(url) == ""


@pytest.mark.parametrize("url", [
    "https://example.com/post/1?x=1#frag", "HTTP://EXAMPLE.COM", "mailto:sam@example.com",
    "/people/12", "/inbox/3",
])
def test_web_mail_and_same_site_links_pass_unchanged(url):
    assert safe_url(url) == url


def test_every_href_built_from_data_in_every_template_goes_through_the_filter():
    """An href with an expression must end in |safe_url, unless it is a page link we build."""
    ours = re.compile(r"^(page_url\(.*\)|/[^{]*)$")
    bad = []
    for path in TEMPLATES.glob("*.html"):
        for expr in re.findall(r'href="([^"]*\{\{[^"]*)"', path.read_text()):
            inner = re.findall(r"\{\{\s*(.*?)\s*\}\}", expr)
            if expr.startswith("/"):  # "/people/{{ id }}": our path, values are ids and urlencoded
                continue
            if not all(e.endswith("|safe_url") or ours.match(e) for e in inner):
                bad.append(f"{path.name}: {expr}")
    assert not bad, bad


def test_no_template_has_inline_script_or_event_handlers():
    bad = []
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text()
        bad += [f"{path.name}: inline script" for _ in re.findall(r"<script(?![^>]*\bsrc=)", text)]
        bad += [f"{path.name}: {m}" for m in re.findall(r"\s(on[a-z]+)\s*=", text)]
        bad += [f"{path.name}: {m}" for m in re.findall(r"\b(hx-on[:\w-]*)=", text)]
    assert not bad, bad


@pytest.mark.parametrize("path", ["/login", "/health", "/static/app.css", "/api/docs", "/inbox",
                                  "/api/inbox", "/no-such-page"])
def test_every_response_carries_the_security_headers(client, path):
    r = client.get(path, follow_redirects=False)
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
