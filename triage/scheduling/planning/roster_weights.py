"""What the weekly roster's objective prices, and why: uncovered seats, empty hours, fairness, wishes."""

from __future__ import annotations

from collections.abc import Sequence

from triage.scheduling.planning.roster_model import WEEK_HOURS

UNCOVERED_WEIGHT = 1000  # one uncovered person-hour outweighs any fairness or preference cost
# On top of UNCOVERED_WEIGHT when nobody with the skill is on at all: a short-handed hour only queues
# messages, an hour with nobody who reads the language leaves every one of them for the next shift.
# So a person who alone speaks a language goes where it is asked, not where generic seats are a bit
# fuller. The extra alone stays within ON_CALL_GAP_WEIGHT: a first seat is one hour, an on-call gap
# is a whole evening nobody can be paged.
NOBODY_WEIGHT = 1500
# With a forecast, NOBODY_WEIGHT is scaled by the hour's arrivals against the skill's average hour,
# up to this many times: the lone speaker goes to the language's busy hours (people needed alone
# cannot tell one message from four: both need a seat), and 2 x 1500 stays within the on-call gap.
MAX_BUSY_FACTOR = 2
FAIRNESS_WEIGHT = 20  # per extra night/weekend/on-call on the most loaded person
PREFERENCE_WEIGHT = 5  # per shift a person asked to avoid
ON_CALL_GAP_WEIGHT = 3000  # a night nobody can be paged turns every critical item into a gap


def first_seat_weights(need: Sequence[int], volume: Sequence[float] | None) -> list[int]:
    """NOBODY_WEIGHT per hour, scaled by the hour's expected arrivals against the average hour with
    demand when the forecast is known (integers: CP-SAT's objective, and the same on every run)."""
    busy = [volume[h] for h in range(WEEK_HOURS) if need[h] > 0] if volume else []
    mean = sum(busy) / len(busy) if busy else 0.0
    if mean <= 0:
        return [NOBODY_WEIGHT] * WEEK_HOURS
    return [round(NOBODY_WEIGHT * min(MAX_BUSY_FACTOR, volume[h] / mean)) for h in range(WEEK_HOURS)]
