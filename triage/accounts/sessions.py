"""Server-side sign-in sessions, the sign-in rate limit and token-use throttling, all in Redis.

The cookie only names a session; the record lives here, so sign-out and deactivation end it on the
server and a copied old cookie stops working at once.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass

import redis
from limits import parse
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

# Failed sign-ins allowed before a pause. NIST SP 800-63B 5.2.2 allows at most 100 in a row per
# account; we are stricter per account, and looser per address so an office behind one NAT can work.
ACCOUNT_LIMIT = parse("10 per 15 minutes")
ADDRESS_LIMIT = parse("30 per 15 minutes")
TOKEN_USE_RESOLUTION_S = 60  # last_used_at is a hint for admins; once a minute is precise enough


class SessionStore:
    """Session records keyed by a random id; each user keeps a set of theirs to end them all."""

    KEY = "triage:session:{sid}"
    USER_KEY = "triage:session:user:{user_id}"

    def __init__(self, conn: redis.Redis, *, max_age_s: int) -> None:
        self.conn, self.max_age_s = conn, max_age_s

    def start(self, user_id: int) -> str:
        """A new session id for a user who just signed in."""
        sid = secrets.token_urlsafe(32)
        pipe = self.conn.pipeline()
        pipe.set(self.KEY.format(sid=sid), user_id, ex=self.max_age_s)
        pipe.sadd(self.USER_KEY.format(user_id=user_id), sid)
        pipe.expire(self.USER_KEY.format(user_id=user_id), self.max_age_s)
        pipe.execute()
        return sid

    def user_id(self, sid: str | None) -> int | None:
        """The user a live session belongs to, or None once it ended or expired."""
        if not sid or not isinstance(sid, str):
            return None
        raw = self.conn.get(self.KEY.format(sid=sid))
        return int(raw) if raw is not None else None

    def end(self, sid: str | None) -> None:
        if not sid or not isinstance(sid, str):
            return
        user_id = self.conn.getdel(self.KEY.format(sid=sid))
        if user_id is not None:
            self.conn.srem(self.USER_KEY.format(user_id=int(user_id)), sid)

    def end_all(self, user_id: int) -> int:
        """End every session of a user (deactivation); returns how many were live."""
        key = self.USER_KEY.format(user_id=user_id)
        sids = [s.decode() if isinstance(s, bytes) else s for s in self.conn.smembers(key)]
        ended = self.conn.delete(*[self.KEY.format(sid=s) for s in sids]) if sids else 0
        self.conn.delete(key)
        return ended


@dataclass(frozen=True, slots=True)
class Refusal:
    reason: str
    retry_after_s: int


class LoginLimiter:
    """Counts failed sign-ins per account and per client address (the `limits` package)."""

    def __init__(self, conn: redis.Redis) -> None:
        storage = RedisStorage("redis://", connection_pool=conn.connection_pool,
                               key_prefix="triage:limits")
        self.limiter = MovingWindowRateLimiter(storage)

    def refusal(self, *, username: str, address: str) -> Refusal | None:
        """Why a sign-in attempt must wait, checked before the password is looked at."""
        for limit, kind, key in ((ACCOUNT_LIMIT, "account", username.lower()),
                                 (ADDRESS_LIMIT, "address", address)):
            if not self.limiter.test(limit, "login", kind, key):
                reset = self.limiter.get_window_stats(limit, "login", kind, key).reset_time
                wait = max(1, math.ceil(reset - time.time()))
                return Refusal(f"too many failed sign-ins for this {kind}; try again in "
                               f"{wait} s", wait)
        return None

    def failed(self, *, username: str, address: str) -> None:
        self.limiter.hit(ACCOUNT_LIMIT, "login", "account", username.lower())
        self.limiter.hit(ADDRESS_LIMIT, "login", "address", address)


def token_use_due(conn: redis.Redis, token_id: int) -> bool:
    """True at most once a minute per token: only then is last_used_at written."""
    return bool(conn.set(f"triage:token:used:{token_id}", 1, nx=True, ex=TOKEN_USE_RESOLUTION_S))
