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
