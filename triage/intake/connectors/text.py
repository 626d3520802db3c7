"""Plain text from the HTML, markdown and e-mail bodies platforms send."""

from __future__ import annotations

import re
from functools import lru_cache
from html import unescape

from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig
from lxml.etree import ParserError
from mailparser_reply import EmailReplyParser
from markdown_it import MarkdownIt

# Languages whose reply headers ("On ... wrote:", "Le ... a écrit :") and signatures are known.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "ja", "zh", "ko", "cs"]
_HTML_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_images=False, display_links=False)
_TAG = re.compile(r"<[a-zA-Z!/?][^<>]*>")
# Plain paragraphs ("<p>text</p><p>more</p>"), the most common shape of a comment: read directly,
# the parser's result would be the same lines.
_PLAIN_PARAGRAPHS = re.compile(r"^\s*(?:<p>[^<>]*</p>\s*)+$")
_PARAGRAPH = re.compile(r"<p>([^<>]*)</p>")
# Markdown's active characters; prose without them renders as itself.
_MARKDOWN_SYNTAX = re.compile(r"[*_`\[\]!#<>|~\\&]|^\s*(?:[-+=]|\d+[.)])\s|^ {4}", re.MULTILINE)


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment (inscriptis), one line per block, no blank lines."""
    if not _TAG.search(html):
        return unescape(html).strip()
    if _PLAIN_PARAGRAPHS.match(html):
        lines = (" ".join(unescape(p).split()) for p in _PARAGRAPH.findall(html))
        return "\n".join(line for line in lines if line)
    try:
        text = get_text(html, _HTML_CONFIG)
    except (ParserError, ValueError):  # lxml refuses some fragments (e.g. only a comment)
        text = _TAG.sub(" ", unescape(html))
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("strikethrough").enable("table")


def markdown_to_text(source: str) -> str:
    """Markdown as the reader sees it: emphasis dropped, links as their label, images as [image]."""
    if not source.strip():
        return ""
    if not _MARKDOWN_SYNTAX.search(source):
        return "\n".join(" ".join(line.split()) for line in source.splitlines() if line.strip())
    # Discourse writes uploads as ![alt|690x388](upload://key.png): the alt text is the useful part.
    source = re.sub(r"!\[([^\]|]*)[^\]]*\]\([^)]*\)", lambda m: f"[image: {m[1]}]" if m[1]
                    else "[image]", source)
    return html_to_text(_markdown().render(source))


@lru_cache(maxsize=1)
def _reply_parser() -> EmailReplyParser:
    return EmailReplyParser(languages=REPLY_LANGUAGES)


def strip_quoted_reply(text: str) -> str:
    """The new part of an e-mail reply: quotes, reply headers and signatures dropped."""
    try:
        replies = _reply_parser().read(text=text).replies
        latest = replies[0].body if replies else ""  # body: without reply header and signature
    except (ValueError, IndexError, AttributeError, re.error):
        latest = ""
    return (latest or "").strip() or text.strip()


# LinkedIn "little text": @[Name](urn:li:person:123); backslash escapes for its reserved chars.
LITTLE_MENTION = re.compile(r"@\[([^\]]*)\]\((urn:li:[^)]*)\)")
LITTLE_ESCAPE = re.compile(r"\\([|{}@\[\]()<>#\\*_~])")


def mention_text(text: str) -> str:
    """Platform mention markup as the reader sees it: '@[Acme](urn:li:organization:1)' -> '@Acme'."""
    return LITTLE_ESCAPE.sub(r"\1", LITTLE_MENTION.sub(lambda m: "@" + m[1], text))
