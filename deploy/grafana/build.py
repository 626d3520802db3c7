"""The Grafana dashboards as code (grafanalib); `python deploy/grafana/build.py` rewrites dashboards/*.json.

Each dashboard is a list of panels, each panel a title, a unit and its PromQL queries. Counters are
summed across API, worker and tick processes. The team-wide gauges (inbox, queues, sources, and
each person's hours and load) come from one process, the tick, so they are read as they are;
`max` is left only where every process exports a gauge (heartbeats, the model in use).
The checked-in JSON must equal what this file builds (tests/unit/platform/test_dashboards.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from grafanalib._gen import DashboardEncoder
from grafanalib.core import Dashboard, GridPos, Target, Templating, Time, TimeSeries

OUT = Path(__file__).resolve().parent / "dashboards"
DATASOURCE = {"type": "prometheus", "uid": "prometheus"}  # provisioning/datasources/prometheus.yml

# (dashboard uid, title, [(panel title, unit, [(legend, PromQL)])])
DASHBOARDS = [
    ("triage-intake", "Triage / Intake", [
        ("Messages accepted per source", "reqps", [
            ("{{source}}", "sum by (source) (rate(triage_messages_ingested_total[5m]))")]),
        ("Deliveries refused per source and reason", "reqps", [
            ("{{source}} {{reason}}",
             "sum by (source, reason) (rate(triage_webhook_rejected_total[5m]))")]),
        ("Re-deliveries recognised", "reqps", [
            ("{{source}}", "sum by (source) (rate(triage_messages_duplicate_total[5m]))")]),
        ("Buffer and quarantine", "short", [
            ("waiting in Redis", "triage_ingest_buffer_messages"),
            ("quarantined", "triage_quarantined_messages")]),
        ("Polls per source and outcome", "reqps", [
            ("{{source}} {{outcome}}", "sum by (source, outcome) (rate(triage_polls_total[5m]))")]),
        ("Pollers by status", "short", [
            ("{{status}}", "triage_sources")]),
        ("Pollers whose credentials expired", "short", [
            ("{{source}}", "triage_source_auth_expired")]),
    ]),
    ("triage-pipeline", "Triage / Pipeline", [
        ("Jobs waiting per stage", "short", [
            ("{{stage}}", "triage_queue_depth")]),
        ("Failed jobs per stage", "short", [
            ("{{stage}}", "triage_failed_jobs")]),
        ("Job time p95", "s", [
            ("{{task}}", "histogram_quantile(0.95, sum by (le, task) "
                        "(rate(triage_job_duration_seconds_bucket[5m])))")]),
        ("Arrival to scored", "s", [
            ("p50", "histogram_quantile(0.5, sum by (le) (rate(triage_ingest_to_scored_seconds_bucket[5m])))"),
            ("p95", "histogram_quantile(0.95, sum by (le) (rate(triage_ingest_to_scored_seconds_bucket[5m])))")]),
        ("Scored per model", "reqps", [
            ("{{model}}", "sum by (model) (rate(triage_messages_scored_total[5m]))")]),
        ("Scorer fallbacks and model in use", "short", [
            ("fallbacks/s {{reason}}", "sum by (reason) (rate(triage_scorer_fallback_total[5m]))"),
            ("learned model loaded", "max(triage_scorer_model_loaded)")]),
        ("Workers and heartbeats", "short", [
            ("workers {{state}}", "triage_workers_alive"),
            # > 0: processes that never beat (the API, the tick) export the gauge at 0
            ("oldest worker beat (s)", "time() - min(triage_worker_heartbeat_timestamp_seconds > 0)"),
            ("tick beat (s)", "time() - max(triage_tick_heartbeat_timestamp_seconds)")]),
        ("API requests by status", "reqps", [
            ("{{status}}", "sum by (status) (rate(triage_http_request_duration_seconds_count[5m]))")]),
    ]),
    ("triage-inbox", "Triage / Inbox", [
        ("Backlog by urgency", "short", [
            ("{{urgency}}", "triage_inbox_backlog")]),
        ("Oldest waiting item by urgency", "s", [
            ("{{urgency}}", "triage_inbox_oldest_waiting_seconds")]),
        ("Answer deadlines: at risk and late", "short", [
            ("at risk {{urgency}}", "triage_inbox_sla_at_risk_items"),
            ("late {{urgency}}", "triage_inbox_sla_breached_items")]),
        ("Within SLA (share of active items not late)", "percentunit", [
            ("within SLA", "1 - sum(triage_inbox_sla_breached_items) / clamp_min(sum(triage_inbox_backlog), 1)")]),
        ("Storms", "short", [
            ("topics spiking", "max(triage_topic_spikes)"),
            ("spike alerts (1 h)", "sum(increase(triage_spike_alerts_total[1h]))")]),
    ]),
    ("triage-team", "Triage / Team", [
        ("On shift and coverage ahead", "short", [
            ("on shift", "triage_staff_on_shift"),
            ("uncovered minutes, next 2 h ({{language}})", "triage_coverage_gap_ahead_seconds{within=\"2h\"} / 60"),
            ("coverage gaps not yet seen", "triage_coverage_gaps_open")]),
        ("Load: items waiting by reason", "short", [
            ("{{kind}}", "triage_route_waiting_items")]),
        ("Assignments per reason", "short", [
            ("{{kind}}", "sum by (kind) (increase(triage_route_assignments_total[1h]))")]),
        ("Hours this week per person against the limit", "h", [
            ("{{staff_id}}", "triage_staff_hours_week"),
            ("weekly limit", "triage_staff_limit{limit=\"weekly_hours\"}")]),
        ("Hours today per person against the limit", "h", [
            ("{{staff_id}}", "triage_staff_hours_today"),
            ("daily limit", "triage_staff_limit{limit=\"daily_hours\"}")]),
        ("Open work per person against capacity (effort)", "short", [
            ("{{staff_id}}", "triage_staff_open_effort"),
            ("capacity", "triage_staff_limit{limit=\"open_effort\"}")]),
        ("People near a limit", "short", [
            ("{{limit}}", "triage_staff_near_limit")]),
        ("Pages", "short", [
            ("pages this week {{staff_id}}", "triage_staff_pages_week"),
            ("pages sent (24 h)", "sum(increase(triage_route_pages_total[1d]))")]),
        ("Claims refused by rule", "short", [
            ("{{reason}}", "sum by (reason) (increase(triage_claims_refused_total[1h]))")]),
    ]),
    ("triage-replies", "Triage / Replies", [
        ("Outbox by status", "short", [
            ("{{status}}", "triage_outbox_depth")]),
        ("Send attempts by channel and outcome", "reqps", [
            ("{{channel}} {{outcome}}", "sum by (channel, outcome) (rate(triage_replies_total[5m]))")]),
        ("Failures by channel (1 h)", "short", [
            ("{{channel}} {{outcome}}",
             "sum by (channel, outcome) (increase(triage_outbox_failures_total[1h]))")]),
    ]),
]

WIDTH, HEIGHT = 12, 8  # two panels a row


def panel(index: int, title: str, unit: str, queries: list[tuple[str, str]]) -> TimeSeries:
    """One time-series panel, placed in a two-column grid."""
    return TimeSeries(
        title=title, unit=unit, dataSource=DATASOURCE,
        targets=[Target(expr=expr, legendFormat=legend, refId=chr(ord("A") + i), datasource=DATASOURCE)
                 for i, (legend, expr) in enumerate(queries)],
        gridPos=GridPos(h=HEIGHT, w=WIDTH, x=(index % 2) * WIDTH, y=(index // 2) * HEIGHT))


def dashboard(uid: str, title: str, panels) -> Dashboard:
    """A dashboard with its panels and the last six hours in view."""
    return Dashboard(title=title, uid=uid, tags=["triage"], timezone="utc", refresh="30s",
                     time=Time("now-6h", "now"), templating=Templating(list=[]),
                     panels=[panel(i, *p) for i, p in enumerate(panels)]).auto_panel_ids()


def rendered() -> dict[str, str]:
    """File name -> JSON text for every dashboard, exactly as checked in."""
    return {f"{uid}.json": json.dumps(dashboard(uid, title, panels).to_json_data(), cls=DashboardEncoder,
                                      indent=2, sort_keys=True) + "\n"
            for uid, title, panels in DASHBOARDS}


def queries() -> list[tuple[str, str, str]]:
    """(dashboard uid, panel title, PromQL) for every query, for tests and previews."""
    return [(uid, title, expr) for uid, _, panels in DASHBOARDS
            for title, _, qs in panels for _, expr in qs]


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    for name, text in rendered().items():
        (OUT / name).write_text(text)
        print(f"wrote {OUT / name}", file=sys.stderr)
