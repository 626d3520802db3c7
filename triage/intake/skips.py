"""Entries a poll or webhook delivery could not read, kept per source for a person to see, and
the skip counts (in Redis for the records, in Prometheus for the rates)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

import redis

from triage.intake.connectors.base import Skipped
from triage.platform import metrics

KEPT_PER_SOURCE = 500  # quarantine records per source: enough to diagnose, bounded in Redis
# The `kind` label of triage_entries_skipped_total: the error classes a connector raises on a bad
# entry (connectors.polling.ENTRY_ERRORS); anything else is "other", so the label stays bounded.
SKIP_KINDS = frozenset({"PayloadError", "ValidationError", "KeyError", "TypeError", "ValueError",
                        "AttributeError", "IndexError", "OverflowError", "RecursionError",
                        "ChannelError"})


def skip_kind(reason: str) -> str:
    """The error class named at the start of a skip reason ("KeyError: 'id'"), or "other"."""
    name = reason.split(":", 1)[0].strip()
    return name if name in SKIP_KINDS else "other"


class SkipLog:
    """Owns `triage:poll:skipped:{source}` (records, newest last) and the per-source counts."""

    records_key = "triage:poll:skipped:{source}"
    counts_key = "triage:poll:counts:{source}"

    def __init__(self, conn: redis.Redis):
        self.conn = conn

    def record(self, *, source: str, skipped: Sequence[Skipped], ignored: int, now: datetime) -> None:
        """Quarantine each skipped entry with its reason, count it, and add to the source's counts."""
        key = self.records_key.format(source=source)
        pipe = self.conn.pipeline()
        for s in skipped:
            metrics.ENTRIES_SKIPPED.labels(source=source, kind=skip_kind(s.reason)).inc()
            pipe.rpush(key, json.dumps({"source": source, "entry_id": s.entry_id,
                                        "reason": s.reason, "entry": s.excerpt,
                                        "at": now.isoformat()}))
        if skipped:
            pipe.ltrim(key, -KEPT_PER_SOURCE, -1)
            pipe.hincrby(self.counts_key.format(source=source), "skipped", len(skipped))
        if ignored:
            pipe.hincrby(self.counts_key.format(source=source), "ignored", ignored)
        pipe.execute()

    def counts(self, source: str) -> dict[str, int]:
        """{'skipped': n, 'ignored': n} over the source's life."""
        raw = self.conn.hgetall(self.counts_key.format(source=source))
        found = {(k.decode() if isinstance(k, bytes) else k): int(v) for k, v in raw.items()}
        return {"skipped": found.get("skipped", 0), "ignored": found.get("ignored", 0)}

    def records(self, source: str, limit: int = 50) -> list[dict]:
        """The newest quarantine records of `source`, newest last."""
        return [json.loads(d) for d in self.conn.lrange(self.records_key.format(source=source),
                                                        -limit, -1)]
