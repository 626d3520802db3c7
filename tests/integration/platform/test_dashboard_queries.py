"""Every dashboard panel's PromQL, run against a real Prometheus (Debian's binary) scraping the
compose services running as processes with traffic flowing. A query Prometheus rejects fails, and
so does one that returns nothing although the demo stack must produce its series. A PNG per
dashboard is drawn from the same results (TRIAGE_WRITE_PREVIEWS=1 writes them to
deploy/grafana/previews/ for review)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.helpers import message
from tests.integration.platform.compose_stack import (
    METRICS_TOKEN,
    ROOT,
    free_port,
    post_signed,
    started,
)
from tests.integration.platform.compose_stack import pg_database as _pg_database
from tests.unit.platform.test_dashboards import load_build

PROMETHEUS = shutil.which("prometheus")
PREVIEWS = ROOT / "deploy" / "grafana" / "previews"
# Series that exist only after an event the demo does not cause (a refused delivery, a poll, a
# reply, staff on shift, a storm...): their panels may be empty here; every other query must not.
EVENT_ONLY = ("triage_webhook_rejected_total", "triage_messages_duplicate_total", "triage_polls_total",
              "triage_scorer_fallback_total", "triage_replies_total", "triage_outbox_failures_total",
              "triage_route_assignments_total", "triage_claims_refused_total", "triage_spike_alerts_total",
              "triage_sources", "triage_outbox_depth", "triage_http_request_duration_seconds_count",
              "triage_route_pages_total", "triage_topic_spikes", "triage_source_auth_expired")


@pytest.fixture
def pg_database(postgres_reason):
    yield from _pg_database(postgres_reason)


class Prometheus:
    """Debian's prometheus scraping the local stack every second, like compose's but faster."""

    def __init__(self, tmp: Path, stack):
        self.dir, self.port = tmp / "prometheus", free_port()
        self.dir.mkdir()
        (self.dir / "token").write_text(METRICS_TOKEN)
        auth = {"type": "Bearer", "credentials_file": str(self.dir / "token")}  # as deploy/'s config
        config = {
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [
                {"job_name": f"triage-{name}", "authorization": auth,
                 "static_configs": [{"targets": [f"127.0.0.1:{stack.ports[port]}"]}]}
                for name, port in (("api", "8000"), ("worker", "9100"), ("tick", "9101"))]}
        (self.dir / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
        log = (self.dir / "log").open("w")
        self.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={self.dir / 'prometheus.yml'}",
             f"--storage.tsdb.path={self.dir / 'data'}", f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=log, stderr=subprocess.STDOUT)

    def api(self, path: str, **params: str) -> dict:
        url = f"http://127.0.0.1:{self.port}/api/v1/{path}?{urllib.parse.urlencode(params)}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:  # 400 for a bad query: its body says why
            return json.load(exc)

    def wait_ready(self) -> None:
        end = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2)
                return
            except OSError:
                assert self.proc.poll() is None and time.monotonic() < end, (self.dir / "log").read_text()
                time.sleep(0.5)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


def render_previews(results: dict[str, list[tuple[str, list]]], out: Path) -> list[Path]:
    """One PNG per dashboard: each panel's series over the run, as Grafana would lay them out."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written = []
    out.mkdir(parents=True, exist_ok=True)
    for uid, panels in results.items():
        rows = (len(panels) + 1) // 2
        fig, axes = plt.subplots(rows, 2, figsize=(14, 3.2 * rows), squeeze=False)
        for ax, (title, series) in zip(axes.flat, panels, strict=False):
            ax.set_title(title, fontsize=9)
            for legend, values in series:
                if values:
                    start = values[0][0]
                    ax.plot([t - start for t, _ in values], [v for _, v in values], label=legend[:40])
            if series:
                ax.legend(fontsize=6, loc="upper left")
            else:
                ax.text(0.5, 0.5, "no data (event not in the demo)", ha="center", va="center",
                        transform=ax.transAxes, fontsize=8, color="grey")
            ax.set_xlabel("seconds", fontsize=7)
            ax.tick_params(labelsize=7)
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        fig.suptitle(uid)
        fig.tight_layout()
        path = out / f"{uid}.png"
        fig.savefig(path, dpi=70)
        plt.close(fig)
        written.append(path)
    return written


@pytest.mark.ml
@pytest.mark.skipif(PROMETHEUS is None,
                    reason="prometheus not installed (Debian package prometheus; make test installs it)")
@pytest.mark.usefixtures("redis_conn")
def test_every_dashboard_query_runs_on_a_real_prometheus_and_the_expected_ones_have_data(
        tmp_path, redis_server, pg_database):
    build = load_build()
    stack = started(tmp_path, redis_server.url, pg_database)
    prom = Prometheus(tmp_path, stack)
    try:
        # One person on shift now, so routing passes run and the team panels have someone to show.
        now = datetime.now(UTC)
        stack.cli("users", "add", "ana", "--role", "agent", "--password", "ana-password-123")
        stack.cli("staff", "add", "Ana", "--login", "ana")
        stack.cli("shifts", "add", "1", (now - timedelta(hours=1)).isoformat(),
                  (now + timedelta(hours=1)).isoformat())  # ends within 2 h: a coverage gap ahead
        prom.wait_ready()
        began = time.time()
        for i in range(12):  # traffic over ~12 s (scrapes every 1 s), so rates and histograms move
            post_signed(stack.ports["8000"], message(f"q-{i}", "urgent: my account was hacked!" if i % 5 == 0
                                                     else "thanks for the quick help"))
            stack.get("8000", "/readyz")
            time.sleep(1)
        deadline = time.time() + 30  # until the last job's counters have been scraped
        while True:
            problems, results = _query_all(build, prom, began)
            if not problems or time.time() > deadline:
                break
            time.sleep(1)
        assert problems == []
        out = PREVIEWS if os.environ.get("TRIAGE_WRITE_PREVIEWS") else tmp_path / "previews"
        assert len(render_previews(results, out)) == len(build.DASHBOARDS)
    finally:
        prom.stop()
        stack.stop()


def _query_all(build, prom: Prometheus, began: float) -> tuple[list[str], dict]:
    """Every panel's queries, instant (must succeed, and have data unless event-only) and ranged."""
    problems, results = [], {}
    for uid, _, panels in build.DASHBOARDS:
        results[uid] = []
        for title, _, queries in panels:
            drawn = []
            for legend, expr in queries:
                instant = prom.api("query", query=expr)
                if instant.get("status") != "success":
                    problems.append(f"{uid} / {title}: {expr}: {instant.get('error')}")
                    continue
                if not instant["data"]["result"] and not any(m in expr for m in EVENT_ONLY):
                    problems.append(f"{uid} / {title}: no data for {expr}")
                ranged = prom.api("query_range", query=expr, start=str(began), end=str(time.time()),
                                  step="2")
                for s in ranged.get("data", {}).get("result", []):
                    label = legend.replace("{{", "{").replace("}}", "}").format_map(_Missing(s["metric"]))
                    drawn.append((label, [(float(t), float(v)) for t, v in s["values"]]))
            results[uid].append((title, drawn))
    return problems, results


class _Missing(dict):
    """Legend templates name labels a series may lack: show them empty, as Grafana does."""

    def __missing__(self, key: str) -> str:
        return ""
