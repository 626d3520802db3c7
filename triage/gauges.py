"""Team-wide gauges read at scrape time from Redis and the database (one process serves them).

Queue depths, backlog, the oldest wait, answer deadlines, the outbox, pollers, live workers, and
each person's hours and load are facts about the whole team, not about a process: served by
every replica they would be summed twice (or, set by whichever worker routed last, disagree), so
`live_metrics` names the one process that adds them (the tick in compose).
"""

from __future__ import annotations

from datetime import timedelta

from rq import Worker
from rq.registry import FailedJobRegistry

from triage.bootstrap import Services
from triage.config import AT_RISK_MINUTES
from triage.inbox.figures import waiting_figures
from triage.intake.source_status import poller_figures
from triage.periodic import ingest_health
from triage.platform.metrics import LiveCollector
from triage.platform.queue import STAGES, queue
from triage.replies.figures import outbox_depth
from triage.scheduling.coverage import on_shift_now, uncovered_seconds
from triage.scheduling.team_figures import team_figures

COVERAGE_HORIZON = timedelta(hours=2)  # what the coverage alert looks ahead: time to call someone in


def live_numbers(services: Services) -> dict[str, dict[str, float]]:
    """Every live gauge's values by label, read now."""
    depth: dict[str, float] = {}
    failed: dict[str, float] = {}
    for name in STAGES:
        q = queue(services.redis, name)
        depth[name] = q.count
        failed[name] = FailedJobRegistry(queue=q).count
    now = services.clock.now()
    with services.db() as session:
        figures = waiting_figures(session=session, now=now, at_risk=timedelta(minutes=AT_RISK_MINUTES))
        outbox = outbox_depth(session=session)
        gaps = uncovered_seconds(session=session, now=now, horizon=COVERAGE_HORIZON)
        on_shift = on_shift_now(session=session, now=now)
        team = team_figures(session=session, conn=services.redis, now=now)
    quarantine = {"ingest": float(services.redis.llen(services.buffer.quarantine_key))}
    workers = Worker.all(connection=services.redis)
    states = {"busy": 0.0, "idle": 0.0}
    for w in workers:
        key = "busy" if w.get_state() == "busy" else "idle"
        states[key] += 1
    return {"buffer_depth": {"pending": float(services.buffer.depth())}, "queue_depth": depth,
            "failed_jobs": failed, "quarantine": quarantine, "outbox": outbox,
            "workers": states, "coverage_gap": {("2h", lang): s for lang, s in gaps.items()},
            "on_shift": {"regular": float(on_shift)}, "ingest_health": ingest_health(services),
            **poller_figures(services=services), **figures, **team}


def collector(services: Services) -> LiveCollector:
    """The live gauges for a /metrics endpoint."""
    return LiveCollector(lambda: live_numbers(services))
