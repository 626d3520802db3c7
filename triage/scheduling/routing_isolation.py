"""One poison item harms only itself in a routing pass: the items whose decision or writes raise
are found and set aside with the reason, and the pass goes on for everyone else.

The pass is tried whole first, so a healthy pass costs nothing extra. When the router raises, the
waiting items (and the items people hold, which feed their load) are halved until each culprit
stands alone; when applying the decision fails, each item's part is written under its own
savepoint. An outage (database or Redis down, locked) is no item's fault and fails the pass, so
the job retries; so does a router that fails with no item at all (a bug, not the data).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from triage.platform.db import is_outage
from triage.scheduling import store as repo
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.snapshot import RoutingDecision, Snapshot, Wait
from triage.scheduling.routing_report import RoutingReport

log = logging.getLogger(__name__)
STAGE = "route"  # the set-aside list's stage name (IngestBuffer.quarantine_stored)

Decide = Callable[[Snapshot, StaffingRules, datetime], RoutingDecision]
Part = tuple[str, str, Any]  # ("wait", item id, None) or ("held", item id, person id)


def reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:500]}"


def _parts(snapshot: Snapshot) -> list[Part]:
    return ([("wait", w.id, None) for w in snapshot.waiting]
            + [("held", o.id, p.id) for p in snapshot.people for o in p.open_items])


def _without(snapshot: Snapshot, keep: Sequence[Part]) -> Snapshot:
    """The snapshot with only the `keep` parts: waiting items and held items not kept are left out."""
    waiting = {i for kind, i, _ in keep if kind == "wait"}
    held = {(i, p) for kind, i, p in keep if kind == "held"}
    people = tuple(replace(p, open_items=tuple(o for o in p.open_items if (o.id, p.id) in held))
                   for p in snapshot.people)
    return Snapshot(tuple(w for w in snapshot.waiting if w.id in waiting), people)


def leave_out(snapshot: Snapshot, item_ids: set[str]) -> Snapshot:
    """The snapshot without the items set aside earlier (until `triage jobs replay` takes them back)."""
    if not item_ids:
        return snapshot
    return _without(snapshot, [part for part in _parts(snapshot) if part[1] not in item_ids])


def decide_isolating(decide: Decide, snapshot: Snapshot, rules: StaffingRules,
                     now: datetime) -> tuple[RoutingDecision, dict[str, str]]:
    """The router's decision without the items it raises on, and those items with the reason.

    A culprit a person holds is left out of their load for this pass (it cannot be counted); the
    waiting one is left waiting, unrouted, until someone looks at it.
    """
    try:
        return decide(snapshot, rules, now), {}
    except Exception as exc:
        if is_outage(exc):
            raise
        first = exc
    decide(_without(snapshot, []), rules, now)  # raises when no item is at fault: the job fails
    culprits: dict[str, str] = {}

    def hunt(parts: list[Part]) -> None:
        try:
            decide(_without(snapshot, parts), rules, now)
        except Exception as exc:  # noqa: BLE001 - any failure narrows the search
            if len(parts) == 1:
                culprits[parts[0][1]] = reason(exc)
                return
            half = len(parts) // 2
            hunt(parts[:half])
            hunt(parts[half:])

    hunt(_parts(snapshot))
    if not culprits:  # fails only in combination: nothing to single out
        raise first
    rest = [part for part in _parts(snapshot) if part[1] not in culprits]
    return decide(_without(snapshot, rest), rules, now), culprits


def _item_ids(decision: RoutingDecision) -> list[str]:
    ids = [r.item_id for r in decision.releases] + [a.item_id for a in decision.assignments]
    ids += [p.item_id for p in decision.pages] + [g.item_id for g in decision.gaps]
    ids += [i for w in decision.waits for i in w.item_ids]
    return list(dict.fromkeys(ids))


def _only(decision: RoutingDecision, item_id: str) -> RoutingDecision:
    """The part of a decision that concerns one item."""
    return RoutingDecision(
        assignments=tuple(a for a in decision.assignments if a.item_id == item_id),
        waits=tuple(Wait(w.reason, w.until, (item_id,), w.kind) for w in decision.waits
                    if item_id in w.item_ids),
        pages=tuple(p for p in decision.pages if p.item_id == item_id),
        gaps=tuple(g for g in decision.gaps if g.item_id == item_id),
        releases=tuple(r for r in decision.releases if r.item_id == item_id),
        rules_version=decision.rules_version)


def _add(total: RoutingReport, part: RoutingReport) -> None:
    for name in ("assigned", "waiting", "pages", "gaps", "releases"):
        setattr(total, name, getattr(total, name) + getattr(part, name))
    for text, count in part.reasons.items():
        total.reasons[text] = total.reasons.get(text, 0) + count
    total.assigned_by_kind.update(part.assigned_by_kind)
    total.released_by_kind.update(part.released_by_kind)
    total.waiting_by_kind.update(part.waiting_by_kind)


def apply_isolating(apply: Callable[..., RoutingReport], *, session: Session,
                    decision: RoutingDecision, ctx: Any,
                    now: datetime) -> tuple[RoutingReport, dict[str, str]]:
    """Apply the decision; if its writes fail, item by item, each under its own savepoint."""
    try:
        with session.begin_nested():
            return apply(session=session, decision=decision, ctx=ctx, now=now), {}
    except Exception as exc:
        if is_outage(exc):
            raise
        log.warning("applying a routing decision failed (%s); applying it item by item", exc)
    # The rolled-back attempt's note writes are gone from the database: read the notes afresh.
    ctx.notes = _reread(session, ctx.notes)
    report, culprits = RoutingReport(rules_version=decision.rules_version), {}
    for item_id in _item_ids(decision):
        try:
            with session.begin_nested():  # its writes are flushed (and fail) on leaving
                part = apply(session=session, decision=_only(decision, item_id), ctx=ctx, now=now)
            _add(report, part)
        except Exception as exc:
            if is_outage(exc):
                raise
            culprits[item_id] = reason(exc)
            ctx.notes = _reread(session, ctx.notes)
    return report, culprits


def _reread(session: Session, notes: dict) -> dict:
    return repo.routing_notes(session=session, message_ids=list(notes))
