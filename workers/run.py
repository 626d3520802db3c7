"""The worker process: preloads the service graph (and model) once, then takes jobs from every stage."""

from __future__ import annotations

import logging

from rq import SimpleWorker, Worker

from triage.domain.rule_scorer import RuleScorer
from triage.queue import STAGES, queue
from workers import jobs


def run(*, queues: list[str] | None = None, simple: bool = False, burst: bool = False,
        rules_only: bool = False, log_level: str = "INFO") -> None:
    """Start an RQ worker; the model loads here, before forking, so each job reuses it."""
    logging.basicConfig(level=log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    services = jobs.services()
    if rules_only:
        services._scorer = RuleScorer()
    _ = services.scorer  # load once in the parent; forked work-horses share it
    names = queues or list(STAGES)
    worker_cls = SimpleWorker if simple else Worker
    worker = worker_cls([queue(services.redis, n) for n in names], connection=services.redis)
    worker.work(burst=burst, with_scheduler=True, logging_level=log_level)
