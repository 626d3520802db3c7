"""docker-compose.yml matches the settings: services, healthchecks, and only real TRIAGE_* options."""

from __future__ import annotations

from pathlib import Path

import yaml

from triage.config import Settings

ROOT = Path(__file__).resolve().parents[3]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_stack_has_every_service_with_a_healthcheck_where_others_wait_on_it():
    services = compose()["services"]
    assert {"redis", "postgres", "api", "worker", "prometheus"} <= set(services)
    for name in ("redis", "postgres", "api", "worker", "prometheus"):
        assert "healthcheck" in services[name], name
    assert "--appendonly" in services["redis"]["command"]


def test_every_triage_variable_in_compose_is_a_setting():
    fields = {f"TRIAGE_{name.upper()}" for name in Settings.model_fields}
    for name, svc in compose()["services"].items():
        for var in svc.get("environment", {}) or {}:
            if var.startswith("TRIAGE_"):
                assert var in fields, f"{name}: {var} is not a Settings field"


def test_secrets_are_required_not_defaulted():
    env = compose()["services"]["api"]["environment"]
    assert env["TRIAGE_ENV"] == "production"
    assert ":?" in env["TRIAGE_SECRET_KEY"] and ":?" in env["TRIAGE_SOURCES"]


def test_the_worker_scales_and_shares_redis_and_postgres_with_the_api():
    services = compose()["services"]
    api, worker = services["api"]["environment"], services["worker"]["environment"]
    assert api["TRIAGE_REDIS_URL"] == worker["TRIAGE_REDIS_URL"] and \
        api["TRIAGE_DATABASE_URL"] == worker["TRIAGE_DATABASE_URL"]
    assert "container_name" not in services["worker"] and "ports" not in services["worker"]
