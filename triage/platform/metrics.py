"""Every Prometheus metric, defined once; workers and API share them via multiprocess mode."""

from __future__ import annotations

import hmac
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

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

# prometheus-client opens its per-process files in PROMETHEUS_MULTIPROC_DIR as the first metric
# without labels is defined below: a container whose directory does not exist yet (a fresh tmpfs,
# a new volume) would die here with FileNotFoundError, so make it first.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)

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
# "task", not "job": Prometheus reserves `job` for the scrape job and would rename ours exported_job.
JOB_SECONDS = Histogram("triage_job_duration_seconds", "RQ job run time", ["task"],
                        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
JOB_FAILURES = Counter("triage_job_failures_total", "Job runs that raised", ["task"])
HTTP_SECONDS = Histogram("triage_http_request_duration_seconds", "API request time",
                         ["method", "route", "status"])
SPIKE_ALERTS = Counter("triage_spike_alerts_total",
                       "Volume spikes detected on a topic (an incident far above its recent baseline)")
SPIKES_ACTIVE = Gauge("triage_topic_spikes", "Topics spiking right now, as the last tick saw them",
                      multiprocess_mode="livemax")
SCORER_IN_USE = Gauge("triage_scorer_model_loaded", "1 when the learned model scores, 0 on rules",
                      multiprocess_mode="livemax")

# Scheduling. Counters count what a routing pass applied (guarded writes that won), in the worker
# that ran it. Per-person hours, pages and load, the limits, waits by reason and open gaps are
# facts about the team: the live gauges below, read at scrape time by the one process serving them.
ROUTE_ASSIGNMENTS = Counter("triage_route_assignments_total", "Items the router assigned, by reason kind",
                            ["kind"])  # relationship, batch, freshest_fit
ROUTE_PAGES = Counter("triage_route_pages_total", "On-call pages sent for critical items outside shifts")
ROUTE_RELEASES = Counter("triage_route_releases_total", "Items handed back to the pool, by reason",
                         ["reason"])  # shift_end, untouched
ROUTE_SECONDS = Histogram("triage_route_pass_duration_seconds", "One routing pass, by phase",
                          ["phase"],  # read, decide, apply, total
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
CLAIMS_REFUSED = Counter("triage_claims_refused_total", "Manual claims refused, by rule",
                         ["reason"])  # held, off_shift, due_break, capacity, day_hours, week_hours
LIMIT_OVERRIDES = Counter("triage_claim_limit_overrides_total",
                          "Claims a lead made past a limit with an audited reason", ["reason"])
BREAKS_TAKEN = Counter("triage_breaks_taken_total", "Breaks started with the 'take a break' button")
ROSTER_PUBLISHED = Counter("triage_roster_shifts_published_total", "Shift rows written by roster publishing")
POLLS = Counter("triage_polls_total", "Source polls by outcome (ok, backlog, rate_limited, "
                "transient, auth_expired, error)", ["source", "outcome"])
POLL_ERRORS = Counter("triage_poll_errors_total", "Failed source polls by kind", ["source", "kind"])
ENTRIES_SKIPPED = Counter("triage_entries_skipped_total",
                          "Unreadable entries of a poll or webhook delivery, each quarantined on its "
                          "own while the rest went in, by error kind (a fixed set)",
                          ["source", "kind"])
QUARANTINED = Counter("triage_messages_quarantined_total",
                      "Messages set aside with their reason instead of blocking the rest", ["stage"])
TICK_ERRORS = Counter("triage_tick_errors_total", "Periodic duties that raised (logged, retried)",
                      ["duty"])
REPLIES = Counter("triage_replies_total", "Reply send attempts by channel and outcome (sent, dry_run,"
                  " retry, dead, auth_error, rejected)", ["channel", "outcome"])
REPLY_FAILURES = Counter("triage_outbox_failures_total",
                         "Reply sends that failed (retry, dead, auth_error, rejected)",
                         ["channel", "outcome"])

# Operations (issue 14). Ingest-to-scored is measured from received_at, so it includes the Redis
# buffer and queue waits a person feels, not just the scoring call.
INGEST_TO_SCORED = Histogram("triage_ingest_to_scored_seconds",
                             "From a message's arrival to its score being written",
                             buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600))
# Timestamps, not counters: `time() - heartbeat` is the age an alert compares, and a dead process
# simply stops moving it. "max" keeps the newest beat across a process's forks.
WORKER_HEARTBEAT = Gauge("triage_worker_heartbeat_timestamp_seconds",
                         "Unix time this worker last finished a job or an idle wait",
                         multiprocess_mode="max")
TICK_HEARTBEAT = Gauge("triage_tick_heartbeat_timestamp_seconds",
                       "Unix time the periodic duties (triage tick) last completed a round",
                       multiprocess_mode="max")
BUILD_INFO = Gauge("triage_build_info", "Always 1; the labels say which build runs",
                   ["version", "python"], multiprocess_mode="max")


def announce_build() -> None:
    """Set triage_build_info{version, python} to 1 in this process."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    try:
        ours = version("triage")
    except PackageNotFoundError:  # a checkout run without `pip install -e`
        ours = "unknown"
    BUILD_INFO.labels(version=ours, python=platform.python_version()).set(1)


def registry() -> CollectorRegistry:
    """This process's metrics, aggregated over its forks when multiprocess mode is on."""
    from prometheus_client import REGISTRY

    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    base = CollectorRegistry()
    MultiProcessCollector(base)
    return base


def serve(port: int, *, host: str = "127.0.0.1", token: str | None = None,
          live: LiveCollector | None = None) -> None:
    """Serve /metrics on host:port from a background thread (workers and the tick, one per instance).

    With a token every path but /livez answers 401 unless sent `Authorization: Bearer <token>`:
    Prometheus reads the same secret file (credentials_file). /livez says only "ok", for the
    container healthcheck.
    """
    from prometheus_client import make_wsgi_app

    reg = registry()
    if live is not None:
        reg = _Combined(reg, live)
    server = make_server(host, port, _guarded(make_wsgi_app(reg), token),
                         server_class=_ThreadingServer, handler_class=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()


def _guarded(app, token: str | None):
    expected = f"Bearer {token}".encode() if token else None

    def guarded(environ, start_response):
        if environ.get("PATH_INFO") == "/livez":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        sent = environ.get("HTTP_AUTHORIZATION", "").encode()
        if expected is not None and not hmac.compare_digest(sent, expected):
            start_response("401 Unauthorized", [("Content-Type", "text/plain"),
                                                 ("WWW-Authenticate", "Bearer")])
            return [b"a bearer token is required (TRIAGE_METRICS_TOKEN)\n"]
        return app(environ, start_response)

    return guarded


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True  # a slow scraper never keeps the process from exiting


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - one line per scrape is noise, not news
        pass


class _Combined:
    """A registry-like view: a process's own metrics followed by the live numbers."""

    def __init__(self, base, live: LiveCollector):
        self.base, self.live = base, live

    def collect(self):
        yield from self.base.collect()
        yield from self.live.collect()


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
        for key, (name, doc, labels) in LIVE_SPECS.items():
            names = (labels,) if isinstance(labels, str) else labels
            family = GaugeMetricFamily(name, doc, labels=list(names))
            for key_values, value in values.get(key, {}).items():
                parts = key_values if isinstance(key_values, tuple) else (key_values,)
                family.add_metric([str(v) for v in parts[:len(names)]], float(value))
            yield family


# Read at scrape time: key in the reader's dict -> (metric name, help, its label or labels). The
# reader's values are keyed by the label value (a tuple for several labels, "" for none).
LIVE_SPECS = {
    "buffer_depth": ("triage_ingest_buffer_messages",
                     "Messages accepted by a webhook or poller, not yet in the database", "kind"),
    "queue_depth": ("triage_queue_depth", "RQ jobs waiting per stage (messages: the buffer gauge)",
                    "stage"),
    "failed_jobs": ("triage_failed_jobs", "Jobs in the failed registry per stage", "stage"),
    "backlog": ("triage_inbox_backlog", "Active inbox items per urgency", "urgency"),
    "quarantine": ("triage_quarantined_messages", "Messages kept aside for replay", "kind"),
    "sources": ("triage_sources", "Polled sources per status", "status"),
    "outbox": ("triage_outbox_depth", "Replies in the outbox per status", "status"),
    "ingest_health": ("triage_ingest_health", "Oldest buffered message age (s), stalled (1/0),"
                      " seconds since the tick's heartbeat (-1: none yet)", "what"),
    "oldest_wait": ("triage_inbox_oldest_waiting_seconds",
                    "Age of the oldest active item per urgency (0 when none waits)", "urgency"),
    "sla_at_risk": ("triage_inbox_sla_at_risk_items",
                    "Active items due within the at-risk window, not yet late, per urgency",
                    "urgency"),
    "sla_breached": ("triage_inbox_sla_breached_items",
                     "Active items past their answer deadline per urgency", "urgency"),
    "workers": ("triage_workers_alive", "RQ workers registered in Redis", "state"),
    "coverage_gap": ("triage_coverage_gap_ahead_seconds",
                     "Business-hours seconds ahead when an item in this language (any: none needed)"
                     " would find nobody on a regular shift or on call with it", ("within", "language")),
    "on_shift": ("triage_staff_on_shift", "People on a shift right now", "kind"),
    "source_auth_expired": ("triage_source_auth_expired",
                            "1 while a polled source's credentials are expired (it stopped polling)",
                            "source"),
    # The team, per person (active staff ids: bounded by the roster, never names) and as a whole.
    "hours_week": ("triage_staff_hours_week", "Handling hours this week per staff member", "staff_id"),
    "hours_today": ("triage_staff_hours_today", "Handling hours today per staff member", "staff_id"),
    "pages_week": ("triage_staff_pages_week", "On-call pages this week per staff member", "staff_id"),
    "open_effort": ("triage_staff_open_effort",
                    "Effort of the open items each staff member holds (capacity: the open_effort limit)",
                    "staff_id"),
    "limits": ("triage_staff_limit", "The hard limit in force: hours, pages (weekly_pages) or effort"
               " (open_effort)", "limit"),
    "near_limit": ("triage_staff_near_limit",
                   "People at or above warn_fraction of a limit (daily hours, weekly hours, pages)", "limit"),
    "route_waiting": ("triage_route_waiting_items", "Items waiting after the last routing pass, by reason"
                      " kind", "kind"),
    "gaps_open": ("triage_coverage_gaps_open", "Coverage gaps no lead has marked seen", ()),
}


def render(live: LiveCollector | None = None) -> tuple[bytes, str]:
    """The /metrics body: every process's counters plus the live numbers."""
    body = generate_latest(registry())
    if live is not None:
        extra = CollectorRegistry(auto_describe=False)
        extra.register(live)
        body += generate_latest(extra)
    return body, CONTENT_TYPE_LATEST
