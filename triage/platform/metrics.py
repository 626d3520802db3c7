"""Every Prometheus metric, defined once; workers and API share them via multiprocess mode."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector

INGESTED = Counter("triage_messages_ingested_total", "Messages accepted into the pipeline", ["source"])
DUPLICATES = Counter("triage_messages_duplicate_total", "Re-deliveries recognised and skipped", ["source"])
REJECTED = Counter("triage_webhook_rejected_total", "Deliveries refused", ["source", "reason"])
IGNORED = Counter("triage_webhook_ignored_events_total", "Platform events acknowledged, not used",
                  ["source"])
STORED = Counter("triage_messages_stored_total", "Messages written to the database", ["source"])
SCORED = Counter("triage_messages_scored_total", "Messages scored", ["urgency", "model"])
SCORER_FALLBACK = Counter("triage_scorer_fallback_total",
                          "Times the learned model could not be used and the rule scorer took over",
                          ["reason"])
JOB_SECONDS = Histogram("triage_job_duration_seconds", "RQ job run time", ["job"],
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
JOB_FAILURES = Counter("triage_job_failures_total", "Job runs that raised", ["job"])
HTTP_SECONDS = Histogram("triage_http_request_duration_seconds", "API request time",
                         ["method", "route", "status"])
SPIKE_ALERTS = Counter("triage_spike_alerts_total",
                       "Volume spikes detected on a topic (an incident far above its recent baseline)")
SPIKES_ACTIVE = Gauge("triage_topic_spikes", "Topics spiking right now, as the last tick saw them",
                      multiprocess_mode="livemax")
SCORER_IN_USE = Gauge("triage_scorer_model_loaded", "1 when the learned model scores, 0 on rules",
                      multiprocess_mode="livemax")

# Scheduling. Counters count what a routing pass applied (guarded writes that won). The gauges are
# set by each pass (at least every 30 s from the tick) in whichever forked job ran it: "mostrecent"
# keeps the newest value across processes, and a pass sets every label it knows, zeros included.
ROUTE_ASSIGNMENTS = Counter("triage_route_assignments_total", "Items the router assigned, by reason kind",
                            ["kind"])  # relationship, batch, freshest_fit
ROUTE_PAGES = Counter("triage_route_pages_total", "On-call pages sent for critical items outside shifts")
ROUTE_RELEASES = Counter("triage_route_releases_total", "Items handed back to the pool, by reason",
                         ["reason"])  # shift_end, untouched
ROUTE_SECONDS = Histogram("triage_route_pass_duration_seconds", "One routing pass, by phase",
                          ["phase"],  # read, decide, apply, total
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
ROUTE_WAITING = Gauge("triage_route_waiting_items", "Items waiting after the last pass, by reason kind",
                      ["kind"], multiprocess_mode="mostrecent")
COVERAGE_GAPS_OPEN = Gauge("triage_coverage_gaps_open", "Coverage gaps no lead has marked seen",
                           multiprocess_mode="mostrecent")
STAFF_NEAR_LIMIT = Gauge("triage_staff_near_limit",
                         "People at or above warn_fraction of a limit (daily hours, weekly hours, pages)",
                         ["limit"], multiprocess_mode="mostrecent")
# A gauge per person, not a histogram: one series per active staff member (a team, tens to a few
# hundred) is cheap, and a lead needs to see *who* is near the weekly limit, which buckets hide.
STAFF_HOURS_WEEK = Gauge("triage_staff_hours_week", "Handling hours this week per staff member",
                         ["staff_id"], multiprocess_mode="mostrecent")
CLAIMS_REFUSED = Counter("triage_claims_refused_total", "Manual claims refused, by rule",
                         ["reason"])  # held, off_shift, due_break, capacity, day_hours, week_hours
LIMIT_OVERRIDES = Counter("triage_claim_limit_overrides_total",
                          "Claims a lead made past a limit with an audited reason", ["reason"])
BREAKS_TAKEN = Counter("triage_breaks_taken_total", "Breaks started with the 'take a break' button")
ROSTER_PUBLISHED = Counter("triage_roster_shifts_published_total", "Shift rows written by roster publishing")
POLLS = Counter("triage_polls_total", "Source polls by outcome (ok, backlog, rate_limited, "
                "transient, auth_expired, error)", ["source", "outcome"])
POLL_ERRORS = Counter("triage_poll_errors_total", "Failed source polls by kind", ["source", "kind"])
QUARANTINED = Counter("triage_messages_quarantined_total",
                      "Messages set aside with their reason instead of blocking the rest", ["stage"])
TICK_ERRORS = Counter("triage_tick_errors_total", "Periodic duties that raised (logged, retried)",
                      ["duty"])
TICK_HEARTBEAT = Gauge("triage_tick_heartbeat_timestamp_seconds",
                       "When the periodic duties last completed (unix time)", multiprocess_mode="max")
REPLIES = Counter("triage_replies_total", "Reply send attempts by channel and outcome (sent, dry_run,"
                  " retry, dead, auth_error, rejected)", ["channel", "outcome"])


def prepare_multiprocess_dir(path: Path) -> None:
    """Wipe and set the shared metrics dir; call before any process that counts is started."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path.resolve())


class LiveCollector:
    """Numbers best read at scrape time from Redis and the database, not counted in processes."""

    def __init__(self, read: Callable[[], dict[str, dict[str, float]]]):
        self.read = read

    def collect(self):
        values = self.read()
        specs = {
            "queue_depth": ("triage_queue_depth", "Jobs or messages waiting per stage", "stage"),
            "failed_jobs": ("triage_failed_jobs", "Jobs in the failed registry per stage", "stage"),
            "backlog": ("triage_inbox_backlog", "Active inbox items per urgency", "urgency"),
            "quarantine": ("triage_quarantined_messages", "Messages kept aside for replay", "kind"),
            "sources": ("triage_sources", "Polled sources per status", "status"),
            "outbox": ("triage_outbox_depth", "Replies in the outbox per status", "status"),
            "ingest_health": ("triage_ingest_health", "Oldest buffered message age (s), stalled (1/0),"
                              " seconds since the tick's heartbeat", "what"),
        }
        for key, (name, doc, label) in specs.items():
            family = GaugeMetricFamily(name, doc, labels=[label])
            for lbl, value in values.get(key, {}).items():
                family.add_metric([str(lbl)], float(value))
            yield family


def render(live: LiveCollector | None = None) -> tuple[bytes, str]:
    """The /metrics body: every process's counters plus the live numbers."""
    from prometheus_client import REGISTRY

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        base = CollectorRegistry()
        MultiProcessCollector(base)
    else:
        base = REGISTRY
    body = generate_latest(base)
    if live is not None:
        extra = CollectorRegistry(auto_describe=False)
        extra.register(live)
        body += generate_latest(extra)
    return body, CONTENT_TYPE_LATEST
