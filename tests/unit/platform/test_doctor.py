"""`triage doctor` finds what is wrong and says how to fix it, starting and changing nothing."""

from __future__ import annotations

from triage.cli.doctor import check_config, check_database, check_model, check_sources, diagnose
from triage.config import Settings, SourceSettings
from triage.platform.db import migrate

REAL_KEY = "a-real-secret-" + "z" * 30


def by_check(findings):
    return {f.check: f for f in findings}


def test_a_configuration_that_does_not_load_is_reported_with_the_reason():
    found = diagnose(lambda: Settings(env="production", secret_key="short", sources={}))
    assert len(found) == 1 and found[0].level == "fail"
    assert "TRIAGE_SECRET_KEY has 5 characters" in found[0].detail


def test_production_without_redis_or_database_urls_is_a_failure_to_fix():
    _, found = check_config(lambda: Settings(env="production", secret_key=REAL_KEY, sources={}))
    fails = [f.detail for f in found if f.level == "fail"]
    assert any("TRIAGE_REDIS_URL" in d for d in fails) and any("TRIAGE_DATABASE_URL" in d for d in fails)


def test_an_unmigrated_database_says_run_triage_migrate_and_a_migrated_one_is_ok(tmp_path):
    settings = Settings(env="development", data_dir=tmp_path)
    before = by_check(check_database(settings))
    assert before["database"].level == "ok"
    assert before["migrations"].level == "fail" and before["migrations"].fix == "run `triage migrate`"
    migrate(settings.sqlalchemy_url)
    assert by_check(check_database(settings))["migrations"].level == "ok"


def test_an_unreachable_database_is_a_failure_without_the_password(tmp_path):
    settings = Settings(env="development", data_dir=tmp_path,
                        database_url="postgresql://u:hunter2-secret@127.0.0.1:1/none")
    found = list(check_database(settings))
    assert found[0].level == "fail" and "hunter2" not in found[0].detail + found[0].fix


def test_a_missing_model_is_a_warning_on_auto_and_a_failure_when_the_model_is_required(tmp_path):
    assert check_model(Settings(data_dir=tmp_path, model_dir=tmp_path, scorer="auto")).level == "warn"
    assert check_model(Settings(data_dir=tmp_path, model_dir=tmp_path, scorer="model")).level == "fail"
    assert check_model(Settings(data_dir=tmp_path, scorer="rules")).level == "ok"


def test_a_source_missing_its_credentials_or_channel_is_named(tmp_path):
    settings = Settings(env="development", data_dir=tmp_path, sources={
        "blog": SourceSettings(channel="rss", options={}),  # no feed url
        "odd": SourceSettings(channel="carrier-pigeon"),
        "shop": SourceSettings(channel="generic", secret="a-long-enough-secret-123")})
    found = by_check(check_sources(settings, None))
    assert found["source blog"].level == "fail" and "url" in found["source blog"].detail
    assert found["source odd"].level == "fail" and "unknown channel" in found["source odd"].detail
    assert found["source shop"].level == "ok"


def test_a_redis_that_answers_before_its_aof_is_on_disk_is_a_warning(tmp_path):
    from triage.cli.doctor import check_redis
    from triage.platform.redis_server import EmbeddedRedis

    for policy, level in (("everysec", "warn"), ("always", "ok")):
        server = EmbeddedRedis(tmp_path / policy, appendfsync=policy).start()
        try:
            _, finding = check_redis(Settings(env="development", data_dir=tmp_path, redis_url=server.url))
        finally:
            server.stop()
        assert finding.level == level, finding
        assert f"appendfsync {policy}" in finding.detail
