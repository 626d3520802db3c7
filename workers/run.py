"""The worker process: preloads the service graph (and model) once, then takes jobs from every stage."""

from __future__ import annotations

from rq import SimpleWorker, Worker

from triage.platform import heap, logs, metrics
from triage.platform.queue import WORK_ORDER, PromptStop, queue
from triage.scoring.domain.rules import RuleScorer
from workers import jobs

# Seconds RQ keeps a silent worker registered. It also paces an idle worker's wake-ups (ttl - 15 s),
# and so our heartbeat gauge: 60 gives a beat every 45 s, well inside the 3-minute alert.
WORKER_TTL = 60


class _Observed(PromptStop):
    """Binds the job id to every log line of the job and beats the heartbeat gauge with RQ's own.

    After a job it hands freed heap back to the OS (at most every few seconds): without that a
    SimpleWorker's memory ratchets up to its biggest routing pass so far (see platform/heap.py).
    """

    _trimmer: heap.Trimmer | None = None

    def perform_job(self, job, queue, *args, **kwargs):
        logs.clear()
        logs.bind(job_id=job.id, job=job.func_name.rsplit(".", 1)[-1], queue=queue.name)
        try:
            return super().perform_job(job, queue, *args, **kwargs)
        finally:
            logs.clear()
            if self._trimmer is None:
                self._trimmer = heap.Trimmer()
            self._trimmer.maybe()

    def heartbeat(self, *args, **kwargs):
        metrics.WORKER_HEARTBEAT.set_to_current_time()
        return super().heartbeat(*args, **kwargs)


class ObservedSimpleWorker(_Observed, SimpleWorker):
    """SimpleWorker (jobs in this process) with job ids in logs and a heartbeat metric."""


class ObservedWorker(_Observed, Worker):
    """Forking Worker with job ids in logs and a heartbeat metric."""


def run(*, queues: list[str] | None = None, simple: bool = True, burst: bool = False,
        rules_only: bool = False, log_level: str = "INFO") -> None:
    """Start an RQ worker; the model loads once here and every job reuses it.

    SimpleWorker (the default) runs jobs in this process: ~6 ms a job instead of ~30 ms for a fork,
    which matters at tens of small batches a second. A crash kills only this worker; its job is
    retried by RQ's abandoned-job cleanup and the tick, and every stage is idempotent.
    """
    services = jobs.services()
    settings = services.settings
    logs.setup(json=settings.json_logs, level=log_level)
    if rules_only:
        services._scorer = RuleScorer()
    _ = services.scorer  # load once in the parent; forked work-horses share it
    metrics.announce_build()
    if settings.metrics_port:  # one endpoint per worker instance; Prometheus scrapes each
        metrics.serve(settings.metrics_port, host=settings.metrics_host, token=settings.metrics_bearer)
    names = queues or list(WORK_ORDER)
    worker_cls = ObservedSimpleWorker if simple else ObservedWorker
    worker = worker_cls([queue(services.redis, n) for n in names], connection=services.redis,
                        worker_ttl=WORKER_TTL)
    worker.work(burst=burst, with_scheduler=True, logging_level=logs.rq_level(log_level))
