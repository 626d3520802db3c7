"""Run CP-SAT the same way every time, so a fixed request gives the same roster on a busy machine too.

A wall-clock limit makes the answer depend on machine load: the search stops wherever it got to. So the
budget is in CP-SAT's deterministic time (work done, not seconds), with a fixed seed, a fixed number of
workers and interleaved search, whose batches are scheduled the same way whatever the load. Wall time is
only a safety net far above the budget; a solve it cuts short says so, since that roster may differ from
run to run.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass

from ortools.sat.python import cp_model

SOLVER_SEED = 1  # any fixed value: the figures must not change from run to run
WALL_SAFETY = 4  # wall-clock cap as a multiple of the deterministic budget
DEFAULT_WORKERS = 2  # the planning box has two cores shared with the app


@dataclass(frozen=True)
class SolveRun:
    """How one solve went: status, the improving solutions over time, and what stopped it."""

    status: int
    seconds: float
    work: float  # deterministic time used (CP-SAT's own unit, roughly seconds on an idle core)
    cut_by_wall: bool  # stopped by the wall-clock safety net: not reproducible
    progress: tuple[tuple[float, float, float], ...] = ()  # (seconds, objective, bound) per solution


def solve(model: cp_model.CpModel, *, budget: float, workers: int = DEFAULT_WORKERS,
          gap_limit: float = 0.01, started: float | None = None) -> tuple[cp_model.CpSolver, SolveRun]:
    """Solve `model` within `budget` units of deterministic time or once within `gap_limit` of the bound."""
    started = clock.perf_counter() if started is None else started
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.random_seed = SOLVER_SEED
    p.interleave_search = True
    p.num_workers = workers
    p.max_deterministic_time = budget
    p.max_time_in_seconds = budget * WALL_SAFETY
    p.relative_gap_limit = gap_limit
    progress = _Progress(started)
    status = solver.Solve(model, progress)
    work = solver.deterministic_time
    cut = (status != cp_model.OPTIMAL and work < budget * 0.999
           and solver.wall_time >= p.max_time_in_seconds * 0.99
           and not (status == cp_model.FEASIBLE and _within(solver, gap_limit)))
    return solver, SolveRun(status, clock.perf_counter() - started, work, cut, tuple(progress.points))


def _within(solver: cp_model.CpSolver, gap_limit: float) -> bool:
    objective, bound = solver.ObjectiveValue(), solver.BestObjectiveBound()
    return objective <= 0 or (objective - bound) / abs(objective) <= gap_limit


class _Progress(cp_model.CpSolverSolutionCallback):
    """Records (seconds, objective, bound) at each improving solution, for benchmarks and reports."""

    def __init__(self, started: float) -> None:
        super().__init__()
        self.started, self.points = started, []

    def on_solution_callback(self) -> None:
        self.points.append((clock.perf_counter() - self.started, self.ObjectiveValue(),
                            self.BestObjectiveBound()))
