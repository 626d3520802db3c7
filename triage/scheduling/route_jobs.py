"""Route jobs coalesce into as few routing passes as the new work needs.

Every score batch ends in a route job, and a pass reads everything waiting. One pass per job
therefore costs batches x backlog under load: at 100 messages/s with a growing backlog the route
queue fell behind within minutes. Instead a job flags "new work" and runs passes only when no
other job is running them. The runner loops while the flag is set, so flagged work never waits
for the next tick, and a job that finds a runner busy costs one Redis round trip.

Under sustained load that loop never ends, and a pass over a pile of 20,000 waiting items takes
about a second, all of it inside SQLite's write lock: scoring starved, and the soak fell behind
within two minutes. So between passes the runner rests for twice as long as the last pass took
(routing gets at most a third of the time; a 20 ms pass on a quiet day rests 40 ms).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from redis.exceptions import LockError

from triage.bootstrap import Services
from triage.scheduling import routing
from triage.scheduling.routing_report import RoutingReport

log = logging.getLogger(__name__)

DIRTY_KEY = "triage:routing:dirty"  # set: work arrived that no pass has read yet
RUNNER_KEY = "triage:routing:runner"  # held by the job running passes
RUNNER_SECONDS = 600  # a killed runner's claim lapses; the tick's pass covers the meantime
MAX_PASSES = 20  # per job, so one worker is not held forever; the rest goes to a fresh job
REST_RATIO = 2.0  # rest after a pass, as a multiple of its duration, while more work is flagged
MAX_REST = 5.0  # seconds: new work never waits longer than this for its pass to start


def run_passes(*, services: Services, max_passes: int = MAX_PASSES,
               clock: Callable[[], float] = time.monotonic,
               sleep: Callable[[float], None] = time.sleep) -> list[RoutingReport]:
    """Flag new work, then run passes until none is flagged, unless another job is running them.

    The flag is cleared before each pass reads the backlog, so work flagged during a pass gets
    one more pass, after a rest in proportion to the pass; a job that finds the runner busy
    leaves its work to that runner.
    """
    conn = services.redis
    conn.set(DIRTY_KEY, "1")
    reports: list[RoutingReport] = []
    while conn.exists(DIRTY_KEY):
        runner = conn.lock(RUNNER_KEY, timeout=RUNNER_SECONDS)
        if not runner.acquire(blocking=False):
            return reports  # the runner checks the flag again before it lets go
        try:
            while len(reports) < max_passes and conn.delete(DIRTY_KEY):
                started = clock()
                reports.append(routing.run_once(services=services))
                if len(reports) < max_passes and conn.exists(DIRTY_KEY):
                    sleep(min(MAX_REST, REST_RATIO * (clock() - started)))
        finally:
            try:
                runner.release()
            except LockError:
                log.warning("routing runner claim lapsed during a long pass")
        if len(reports) >= max_passes:
            if conn.exists(DIRTY_KEY):  # still busy: hand the rest to a fresh job
                routing.request_pass(conn, retries=services.settings.job_retries)
            break
    return reports
