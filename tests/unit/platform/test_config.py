"""Settings fail fast on placeholder secrets outside development."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from triage.config import Settings, SourceSettings


def test_development_runs_on_placeholders():
    assert Settings(env="development").secret_key.get_secret_value() == "change-me"


@pytest.mark.parametrize("env", ["test", "production"])
def test_placeholder_secret_key_is_refused_outside_development(env):
    with pytest.raises(ValidationError, match="TRIAGE_SECRET_KEY"):
        Settings(env=env, sources={})


def test_a_source_with_the_demo_secret_is_refused_in_production():
    with pytest.raises(ValidationError, match="source 'demo-x'"):
        Settings(env="production", secret_key="k" * 40)


def test_real_secrets_are_accepted_and_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("TRIAGE_ENV", "production")
    monkeypatch.setenv("TRIAGE_SECRET_KEY", "a-real-secret-" + "z" * 30)
    monkeypatch.setenv("TRIAGE_SOURCES", '{"shop": {"channel": "generic", "secret": "s3cr3t-value"}}')
    s = Settings()
    assert s.sources["shop"] == SourceSettings(channel="generic", secret="s3cr3t-value")
    assert "s3cr3t" not in repr(s)
