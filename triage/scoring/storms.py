"""Storms in the pipeline: near-duplicates grouped into incidents, and spike alerts for the inbox."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import redis
from sqlalchemy.orm import Session

from triage.core.priority import lift_for_weight, person_weight, weight_added
from triage.intake import messages as messages_repo
from triage.platform import metrics
from triage.platform import tables as t
from triage.platform.db import transaction
from triage.platform.tables_relationship import Incident
from triage.scoring import incident_store as repo
from triage.scoring.classifier.storms import (
    DEFAULT_SIMILARITY,
    DEFAULT_SPIKE_MIN,
    DEFAULT_WINDOW,
    detect_spikes,
)
from triage.scoring.classifier.text import normalize, text_key
from triage.scoring.storm_groups import Group, StormGroups

log = logging.getLogger(__name__)
CANDIDATES = 1000  # open incidents compared per batch; a live storm stays near the top
SPIKE_BUCKET = timedelta(minutes=5)
SPIKE_BUCKETS = 13  # the current bucket and a one-hour baseline before it
TOPIC_CHARS = 280


def incident_reason(count: int, first: datetime, last: datetime, people: int = 0,
                    lift: float = 0.0) -> str:
    """'2,314 similar messages in 10 min', and from how many people with what they add."""
    minutes = max(1, round((last - first).total_seconds() / 60))
    text = f"{count:,} similar messages in {minutes} min"
    if people > 1:
        text += f" from {people:,} people (+{lift:.0f} priority)"
    return text


class StormGrouper:
    """Joins each scored message to an open incident of near-duplicates, or opens one.

    With vectors (the learned scorer) near-duplicate means cosine >= threshold; without them
    (rule scorer) the same normalised text. Owns the lock key that keeps two workers from
    opening two incidents for one storm.
    """

    lock_key = "triage:storms:lock"

    def __init__(self, *, threshold: float = DEFAULT_SIMILARITY, window: timedelta = DEFAULT_WINDOW):
        self.threshold, self.window = threshold, window

    def group(self, *, db, conn: redis.Redis, rows: Sequence[t.Message],
              vectors: np.ndarray | None, now: datetime | None = None) -> dict[int, int]:
        """Message id -> incident id for `rows`, stored; one short transaction under the lock.

        With `now`, the storms these rows joined get their people counted and their item re-ranked.
        """
        if not rows:
            return {}
        with conn.lock(self.lock_key, timeout=60, blocking_timeout=30), transaction(db) as session:
            joined = self._group(session, rows, vectors)
            if now is not None:
                members: dict[int, list[int]] = {}
                for message_id, incident_id in joined.items():
                    members.setdefault(incident_id, []).append(message_id)
                lift_storms(session=session, ids=sorted(members), now=now, joined=members)
            return joined

    def _group(self, session: Session, rows: Sequence[t.Message],
               vectors: np.ndarray | None) -> dict[int, int]:
        order = sorted(range(len(rows)), key=lambda i: (rows[i].created_at, rows[i].id))
        since = min(r.created_at for r in rows) - self.window
        known = repo.open_near(session=session, since=since, limit=CANDIDATES)[::-1]  # newest last
        groups = StormGroups(
            [Group(inc.id, inc.text_key, _vector(inc.embedding), inc.first_seen, inc.last_seen)
             for inc in known],
            size=len(known) + len(rows), dim=None if vectors is None else vectors.shape[1],
            threshold=self.threshold, window=self.window)
        incidents: dict[Group, Incident] = dict(zip(groups.groups, known, strict=True))
        for i in order:
            row = rows[i]
            g = groups.join(message=row.id, at=row.created_at, key=text_key(normalize(row.text)),
                            vector=None if vectors is None else vectors[i])
            if g not in incidents:
                incidents[g] = Incident(id=row.id, topic=row.text[:TOPIC_CHARS], text_key=g.key,
                                        embedding=None if g.vector is None else g.vector.tobytes(), count=0,
                                        first_seen=row.created_at, last_seen=row.created_at, status="open")
        for g, inc in incidents.items():  # what this batch adds (a Group counts only its new members)
            inc.count += g.count
            inc.first_seen, inc.last_seen = min(inc.first_seen, g.first_seen), max(inc.last_seen, g.last_seen)
        session.add_all([inc for g, inc in incidents.items() if g.new])
        session.flush()
        members = {incidents[g].id: list(g.members) for g in groups.groups if g.members}
        repo.attach(session=session, members=members)
        return {m: iid for iid, ms in members.items() for m in ms}


def lift_storms(*, session: Session, ids: Sequence[int], now: datetime,
                joined: dict[int, list[int]] | None = None) -> int:
    """Count each storm's people, store the priority they lift its item by, and re-rank the item.

    With `joined` (incident -> its new members) a storm already counted adds only what those
    members change; without it, or the first time, its whole membership is counted.
    """
    found = repo.get_many(session=session, ids=ids)
    storms = [i for i in found.values() if i.count >= repo.STORM_MIN]
    afresh = {i.id for i in storms if joined is None or i.people_weight is None or i.id not in joined}
    values = repo.people_values(session=session, ids=sorted(afresh))
    changed = []
    for inc in storms:
        if inc.id in afresh:
            people = len(values.get(inc.id, []))
            weight = sum(person_weight(v) for v in values.get(inc.id, []))
        else:
            added = weight_added(*repo.joining_people(session=session, incident_id=inc.id,
                                                      message_ids=joined[inc.id]))
            people, weight = (inc.people or 0) + added[0], inc.people_weight + added[1]
        if repo.set_reach(incident=inc, people=people, weight=weight, lift=lift_for_weight(weight)):
            changed.append(inc.id)
    if changed:
        session.flush()
        messages_repo.refresh_priorities(session=session, now=now, ids=changed)
    return len(changed)


def _vector(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype=np.float32)


# --- spikes ------------------------------------------------------------------------------------

SPIKES_KEY = "triage:storms:spikes"  # JSON list of the spikes the inbox banner shows
SPIKES_TTL = 15 * 60


def find_spikes(*, session: Session, now: datetime) -> list[dict]:
    """Incidents whose volume in the last bucket is far above their recent baseline."""
    busy = repo.busy(session=session, since=now - SPIKE_BUCKET, min_count=DEFAULT_SPIKE_MIN)
    series = repo.bucket_counts(session=session, ids=[i.id for i in busy], now=now,
                                bucket=SPIKE_BUCKET, n_buckets=SPIKE_BUCKETS)
    by_id = {i.id: i for i in busy}
    out = []
    for spike in detect_spikes(series, baseline_buckets=SPIKE_BUCKETS - 1):
        inc = by_id[spike.topic]
        out.append({"incident_id": inc.id, "topic": inc.topic[:120], "current": spike.current,
                    "baseline": spike.baseline, "ratio": round(spike.ratio, 1),
                    "reason": incident_reason(inc.count, inc.first_seen, inc.last_seen)})
    return out


def publish_spikes(*, db, conn: redis.Redis, now: datetime) -> int:
    """Detect spikes, count the new ones, and leave the list in Redis for the inbox banner."""
    with transaction(db) as session:
        spikes = find_spikes(session=session, now=now)
        # vectors only matter while copies can still join: keep the incidents table small
        repo.forget_vectors(session=session, before=now - 2 * DEFAULT_WINDOW)
    before = {s["incident_id"] for s in current_spikes(conn)}
    for s in spikes:
        if s["incident_id"] not in before:
            metrics.SPIKE_ALERTS.inc()
    metrics.SPIKES_ACTIVE.set(len(spikes))
    conn.set(SPIKES_KEY, json.dumps(spikes), ex=SPIKES_TTL)
    return len(spikes)


def current_spikes(conn: redis.Redis) -> list[dict]:
    """The spikes last published (none if the tick has not run for a while)."""
    raw = conn.get(SPIKES_KEY)
    return json.loads(raw) if raw else []
