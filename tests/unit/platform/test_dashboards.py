"""Dashboards and alert rules name only metrics the code exports; the JSON is what build.py makes;
promtool accepts the rules and their unit tests pass."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.metrics import MetricWrapperBase

from triage.platform import metrics

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
NAME = re.compile(r"\btriage_[a-z0-9_]+\b")


def load_build():
    spec = importlib.util.spec_from_file_location("grafana_build", DEPLOY / "grafana" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def exported() -> set[str]:
    """Every series name the processes expose: defined metrics with their suffixes, and the live gauges."""
    names = {spec[0] for spec in metrics.LIVE_SPECS.values()}
    for value in vars(metrics).values():
        if isinstance(value, MetricWrapperBase):
            suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"],
                        "gauge": [""], "summary": ["_count", "_sum"]}[value._type]
            names |= {value._name + s for s in suffixes}
    return names


def rule_exprs() -> list[tuple[str, str]]:
    doc = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [(r["alert"], r["expr"]) for g in doc["groups"] for r in g["rules"]]


def test_the_checked_in_dashboards_are_what_build_py_makes():
    build = load_build()
    built = build.rendered()
    on_disk = {p.name: p.read_text() for p in (DEPLOY / "grafana" / "dashboards").glob("*.json")}
    assert set(built) == set(on_disk), "run: python deploy/grafana/build.py"
    for name, text in built.items():
        assert text == on_disk[name], f"{name} is stale: run python deploy/grafana/build.py"


def test_there_is_a_dashboard_for_each_audience():
    uids = {uid for uid, _, _ in load_build().DASHBOARDS}
    assert uids == {"triage-intake", "triage-pipeline", "triage-inbox", "triage-team", "triage-replies"}


def test_every_metric_a_dashboard_or_rule_names_is_exported_by_the_code():
    known = exported()
    used = [(f"dashboard {uid}: {title}", expr) for uid, title, expr in load_build().queries()]
    used += [(f"alert {name}", expr) for name, expr in rule_exprs()]
    unknown = [(where, n) for where, expr in used for n in NAME.findall(expr) if n not in known]
    assert unknown == []


def test_the_name_check_would_catch_a_typo():
    assert "triage_inbox_backlogg" not in exported() and "triage_inbox_backlog" in exported()


def test_every_alert_the_issue_asks_for_exists_with_a_runbook_in_the_readme():
    names = [name for name, _ in rule_exprs()]
    assert set(names) == {"IngestionStalled", "CriticalItemPastSLA", "NoWorkerAlive",
                          "TickHeartbeatStale", "PollerAuthExpired", "OutboxFailing",
                          "HighServerErrorRate", "PersonOverLimit", "CoverageGapNext2h"}
    readme = (ROOT / "README.md").read_text()
    for name in names:
        assert f"#### {name}" in readme, f"README Operations has no runbook for {name}"


def test_the_team_gauges_carry_no_label_value_with_a_space():
    from triage.scheduling.domain.rules import StaffingRules
    from triage.scheduling.hours import PersonHours
    from triage.scheduling.team_figures import near_limit_counts

    worn = PersonHours(7, "Ana Lopez", 8.9, 39.0, 0.0, 3, 10, 40.0, ())
    counts = near_limit_counts([worn], StaffingRules())
    live = metrics.LiveCollector(lambda: {"near_limit": counts, "hours_week": {"7": 39.0},
                                          "coverage_gap": {("2h", "any"): 0.0}})
    seen = set()
    for family in live.collect():
        for sample in family.samples:
            assert all(" " not in v for v in sample.labels.values()), sample
            seen |= set(sample.labels.values())
    assert {"daily_hours", "weekly_hours", "weekly_pages", "7", "any"} <= seen
    assert "Ana Lopez" not in seen and counts["weekly_hours"] == 1  # 39 of 40 h: near


PROMTOOL = shutil.which("promtool")


@pytest.mark.skipif(PROMTOOL is None,
                    reason="promtool not installed (Debian package prometheus; make test installs it)")
def test_promtool_accepts_the_rules_and_their_unit_tests_pass():
    check = subprocess.run([PROMTOOL, "check", "rules", "alerts.yml"], cwd=DEPLOY / "prometheus",
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    tests = subprocess.run([PROMTOOL, "test", "rules", "alerts.test.yml"], cwd=DEPLOY / "prometheus",
                           capture_output=True, text=True)
    assert tests.returncode == 0, tests.stdout + tests.stderr


@pytest.mark.skipif(PROMTOOL is None,
                    reason="promtool not installed (Debian package prometheus; make test installs it)")
def test_promtool_accepts_the_scrape_config(tmp_path):
    token = tmp_path / "metrics_token"
    token.write_text("t" * 40)
    config = (DEPLOY / "prometheus" / "prometheus.yml").read_text().replace(
        "/run/secrets/metrics_token", str(token))
    (tmp_path / "prometheus.yml").write_text(config)
    shutil.copy(DEPLOY / "prometheus" / "alerts.yml", tmp_path / "alerts.yml")
    check = subprocess.run([PROMTOOL, "check", "config", "prometheus.yml"], cwd=tmp_path,
                           capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr


def test_no_metric_uses_a_label_prometheus_sets_on_every_target():
    reserved = {"job", "instance"}  # a metric's own would be renamed exported_job, breaking queries
    clashes = {v._name: set(v._labelnames) & reserved for v in vars(metrics).values()
               if isinstance(v, MetricWrapperBase) and set(v._labelnames) & reserved}
    for name, _, labels in metrics.LIVE_SPECS.values():
        clash = {labels} & reserved if isinstance(labels, str) else set(labels) & reserved
        if clash:
            clashes[name] = clash
    assert clashes == {}
