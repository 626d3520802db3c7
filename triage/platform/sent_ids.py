"""What our own outbox posted, per source: the one shared key through which replies tell intake
"this id is ours", so a platform echoing our reply back never puts it in the inbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import redis

# Newest sent ids kept per source. Webhooks echo a reply within seconds and pollers read back at
# most a few days of comments, so 20,000 covers weeks of replies at a busy desk in < 2 MB.
KEPT_PER_SOURCE = 20_000


class SentIds:
    """Owns `triage:sent:{source}`: a sorted set of platform ids (the inbound external-id form),
    scored by send time and trimmed to the newest KEPT_PER_SOURCE."""

    key = "triage:sent:{source}"

    def __init__(self, conn: redis.Redis):
        self.conn = conn

    def remember(self, *, source: str, external_id: str, now: datetime) -> None:
        """Record one id the outbox just posted on `source`."""
        key = self.key.format(source=source)
        pipe = self.conn.pipeline()
        pipe.zadd(key, {external_id: now.timestamp()})
        pipe.zremrangebyrank(key, 0, -KEPT_PER_SOURCE - 1)
        pipe.execute()

    def ours(self, *, source: str, ids: Iterable[str]) -> set[str]:
        """Which of `ids` our outbox posted on `source` (one round trip)."""
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return set()
        pipe = self.conn.pipeline()
        key = self.key.format(source=source)
        for external_id in wanted:
            pipe.zscore(key, external_id)
        return {i for i, score in zip(wanted, pipe.execute(), strict=True) if score is not None}
