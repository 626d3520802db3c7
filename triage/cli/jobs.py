"""`triage jobs`: see and replay what failed, so nothing is silently dropped."""

from __future__ import annotations

from collections.abc import Callable

import typer
from rich.console import Console
from rich.table import Table
from rq.job import Job
from rq.registry import FailedJobRegistry

from triage.platform.queue import STAGES, queue


def register_jobs(jobs_app: typer.Typer, console: Console, services: Callable) -> None:
    @jobs_app.command("failed")
    def failed() -> None:
        """List failed jobs per stage with their last error, and quarantined messages."""
        svc = services()
        table = Table("stage", "job id", "function", "args", "error")
        count = 0
        for stage in STAGES:
            registry = FailedJobRegistry(queue=queue(svc.redis, stage))
            for job_id in registry.get_job_ids():
                job = Job.fetch(job_id, connection=svc.redis)
                error = (job.latest_result().exc_string if job.latest_result() else "") or ""
                table.add_row(stage, job_id, job.func_name, str(job.args)[:60],
                              error.strip().splitlines()[-1][:80] if error else "")
                count += 1
        console.print(table if count else "no failed jobs")
        quarantined = svc.buffer.quarantined()
        if quarantined:
            console.print(f"{len(quarantined)} quarantined message(s):")
            for q in quarantined[:20]:
                console.print(f"  {q['error'][:120]}")
        set_aside = svc.buffer.quarantined_stored()
        if set_aside:
            console.print(f"{len(set_aside)} stored message(s) set aside:")
            for message_id, q in list(set_aside.items())[:20]:
                console.print(f"  #{message_id} at {q['stage']}: {q['error'][:120]}")
        deliveries = svc.buffer.quarantined_deliveries()
        if deliveries:
            console.print(f"{len(deliveries)} quarantined platform deliveries:")
            for d in deliveries[:20]:
                console.print(f"  {d['source']}: {d['error'][:120]}")

    @jobs_app.command("retry")
    def retry(job_id: str = typer.Argument(None, help="one job; all failed jobs when omitted")) -> None:
        """Put failed jobs back on their queue."""
        svc = services()
        moved = 0
        for stage in STAGES:
            registry = FailedJobRegistry(queue=queue(svc.redis, stage))
            for jid in registry.get_job_ids():
                if job_id in (None, jid):
                    registry.requeue(jid)
                    moved += 1
        if job_id and not moved:
            console.print(f"[red]error:[/red] no failed job {job_id!r}")
            raise typer.Exit(code=2)
        console.print(f"requeued {moved} job(s)")

    @jobs_app.command("replay")
    def replay() -> None:
        """Send quarantined messages and platform deliveries through ingest again (after a fix)."""
        svc = services()
        from triage.intake.ingest import replay_deliveries
        from triage.pipeline import DRAIN_JOB
        from triage.platform.queue import INGEST, enqueue

        moved = svc.buffer.replay_quarantine()
        if moved:
            enqueue(svc.redis, INGEST, DRAIN_JOB)
        from triage.pipeline import SCORE_JOB, chunks
        from triage.platform.queue import SCORE

        set_aside = svc.buffer.take_quarantined_stored()
        for chunk in chunks(set_aside, svc.settings.score_batch):
            enqueue(svc.redis, SCORE, SCORE_JOB, chunk)
        replayed, still_bad = replay_deliveries(services=svc)
        console.print(f"scoring {len(set_aside)} set-aside message(s) again; "
                      f"replayed {moved} quarantined message(s) and {replayed} platform "
                      f"deliveries; {still_bad} still do not parse")
