"""Which replier answers for a source: its channel slug picks the class, its options the config.

A source's `options` already hold what its connector reads (Mastodon's base_url and token,
LinkedIn's organization); what only sending needs (an SMTP server, a Slack bot token, a Meta page
token) goes under `options["reply"]`, which overrides anything derived.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from triage.config import Settings
from triage.replies.senders.base import (
    DryRunOutbox,
    Replier,
    ReplyAuthError,
    ReplyRejected,
    SmtpConfig,
    SmtpReplier,
)
from triage.replies.senders.community import (
    RedditReplier,
    RedditReplyConfig,
    YouTubeReplier,
    YouTubeReplyConfig,
)
from triage.replies.senders.http import (
    GRAPH,
    DiscourseReplier,
    DiscourseReplyConfig,
    LinkedInReplier,
    LinkedInReplyConfig,
    MastodonReplier,
    MetaReplier,
    SlackReplier,
    TokenConfig,
    XReplier,
)

REPLY_OPTION = "reply"
Derive = Callable[[dict[str, Any]], dict[str, Any]]


def _keys(*names: str, **renames: str) -> Derive:
    """Copy option keys (and renamed ones, new=old) that the connector config already has."""
    return lambda o: {**{n: o.get(n) for n in names},
                      **{new: o.get(old) for new, old in renames.items()}}


def _fixed(**values: str) -> Derive:
    return lambda _o: dict(values)


# channel slug -> (replier, its config, what the connector's own options already tell it)
REPLIERS: dict[str, tuple[type[Replier], type[BaseModel], Derive]] = {
    "mastodon": (MastodonReplier, TokenConfig, _keys("access_token", api_base="base_url")),
    "discourse": (DiscourseReplier, DiscourseReplyConfig, _keys(api_base="base_url")),
    "slack": (SlackReplier, TokenConfig, _fixed(api_base="https://slack.com/api")),
    "meta": (MetaReplier, TokenConfig, _fixed(api_base=GRAPH)),
    "x": (XReplier, TokenConfig, _fixed(api_base="https://api.x.com")),
    "linkedin": (LinkedInReplier, LinkedInReplyConfig,
                 _keys("api_base", "access_token", "organization_urn")),
    "imap": (SmtpReplier, SmtpConfig, _keys("username", "password", "allow_private_network",
                                            from_address="username")),
    "reddit": (RedditReplier, RedditReplyConfig,
               _keys("client_id", "client_secret", "refresh_token", "user_agent", "api_base",
                     "token_url")),
    "youtube": (YouTubeReplier, YouTubeReplyConfig, _keys("access_token", "api_base")),
}


def dry_run(settings: Settings) -> bool:
    """Replies are recorded, not sent, unless TRIAGE_REPLY_MODE=live (the production default)."""
    mode = settings.reply_mode or ("live" if settings.env == "production" else "dry-run")
    return mode == "dry-run"


def channel_of(settings: Settings, source: str) -> str:
    """The channel slug behind a source ('generic' for one no longer configured)."""
    cfg = settings.sources.get(source)
    return cfg.channel if cfg else "generic"


def _config(settings: Settings, source: str) -> tuple[type[Replier], BaseModel]:
    cfg = settings.sources.get(source)
    if cfg is None:
        raise ReplyRejected(f"source {source!r} is not configured any more")
    if cfg.channel not in REPLIERS:
        raise ReplyRejected(f"{cfg.channel} sources cannot send replies (source {source!r})")
    cls, config_cls, derive = REPLIERS[cfg.channel]
    given = cfg.options.get(REPLY_OPTION) or {}
    values = {k: v for k, v in derive(cfg.options).items() if v is not None}
    try:
        return cls, config_cls.model_validate({**values, **dict(given)})
    except ValidationError as exc:
        missing = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        raise ReplyAuthError(f"source {source!r} needs reply settings: {missing}"
                             f" (options.{REPLY_OPTION} in TRIAGE_SOURCES)") from None


def cannot_reply(settings: Settings, source: str) -> str | None:
    """Why replies to `source` cannot go out now, or None; checked before a reply is queued."""
    if dry_run(settings):
        return None
    try:
        _config(settings, source)
    except (ReplyRejected, ReplyAuthError) as exc:
        return str(exc)
    return None


def build_replier(settings: Settings, source: str, *, http: httpx.Client,
                  clock: Callable[[], datetime]) -> Replier:
    """The replier for `source`: the dry-run outbox, or the channel's own, configured."""
    if dry_run(settings):
        return DryRunOutbox(channel_of(settings, source))
    cls, config = _config(settings, source)
    if cls is SmtpReplier:
        return SmtpReplier(config, clock=clock)
    return cls(config, http=http, clock=clock)  # type: ignore[call-arg]
