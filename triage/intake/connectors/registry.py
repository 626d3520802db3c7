"""Find channel connectors by slug: installed entry points first, built-ins for a bare checkout."""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from triage.intake.connectors.base import Channel

ENTRY_POINT_GROUP = "triage.channels"

# The same lines as pyproject's [project.entry-points."triage.channels"], so an un-installed
# checkout (tests, `python -m`) still finds every built-in connector.
BUILTINS: dict[str, str] = {
    "generic": "triage.intake.connectors.generic:GenericWebhook",
    "meta": "triage.intake.connectors.meta:MetaWebhook",
    "x": "triage.intake.connectors.twitter:XWebhook",
    "slack": "triage.intake.connectors.slack:SlackEvents",
    "discourse": "triage.intake.connectors.discourse:DiscourseWebhook",
    "rss": "triage.intake.connectors.rss:FeedPoller",
    "mastodon": "triage.intake.connectors.mastodon:MastodonPoller",
    "reddit": "triage.intake.connectors.reddit:RedditPoller",
    "linkedin": "triage.intake.connectors.linkedin:LinkedInPoller",
    "youtube": "triage.intake.connectors.youtube:YouTubePoller",
    "imap": "triage.intake.connectors.imap:ImapPoller",
}


def _load(target: str) -> type[Channel]:
    module_name, _, attr = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attr)
    if not (isinstance(cls, type) and issubclass(cls, Channel)):
        raise TypeError(f"{target} is not a Channel subclass")
    return cls


def load_channels() -> dict[str, type[Channel]]:
    """Every connector class by slug; an installed plugin overrides a built-in of the same slug."""
    found = {slug: _load(target) for slug, target in BUILTINS.items()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, Channel)):
            raise TypeError(f"entry point {ep.name} = {ep.value} is not a Channel subclass")
        found[ep.name] = cls
    for slug, cls in found.items():
        if cls.slug != slug:
            raise ValueError(f"entry point {slug!r} names {cls.__name__} whose slug is {cls.slug!r}")
    return found
