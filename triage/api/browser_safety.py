"""What the browser is allowed to do with our pages: safe link targets and the security headers.

Message and author data come from strangers on the internet: a `javascript:` URL in a message's
`url` field once ran script from the person page. Every href built from such data goes through
`safe_url`, registered as the one Jinja filter `safe_url`; the headers below make the browser
refuse inline script, framing and MIME sniffing even where a template slips.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})
# Browsers drop tabs and newlines anywhere in a URL and strip C0 controls and spaces at its ends,
# so "java\tscript:" still runs: remove the same characters before judging the scheme.
_INVISIBLE = re.compile(r"[\t\n\r]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f]")

CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",  # no inline <script>, no on* handlers, no javascript: URLs
    # Inline style attributes stay allowed: the roster heatmap sets a CSS variable per cell, and
    # styles cannot run script in any browser we support.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers that predate CSP 2
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-content-type-options", b"nosniff"),
)


def safe_url(value: object) -> str:
    """The URL if a browser would open it as http(s), mailto or a same-site path; else ''."""
    if value is None:
        return ""
    url = _INVISIBLE.sub("", str(value)).strip("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c"
                                                "\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18"
                                                "\x19\x1a\x1b\x1c\x1d\x1e\x1f ")
    if not url or _CONTROLS.search(url):
        return ""
    if url.startswith("/"):  # our own pages; "//host" and "/\host" are other sites
        return url if not url.startswith(("//", "/\\")) else ""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced IPv6 bracket and the like
        return ""
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        return ""
    if scheme in ("http", "https") and not parts.netloc:
        return ""
    return url


class SecurityHeaders:
    """ASGI middleware adding the security headers to every response, streams included."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []),
                                      *(h for h in SECURITY_HEADERS if h[0] not in names)]
            await send(message)

        await self.app(scope, receive, send_with_headers)
