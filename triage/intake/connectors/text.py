"""Plain text from the HTML and e-mail bodies platforms send."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

BLOCK_TAGS = frozenset({"p", "br", "div", "li", "blockquote", "pre", "tr", "h1", "h2", "h3"})
# "On Tue, 3 Mar 2026 at 10:00, Ana <ana@example.com> wrote:" and its common translations.
ATTRIBUTION = re.compile(
    r"^\s*(On .+wrote:|Le .+a écrit ?:|Am .+schrieb .+:|El .+escribió:|-----Original Message-----)\s*$",
    re.IGNORECASE)


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.skip = max(0, self.skip - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment, paragraphs kept as blank-line-free line breaks."""
    if "<" not in html:
        return unescape(html).strip()
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)


def strip_quoted_reply(text: str) -> str:
    """The new part of an e-mail reply: drops '>' quotes, the attribution line and what follows."""
    kept: list[str] = []
    for line in text.splitlines():
        if line == "-- " or ATTRIBUTION.match(line):  # "-- " is the RFC 3676 signature mark
            break
        if line.lstrip().startswith(">"):
            continue
        kept.append(line.rstrip())
    while kept and not kept[-1]:
        kept.pop()
    return "\n".join(kept).strip() or text.strip()
