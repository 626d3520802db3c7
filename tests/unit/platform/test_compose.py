"""docker-compose.yml matches the settings: services, restart policies, healthchecks, secrets as
files, per-instance metrics, and an image that can start as its non-root user."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from triage.config import Settings

ROOT = Path(__file__).resolve().parents[3]
LONG_RUNNING = ("redis", "postgres", "api", "worker", "tick", "prometheus", "grafana")
OURS = ("migrate", "api", "worker", "tick")


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_stack_has_every_service_with_a_restart_policy_and_a_healthcheck():
    services = compose()["services"]
    assert set(LONG_RUNNING) | {"migrate"} <= set(services)
    for name in LONG_RUNNING:
        assert "healthcheck" in services[name], name
        assert services[name].get("restart") in ("unless-stopped", "always"), name
    assert services["migrate"]["restart"] == "on-failure"
    assert "--appendonly" in services["redis"]["command"]


def test_prometheus_and_grafana_keep_their_data_in_volumes():
    c = compose()
    assert any(v.startswith("prometheus-data:") for v in c["services"]["prometheus"]["volumes"])
    assert any(v.startswith("grafana-data:") for v in c["services"]["grafana"]["volumes"])
    assert {"prometheus-data", "grafana-data", "pg-data", "redis-data"} <= set(c["volumes"])


def test_every_triage_variable_in_compose_is_a_setting_or_its_file_form():
    fields = {f"TRIAGE_{name.upper()}" for name in Settings.model_fields}
    for name, svc in compose()["services"].items():
        for var in svc.get("environment", {}) or {}:
            if var.startswith("TRIAGE_"):
                assert var.removesuffix("_FILE") in fields, f"{name}: {var} is not a Settings field"


def test_secrets_come_from_files_never_from_the_environment():
    c = compose()
    for name in OURS:
        env = c["services"][name]["environment"]
        assert env["TRIAGE_ENV"] == "production"
        for var in ("TRIAGE_SECRET_KEY", "TRIAGE_SOURCES", "TRIAGE_DATABASE_URL", "TRIAGE_METRICS_TOKEN"):
            assert var not in env, f"{name}: {var} as plain environment"
            secret = env[f"{var}_FILE"].removeprefix("/run/secrets/")
            assert secret in c["services"][name]["secrets"] and secret in c["secrets"]
    assert "POSTGRES_PASSWORD" not in c["services"]["postgres"]["environment"]


def test_every_secret_file_is_written_by_make_secrets():
    script = (ROOT / "deploy" / "make-secrets.sh").read_text()
    for secret in compose()["secrets"].values():
        assert Path(secret["file"]).name in script, secret


def test_each_process_is_scraped_on_its_own_and_team_gauges_come_from_one():
    c = compose()["services"]
    assert c["api"]["environment"]["TRIAGE_LIVE_METRICS"] == "false"
    assert "TRIAGE_LIVE_METRICS" not in c["tick"]["environment"]  # the default: true
    prom = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    jobs = {j["job_name"]: j for j in prom["scrape_configs"]}
    assert jobs["triage-worker"]["dns_sd_configs"][0]["names"] == ["worker"]
    worker_port = int(c["worker"]["environment"]["TRIAGE_METRICS_PORT"])
    assert jobs["triage-worker"]["dns_sd_configs"][0]["port"] == worker_port
    assert jobs["triage-tick"]["static_configs"][0]["targets"] == [
        f"tick:{c['tick']['environment']['TRIAGE_METRICS_PORT']}"]
    for job in jobs.values():  # every /metrics wants the token the processes read from the same secret
        assert job["authorization"]["credentials_file"] == "/run/secrets/metrics_token", job["job_name"]
    assert "metrics_token" in compose()["services"]["prometheus"]["secrets"]


def test_worker_and_tick_metrics_listen_beyond_loopback_only_with_the_token():
    c = compose()["services"]
    for name in ("worker", "tick"):
        env = c[name]["environment"]
        assert env["TRIAGE_METRICS_HOST"] == "0.0.0.0"
        assert env["TRIAGE_METRICS_TOKEN_FILE"] == "/run/secrets/metrics_token"
        port = env["TRIAGE_METRICS_PORT"]
        assert f"127.0.0.1:{port}/livez" in " ".join(c[name]["healthcheck"]["test"])  # no token needed
    assert Settings.model_fields["metrics_host"].default == "127.0.0.1"


def test_the_worker_scales_and_shares_redis_and_postgres_with_the_api():
    services = compose()["services"]
    api, worker = services["api"]["environment"], services["worker"]["environment"]
    assert api["TRIAGE_REDIS_URL"] == worker["TRIAGE_REDIS_URL"] and \
        api["TRIAGE_DATABASE_URL_FILE"] == worker["TRIAGE_DATABASE_URL_FILE"]
    assert "container_name" not in services["worker"] and "ports" not in services["worker"]


def test_the_image_runs_as_a_non_root_user_who_owns_the_dirs_compose_points_at():
    dockerfile = (ROOT / "Dockerfile").read_text()
    env = compose()["services"]["api"]["environment"]
    users = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert users and all(u not in ("root", "0") for u in users)
    chown = next(line for line in dockerfile.splitlines() if "chown" in line)
    for var in ("TRIAGE_DATA_DIR", "PROMETHEUS_MULTIPROC_DIR"):
        assert env[var] in chown, f"{env[var]} is not created and owned by the image's user"


def test_the_images_install_from_the_lock_files_and_the_api_image_carries_no_torch():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "requirements/api.lock" in dockerfile and "requirements/worker.lock" in dockerfile
    api_lock = (ROOT / "requirements" / "api.lock").read_text()
    assert "\ntorch==" not in api_lock and "\nortools==" not in api_lock
    assert "\nnumpy==" in api_lock and "\nstructlog==" in api_lock and "\npyyaml==" in api_lock
    worker_lock = (ROOT / "requirements" / "worker.lock").read_text()
    assert "\ntorch==2.13.0+cpu" in worker_lock and "nvidia" not in worker_lock


def test_every_pip_install_in_the_image_is_a_lock_file_or_the_project_without_its_dependencies():
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    dockerfile = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    installs = [line for line in dockerfile.splitlines() if re.match(r"RUN .*pip install", line)]
    assert len(installs) == 4  # each image: its lock file, then the project itself
    for line in installs:
        locked = re.search(r"-r requirements/(api|worker)\.lock\b", line)
        assert locked or "--no-deps" in line, f"installs outside the locks: {line}"
    worker = dockerfile.split("AS worker", 1)[1]
    assert "download.pytorch.org/whl/cpu" in worker and "requirements/worker.lock" in worker
    assert "worker.lock" not in dockerfile.split("AS worker", 1)[0]  # the api image has no torch
