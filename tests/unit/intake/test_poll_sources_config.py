"""Polled sources in the settings: the demo's blog and mailbox in development only, and pollers
accepted without a webhook secret outside it."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from triage.config import DEMO_BLOG, DEMO_MAILBOX, Settings, SourceSettings

REAL_KEY = "a-real-secret-" + "z" * 30


def test_development_defaults_poll_a_demo_blog_and_mailbox_beside_the_api_port():
    sources = Settings(env="development", port=9000).sources
    assert sources[DEMO_BLOG].channel == "rss"
    assert sources[DEMO_BLOG].options["url"] == "http://127.0.0.1:9001/comments/feed/"
    assert sources[DEMO_MAILBOX].channel == "imap"
    assert (sources[DEMO_MAILBOX].options["host"], sources[DEMO_MAILBOX].options["port"]) == (
        "127.0.0.1", 9002)
    assert "demo-x" in sources  # the webhook demo sources stay


def test_the_demo_polled_sources_are_development_only():
    settings = Settings(env="test", secret_key=REAL_KEY, sources={})
    assert settings.sources == {}
    with pytest.raises(ValidationError) as refused:
        Settings(env="production", secret_key=REAL_KEY)
    assert DEMO_BLOG not in str(refused.value) and "demo-x" in str(refused.value)


def test_a_poller_needs_no_webhook_secret_outside_development():
    settings = Settings(env="production", secret_key=REAL_KEY, sources={
        "blog": SourceSettings(channel="rss", options={"url": "https://blog.example.com/feed/"})})
    assert settings.sources["blog"].secret is None


def test_a_webhook_source_without_a_secret_is_still_refused():
    with pytest.raises(ValidationError, match="source 'shop' has a placeholder or empty secret"):
        Settings(env="production", secret_key=REAL_KEY, sources={"shop": SourceSettings()})
