"""Canned replies without I/O: which variables a body may hold, checking it, filling it in."""

from __future__ import annotations

import re
from collections.abc import Mapping

from triage.core.errors import Invalid

# What a body may name, and what each stands for (the lead page lists them).
VARIABLES = {
    "author_name": "the person's name (else their handle)",
    "author_handle": "the person's handle, e.g. @sam",
    "agent_name": "your name, as the team knows you",
    "case_link": "the link to this conversation in the inbox",
    "case_id": "the item's number",
    "channel": "where the message came from (X, Mastodon, e-mail...)",
    "source": "the account it came in on",
}
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
MAX_NAME, MAX_BODY = 80, 10_000


def check(*, name: str, body: str) -> tuple[str, str]:
    """A name and body fit for the library, or Invalid naming each problem."""
    name, body = name.strip(), body.strip()
    problems = []
    if not name:
        problems.append("a canned reply needs a name")
    elif len(name) > MAX_NAME:
        problems.append(f"the name is {len(name)} characters; at most {MAX_NAME}")
    if not body:
        problems.append("a canned reply needs some text")
    elif len(body) > MAX_BODY:
        problems.append(f"the text is {len(body):,} characters; at most {MAX_BODY:,}")
    unknown = sorted({v for v in PLACEHOLDER.findall(body) if v not in VARIABLES})
    if unknown:
        problems.append("unknown variable(s) " + ", ".join("{" + v + "}" for v in unknown)
                        + "; use " + ", ".join("{" + v + "}" for v in VARIABLES))
    if problems:
        raise Invalid("; ".join(problems))
    return name, body


def render(body: str, values: Mapping[str, str]) -> str:
    """Fill in known variables as plain text (never a format string: no attribute access)."""
    return PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), m.group(0))), body)
