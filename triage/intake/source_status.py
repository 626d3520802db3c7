"""What each configured source is doing, for the API, the /sources page, the CLI and metrics."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime

from triage.bootstrap import Services, UnknownSource
from triage.intake import store as repo
from triage.intake.domain import PollState, describe, interval_from
from triage.intake.polling import PollGate, pollers
from triage.intake.skips import SkipLog

WEBHOOK_STATUS = "listening"  # pushed to us: there is no schedule to show


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """One source as people see it: never its cursor, options or secrets."""

    slug: str
    channel: str
    kind: str  # "poller" or "webhook"
    status: str
    last_error: str | None = None
    last_ok_at: datetime | None = None
    last_polled_at: datetime | None = None
    next_poll_at: datetime | None = None
    taken: int = 0
    failures: int = 0
    interval_seconds: float | None = None
    in_flight: bool = False
    skipped: int = 0  # entries a poll or delivery could not read (quarantined), over its life
    ignored: int = 0  # deleted, empty, automated or our own entries left out on purpose
    note: str = ""

    def public(self) -> dict[str, object]:
        """JSON-ready, datetimes as ISO 8601."""
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in asdict(self).items()}


def list_statuses(*, services: Services) -> list[SourceStatus]:
    """Every configured source, pollers with their schedule, sorted by slug."""
    polled, now = pollers(services), services.clock.now()
    gate, skips = PollGate(services.redis), SkipLog(services.redis)
    with services.db() as session:
        rows = {r.slug: r for r in repo.list_all(session=session)}
    out = []
    for slug, cfg in sorted(services.settings.sources.items()):
        if slug not in polled:
            counts = skips.counts(slug)
            out.append(SourceStatus(slug=slug, channel=cfg.channel, kind="webhook",
                                    status=WEBHOOK_STATUS, **counts,
                                    note=_with_skips(f"signed deliveries to /webhooks/{slug}", counts)))
            continue
        row = rows.get(slug)
        state = repo.state_of(row) if row is not None and row.channel == cfg.channel else PollState()
        out.append(SourceStatus(
            slug=slug, channel=cfg.channel, kind="poller", status=state.status,
            last_error=state.last_error, last_ok_at=state.last_ok_at,
            last_polled_at=state.last_polled_at, next_poll_at=state.next_poll_at, taken=state.taken,
            failures=state.failures, interval_seconds=_interval(cfg.options),
            in_flight=gate.in_flight(slug), **skips.counts(slug),
            note=_with_skips(describe(state, now), skips.counts(slug))))
    return out


def skip_records(*, services: Services, source: str, limit: int = 50) -> list[dict]:
    """The newest quarantine records of one configured source (newest last), for the CLI."""
    if source not in services.settings.sources:
        raise UnknownSource(source)
    return SkipLog(services.redis).records(source, limit=limit)


def poller_figures(*, services: Services) -> dict[str, dict[str, float]]:
    """For the live gauges: polled sources per status, and per source whether its credentials
    expired (one series per configured poller, so an alert can name it)."""
    polled = [s for s in list_statuses(services=services) if s.kind == "poller"]
    return {"sources": dict(Counter(s.status for s in polled)),
            "source_auth_expired": {s.slug: float(s.status == "auth_expired") for s in polled}}


def _with_skips(note: str, counts: dict[str, int]) -> str:
    """The schedule note, plus how many entries were skipped so a person looks at them."""
    if not counts["skipped"]:
        return note
    return f"{note}; {counts['skipped']} unreadable entr{'y' if counts['skipped'] == 1 else 'ies'} skipped"


def _interval(options: dict[str, object]) -> float | None:
    try:
        return interval_from(options).total_seconds()
    except ValueError:
        return None
