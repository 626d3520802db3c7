"""Live routing: build the router's snapshot from the database, decide, and apply the decision safely."""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Collection
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

import redis
from redis.exceptions import LockError
from sqlalchemy import and_, or_, update
from sqlalchemy.orm import Session

from triage.bootstrap import Services
from triage.platform import metrics
from triage.platform import tables as t
from triage.platform import tables_scheduling as ts
from triage.platform.db import transaction
from triage.platform.queue import ROUTE, ROUTE_JOB, enqueue
from triage.scheduling import breaks as breaks_service
from triage.scheduling import hours as hours_service
from triage.scheduling import routing_isolation as isolation
from triage.scheduling import routing_metrics
from triage.scheduling import store as repo
from triage.scheduling.domain.accounting import week_window, work_spans
from triage.scheduling.domain.breaks import rest_state
from triage.scheduling.domain.router import route as decide
from triage.scheduling.domain.rules import StaffingRules
from triage.scheduling.domain.snapshot import (
    OpenItem,
    PersonState,
    RoutingDecision,
    Snapshot,
    WaitingItem,
)
from triage.scheduling.routing_report import RoutingReport
from triage.scheduling.staffing import current_rules

log = logging.getLogger(__name__)
ROUTER = "router"  # the actor written into the assignment history
LOCK_KEY = "triage:route:lock"
LOCK_SECONDS = 120  # outlives one pass over a large backlog; a dead router blocks no longer
REQUESTED_KEY = "triage:route:requested"  # a pass is queued; cleared when it starts
TICK_KEY = "triage:route:tick"
WAITS_KEY = "triage:route:waiting"  # the last pass's waiting items per reason kind (a live gauge)
TICK_EVERY_SECONDS = 30  # shift boundaries, ended breaks and stale assignments are seen within this
LOOK_BACK = timedelta(days=1)  # shifts that ended within a day still explain handoffs
LOOK_AHEAD = timedelta(days=8)  # waits quote the next shift, up to a week ahead
HISTORY_DAYS = 30  # how far back an item's assignment history is read
RECENT = timedelta(hours=12)  # history read for breaks and the interruption budget: a whole shift


def _required(msg: t.Message) -> frozenset[str]:
    # An item in a known language needs someone who speaks it; channels and topics do not gate.
    return frozenset({msg.language}) if msg.language else frozenset()


@dataclass
class _Context:
    """What applying a decision needs to know besides the decision."""

    user_of: dict[str, t.User]
    unlinked_on_shift: list[str]
    notes: dict[int, repo.Note]  # the router's notes on the waiting items, and on what it writes


def _people(session: Session, rules: StaffingRules, now: datetime, waiting: list[t.Message],
            only: Collection[int] | None = None) -> tuple[list[PersonState], _Context]:
    users = repo.users_by_staff(session=session)
    staff = [s for s in repo.list_staff(session=session) if only is None or s.id in only]
    linked = [s for s in staff if s.id in users]
    person_of = {users[s.id].id: str(s.id) for s in linked}
    regular = hours_service.regular_shifts(session=session, start=now - LOOK_BACK, end=now + LOOK_AHEAD,
                                           staff_ids=None if only is None else list(only))
    on_call = hours_service.on_call_shifts(session=session, start=now, end=now + timedelta(seconds=1))
    today, week = hours_service.tallies(session=session, rules=rules, now=now, person_of=person_of)
    held = repo.held_items(session=session, user_ids=list(person_of))
    history = repo.history_since(session=session, since=now - timedelta(days=HISTORY_DAYS),
                                 message_ids=[m.id for m in held])
    recent = repo.history_since(session=session, since=now - RECENT, user_ids=list(person_of))
    events = hours_service.work_events(recent, person_of=person_of, rules=rules)
    spans = work_spans([e for e in events if e.at <= now], until=now)
    last_hour = Counter(person_of[a.user_id] for a, _ in recent
                        if a.action in ("assign", "page") and a.at >= now - timedelta(hours=1))
    holders = repo.last_resolvers(session=session, author_ids=[m.author_id for m in waiting])
    relationships: dict[str, set[str]] = defaultdict(set)
    for author, user_id in holders.items():
        if user_id in person_of:
            relationships[person_of[user_id]].add(str(author))
    taken = breaks_service.taken_by_person(session=session, start=now - RECENT, end=now + LOOK_AHEAD,
                                           staff_ids=[s.id for s in linked])
    tonight = repo.pages_since(session=session, since=now - timedelta(hours=12))
    this_week = repo.pages_since(session=session, since=week_window(now, rules.team_timezone).start)
    open_items = _open_items(held, history, person_of)
    at_work = hours_service.at_work(session=session, staff=linked, person_of=person_of, rules=rules,
                                      now=now)
    people = []
    for s in linked:
        pid = str(s.id)
        shifts = tuple(sorted(regular.get(pid, []), key=lambda i: i.start))
        current = next((i for i in shifts if i.contains(now)), None)
        rested, on_break = rest_state(spans.get(pid, []), taken.get(pid, []), current, now, rules)
        people.append(PersonState(
            id=pid, skills=skill_tags(s.skills), shifts=shifts, open_items=tuple(open_items.get(pid, [])),
            hours_today=today[pid].handling_hours if pid in today else 0.0,
            hours_week=week[pid].handling_hours if pid in week else 0.0,
            assigned_last_hour=last_hour.get(pid, 0),
            last_break_end=rested, on_break_until=on_break,
            relationships=frozenset(relationships.get(pid, ())), on_call=tuple(on_call.get(pid, ())),
            pages_tonight=tonight.get(s.id, 0), pages_week=this_week.get(s.id, 0), name=s.name,
            **at_work.get(pid, {})))
    unlinked = [s.name for s in staff if s.id not in users
                and any(i.contains(now) for i in regular.get(str(s.id), []))]
    notes = repo.routing_notes(session=session, message_ids=[m.id for m in waiting])
    return people, _Context({str(s.id): users[s.id] for s in linked}, unlinked, notes)


def skill_tags(skills: dict | None) -> frozenset[str]:
    """A staff member's channels, languages and topics as the router matches them."""
    skills = skills or {}
    return frozenset(str(v) for key in ("channels", "languages", "topics") for v in skills.get(key, ()))


def _open_items(held: list[t.Message], history: list[tuple[t.Assignment, str | None]],
                person_of: dict[int, str]) -> dict[str, list[OpenItem]]:
    by_item: dict[int, list[t.Assignment]] = defaultdict(list)
    for a, _ in history:
        by_item[a.message_id].append(a)
    out: dict[str, list[OpenItem]] = defaultdict(list)
    for m in held:
        mine = [a for a in by_item.get(m.id, []) if a.user_id == m.assignee_id]
        given = next((a for a in reversed(mine) if a.action in ("assign", "page", "claim")), None)
        assigned_at = given.at if given else m.received_at
        started = next((a.at for a in mine if a.action == "claim" and a.at >= assigned_at), None)
        if m.status == "claimed" and started is None:
            started = assigned_at
        # Paged work, and work a person took themselves (a claim the router never gave them), is
        # theirs to finish: the router hands off only what it assigned.
        own = given is not None and (given.action == "page" or (given.action == "claim" and not any(
            a.action in ("assign", "page") for a in mine if a.at <= given.at)))
        out[person_of[m.assignee_id]].append(OpenItem(
            str(m.id), m.urgency or "normal", assigned_at, started, str(m.author_id),
            via_page=own, priority=m.priority,
            received_at=m.received_at, required_skills=_required(m)))
    return out


def build_snapshot(*, session: Session, rules: StaffingRules, now: datetime) -> tuple[Snapshot, _Context]:
    """The router's view of the world at `now`, read from the database."""
    waiting = repo.waiting_items(session=session, now=now)
    people, ctx = _people(session, rules, now, waiting)
    items = tuple(WaitingItem(
        str(m.id), m.urgency or "normal", m.priority, m.received_at, _required(m), str(m.author_id),
        previous_holder=(str(ctx.notes[m.id].released_from)
                         if m.id in ctx.notes and ctx.notes[m.id].released_from else None))
        for m in waiting)
    return Snapshot(items, tuple(people)), ctx


def person_state(*, session: Session, staff_id: int, rules: StaffingRules,
                 now: datetime) -> PersonState | None:
    """One person as the router sees them now (None: not an active staff member with a login)."""
    people, _ = _people(session, rules, now, [], only={staff_id})
    return people[0] if people else None


def _take(session: Session, message_id: int, user_id: int, now: datetime) -> bool:
    """Give an unassigned, open item to `user_id`; False if someone got there first."""
    msgs = t.Message.__table__
    awake = or_(msgs.c.status == "open", and_(msgs.c.status == "snoozed", msgs.c.snoozed_until <= now))
    done = session.execute(update(msgs).where(msgs.c.id == message_id, msgs.c.assignee_id.is_(None), awake)
                           .values(assignee_id=user_id, status="open", snoozed_until=None))
    return done.rowcount == 1


def apply_decision(*, session: Session, decision: RoutingDecision, ctx: _Context,
                   now: datetime) -> RoutingReport:
    """Write releases, then assignments, pages, gaps and wait reasons; every write is guarded."""
    report = RoutingReport(rules_version=decision.rules_version)
    notes, version = ctx.notes, decision.rules_version
    msgs = t.Message.__table__
    for rel in decision.releases:
        user, mid = ctx.user_of[rel.person_id], int(rel.item_id)
        done = session.execute(update(msgs).where(
            msgs.c.id == mid, msgs.c.assignee_id == user.id, msgs.c.status.in_(("open", "claimed"))
        ).values(assignee_id=None, status="open"))
        if done.rowcount == 1:
            session.add(t.Assignment(message_id=mid, user_id=None, action="handoff", actor=ROUTER,
                                     note=rel.handoff_note, at=now))
            repo.write_note(session=session, notes=notes, message_id=mid, now=now,
                            released_from=int(rel.person_id), assign_reason=None,
                            wait_reason=rel.reason, rules_version=version)
            report.releases += 1
            report.released_by_kind[rel.kind] += 1
    for a in decision.assignments:
        user, mid = ctx.user_of[a.person_id], int(a.item_id)
        if _take(session, mid, user.id, now):
            session.add(t.Assignment(message_id=mid, user_id=user.id, action="assign", actor=ROUTER,
                                     note=a.reason, at=now))
            repo.write_note(session=session, notes=notes, message_id=mid, now=now, assign_reason=a.reason,
                            wait_reason=None, wait_until=None, rules_version=version)
            report.assigned += 1
            report.assigned_by_kind[a.kind] += 1
    for p in decision.pages:
        user, mid = ctx.user_of[p.person_id], int(p.item_id)
        if _take(session, mid, user.id, now):
            session.add(t.Assignment(message_id=mid, user_id=user.id, action="page", actor=ROUTER,
                                     note=p.reason, at=now))
            session.add(ts.PageEvent(staff_id=int(p.person_id), message_id=mid, reason=p.reason, at=now))
            repo.write_note(session=session, notes=notes, message_id=mid, now=now, assign_reason=p.reason,
                            wait_reason=None, wait_until=None, rules_version=version)
            report.pages += 1
    suffix = (f"; {', '.join(ctx.unlinked_on_shift)} on shift without a login, so cannot be assigned"
              if ctx.unlinked_on_shift else "")
    for g in decision.gaps:
        report.gaps += repo.record_gap(session=session, message_id=int(g.item_id), reason=g.reason, now=now)
        report.waiting_by_kind["coverage_gap"] += 1
        repo.write_note(session=session, notes=notes, message_id=int(g.item_id), now=now,
                        wait_reason=f"coverage gap: {g.reason}{suffix}", rules_version=version)
    for w in decision.waits:
        reason = f"{w.reason}{suffix}"
        report.reasons[reason] = len(w.item_ids)
        for item_id in w.item_ids:
            mid = int(item_id)
            note = notes.get(mid)
            if note is None or note.wait_reason != reason or note.wait_until != w.until:
                repo.write_note(session=session, notes=notes, message_id=mid, now=now,
                                wait_reason=reason, wait_until=w.until, rules_version=version)
        report.waiting += len(w.item_ids)
        report.waiting_by_kind[w.kind] += len(w.item_ids)
    return report


def run_once(*, services: Services) -> RoutingReport:
    """One routing pass under the router lock; a pass already running covers this request."""
    lock = services.redis.lock(LOCK_KEY, timeout=LOCK_SECONDS, blocking_timeout=LOCK_SECONDS)
    if not lock.acquire(blocking=True):
        return RoutingReport(skipped=True)
    try:
        now = services.clock.now()
        # Read and decide in a read transaction, then write in a short one. Reading a pile of
        # 20,000 waiting items takes about a second; inside SQLite's write lock it starved
        # scoring under load. Every write is guarded (an item someone took meanwhile is skipped),
        # as it always was on PostgreSQL, where a read never blocked writers.
        with transaction(services.db) as session:
            if not repo.list_staff(session=session):
                return RoutingReport(skipped=True)  # no scheduler set up: the inbox is worked by hand
            clock = routing_metrics.PhaseClock(time.perf_counter)
            rules = current_rules(session=session)
            snapshot, ctx = build_snapshot(session=session, rules=rules, now=now)
        snapshot = isolation.leave_out(snapshot, _set_aside(services))
        clock.lap("read")
        decision, bad = isolation.decide_isolating(decide, snapshot, rules, now)
        clock.lap("decide")
        with transaction(services.db, write_lock=True) as session:
            report, bad_writes = isolation.apply_isolating(apply_decision, session=session,
                                                           decision=decision, ctx=ctx, now=now)
            clock.lap("apply")
        report.set_aside = {**bad, **bad_writes}
        for item_id, why in report.set_aside.items():  # after the commit: the rest is routed
            log.error("routing item %s failed, set aside: %s", item_id, why)
            services.buffer.quarantine_stored(message_id=int(item_id), stage=isolation.STAGE,
                                              error=why)
            metrics.QUARANTINED.labels(stage=isolation.STAGE).inc()
        routing_metrics.record(report=report, phases=clock.finish())
        services.redis.hset(WAITS_KEY, mapping=routing_metrics.waiting_counts(report))
        return report
    finally:
        with suppress(LockError):  # expired under a very slow pass; the guarded writes still hold
            lock.release()


def _set_aside(services: Services) -> set[str]:
    return {str(i) for i, why in services.buffer.quarantined_stored().items()
            if why.get("stage") == isolation.STAGE}


def last_waits(conn: redis.Redis) -> dict[str, float]:
    """Items the last routing pass left waiting, per reason kind (empty before the first pass)."""
    return {k.decode() if isinstance(k, bytes) else k: float(v) for k, v in conn.hgetall(WAITS_KEY).items()}


def request_pass(conn: redis.Redis, *, retries: int = 3) -> bool:
    """Queue one routing pass unless one is already queued (resolve, release, rule change, tick)."""
    if conn.set(REQUESTED_KEY, "1", nx=True, ex=LOCK_SECONDS):
        enqueue(conn, ROUTE, ROUTE_JOB, [], retries=retries)
        return True
    return False


def request_on_tick(conn: redis.Redis, *, retries: int = 3) -> bool:
    """Queue a pass at most every TICK_EVERY_SECONDS, so shift boundaries are acted on."""
    if conn.set(TICK_KEY, "1", nx=True, ex=TICK_EVERY_SECONDS):
        return request_pass(conn, retries=retries)
    return False
