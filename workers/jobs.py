"""RQ jobs, enqueued by dotted path: each parses its ids and calls one pipeline service."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache
from typing import TypeVar

from triage import pipeline
from triage.bootstrap import Services, build_services
from triage.config import get_settings
from triage.inbox import live
from triage.platform import metrics
from triage.scoring import rescoring

T = TypeVar("T")


_configured: Services | None = None


def configure(services_: Services | None) -> None:
    """Run jobs against a given service graph (tests, benchmarks) instead of the settings' one."""
    global _configured
    _configured = services_


def services() -> Services:
    """One service graph per worker process, built before the first job (and before forking)."""
    return _configured or _from_settings()


@cache
def _from_settings() -> Services:
    return build_services(get_settings())


def _timed(job: str, fn: Callable[[], T]) -> T:
    started = time.perf_counter()
    try:
        return fn()
    except Exception:
        metrics.JOB_FAILURES.labels(task=job).inc()
        raise
    finally:
        metrics.JOB_SECONDS.labels(task=job).observe(time.perf_counter() - started)


def drain_ingest() -> int:
    return _timed("drain_ingest", lambda: pipeline.drain_ingest(services=services()))


def score(ids: list[int]) -> int:
    return _timed("score", lambda: pipeline.score(services=services(), ids=[int(i) for i in ids]))


def route(ids: list[int]) -> int:
    routed = _timed("route", lambda: pipeline.route(services=services(), ids=[int(i) for i in ids]))
    live.items_arrived(services().redis, ids)  # open inboxes add them without a reload
    return routed


def rescore(ids: list[int]) -> int:
    return _timed("rescore", lambda: rescoring.rescore(services=services(),
                                                       ids=[int(i) for i in ids]))


def send_replies(ids: list[int]) -> int:
    from triage.replies import outbox  # imported here: the repliers load only where replies go out

    return _timed("send_replies", lambda: outbox.send(services=services(), ids=[int(i) for i in ids]))


def poll(source: str, force: bool = False) -> dict[str, object]:
    from triage.intake import polling

    return _timed("poll", lambda: polling.run_poll(services=services(), source=source,
                                                   force=bool(force)).summary())


def tick() -> dict[str, int]:
    return _timed("tick", lambda: pipeline.tick(services=services()))
