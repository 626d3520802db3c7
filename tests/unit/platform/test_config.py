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


REAL_KEY = "a-real-secret-" + "z" * 30
SOURCES = {"shop": SourceSettings(channel="generic", secret="s3cr3t-value-long")}


def test_a_short_secret_key_is_refused_in_production():
    with pytest.raises(ValidationError, match="TRIAGE_SECRET_KEY has 5 characters, needs 32"):
        Settings(env="production", secret_key="short", sources=SOURCES)


def test_secrets_are_read_from_the_files_their_FILE_variables_name(monkeypatch, tmp_path):
    (tmp_path / "key").write_text(REAL_KEY + "\n")  # the trailing newline editors add is dropped
    (tmp_path / "sources.json").write_text('{"shop": {"channel": "generic", "secret": "from-a-file-123"}}')
    (tmp_path / "db").write_text("postgresql://triage:pw@db:5432/triage")
    monkeypatch.setenv("TRIAGE_ENV", "production")
    monkeypatch.setenv("TRIAGE_SECRET_KEY_FILE", str(tmp_path / "key"))
    monkeypatch.setenv("TRIAGE_SOURCES_FILE", str(tmp_path / "sources.json"))
    monkeypatch.setenv("TRIAGE_DATABASE_URL_FILE", str(tmp_path / "db"))
    s = Settings()
    assert s.secret_key.get_secret_value() == REAL_KEY
    assert s.sources["shop"].secret.get_secret_value() == "from-a-file-123"
    assert s.database_url == "postgresql://triage:pw@db:5432/triage"


def test_an_unreadable_secret_file_stops_the_start_naming_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("TRIAGE_SECRET_KEY_FILE", str(tmp_path / "missing"))
    with pytest.raises(Exception, match="TRIAGE_SECRET_KEY_FILE=.*missing cannot be read"):
        Settings()


def test_production_names_the_embedded_redis_and_sqlite_it_refuses_unless_allowed():
    s = Settings(env="production", secret_key=REAL_KEY, sources=SOURCES)
    problems = " ".join(s.runtime_problems())
    assert "TRIAGE_REDIS_URL is not set" in problems and "TRIAGE_DATABASE_URL is not set" in problems
    allowed = Settings(env="production", secret_key=REAL_KEY, sources=SOURCES,
                       allow_embedded_redis=True, allow_sqlite=True)
    assert allowed.runtime_problems() == []
    assert Settings(env="development").runtime_problems() == []


def test_production_refuses_an_open_metrics_port_beyond_loopback_without_the_token():
    base = {"env": "production", "secret_key": REAL_KEY, "sources": SOURCES, "allow_embedded_redis": True,
            "allow_sqlite": True, "metrics_port": 9100}
    assert Settings(**base).runtime_problems() == []  # loopback (the default): only this machine
    assert Settings(**base, metrics_host="::1").runtime_problems() == []
    problems = Settings(**base, metrics_host="0.0.0.0").runtime_problems()
    assert problems and "TRIAGE_METRICS_PORT listens on 0.0.0.0 without TRIAGE_METRICS_TOKEN" in problems[0]
    assert Settings(**base, metrics_host="0.0.0.0", metrics_token="t" * 40).runtime_problems() == []


def test_building_production_services_without_redis_refuses_before_starting_one(tmp_path):
    from triage.bootstrap import build_services

    s = Settings(env="production", secret_key=REAL_KEY, sources=SOURCES, data_dir=tmp_path,
                 database_url=f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(RuntimeError, match="refusing to start in production: TRIAGE_REDIS_URL"):
        build_services(s)
    assert not (tmp_path / "redis").exists()  # no redis-server was started


def test_logs_are_json_in_production_and_console_in_development():
    assert Settings(env="production", secret_key=REAL_KEY, sources=SOURCES).json_logs
    assert not Settings(env="development").json_logs
    assert Settings(env="development", log_format="json").json_logs
