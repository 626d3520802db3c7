"""The composition root: builds every service from settings; API, workers, CLI and tests use it."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

import redis
from redis.backoff import ExponentialBackoff, NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from triage.config import Settings
from triage.core.clock import Clock, SystemClock
from triage.core.scoring import Scorer
from triage.intake.connectors.base import Channel
from triage.intake.connectors.registry import load_channels
from triage.platform.db import make_engine, session_factory
from triage.platform.queue import IngestBuffer
from triage.platform.redis_server import EmbeddedRedis, port_free, reachable

log = logging.getLogger(__name__)


class UnknownSource(LookupError):
    pass


def ensure_redis(settings: Settings) -> tuple[str, EmbeddedRedis | None]:
    """The configured Redis, else the embedded one this data dir runs, started (and returned) if needed."""
    if settings.redis_url:
        return settings.redis_url, None
    state = settings.data_dir / "redis" / "url"
    port = None
    if state.exists():
        url = state.read_text().strip()
        if reachable(url):
            return url, None
        # Come back on the same port, so workers and tick reconnect by themselves after a restart.
        last = urlsplit(url).port
        port = last if last and port_free(last) else None
    server = EmbeddedRedis(settings.data_dir / "redis", port=port,
                           appendfsync=settings.redis_appendfsync).start()
    state.write_text(server.url)
    log.warning("started embedded redis-server at %s (pid %s)", server.url, server.process.pid)
    return server.url, server


def redis_url(settings: Settings) -> str:
    return ensure_redis(settings)[0]


# Retries spread over ~30 s: an embedded Redis restarted on its port answers again within that, so
# a command issued during the restart waits and succeeds instead of failing its job.
REDIS_RETRY = Retry(ExponentialBackoff(cap=5, base=0.1), retries=10)


# A webhook's budget: a platform retries a 503 anyway, so an outage is answered within ~2.5 s (a
# refused connection in ~0.3 s) instead of holding the request through the 30 s reconnect.
ACCEPT_RETRY = Retry(ExponentialBackoff(cap=0.25, base=0.1), retries=1)
ACCEPT_TIMEOUT_S = 1.0  # per connect and per reply; a healthy XADD answers in milliseconds


def without_retries(conn: redis.Redis, *, timeout: float = 2.0) -> redis.Redis:
    """A client for the same server that fails fast: a health check must answer, not wait 30 s."""
    return _same_server(conn, timeout=timeout, retry=Retry(NoBackoff(), 0), max_connections=2)


def _same_server(conn: redis.Redis, *, timeout: float, retry: Retry,
                 max_connections: int | None = None) -> redis.Redis:
    pool = conn.connection_pool
    kwargs = {**pool.connection_kwargs, "retry": retry, "socket_timeout": timeout,
              "socket_connect_timeout": timeout,
              "retry_on_error": [RedisConnectionError, RedisTimeoutError] if retry.get_retries() else []}
    if max_connections:
        kwargs["max_connections"] = max_connections
    return redis.Redis(connection_pool=redis.ConnectionPool(
        connection_class=pool.connection_class, **kwargs))


def connect_redis(url: str) -> redis.Redis:
    """A client that reconnects by itself: dropped connections are replaced and commands retried."""
    return redis.Redis.from_url(url, retry=REDIS_RETRY, retry_on_error=[RedisConnectionError,
                                                                         RedisTimeoutError],
                                health_check_interval=30, socket_keepalive=True)


@dataclass
class Services:
    settings: Settings
    engine: Engine
    db: sessionmaker[Session]
    redis: redis.Redis
    clock: Clock
    channels: dict[str, type[Channel]]
    _scorer: Scorer | None = field(default=None, repr=False)

    @cached_property
    def buffer(self) -> IngestBuffer:
        return IngestBuffer(self.redis, seen_ttl_seconds=self.settings.seen_ttl_days * 86400,
                            claim_idle=self.settings.ingest_claim_idle_seconds)

    @cached_property
    def accept_redis(self) -> redis.Redis:
        """The webhook's client: same server, a short budget (ACCEPT_RETRY), so an outage is a
        quick 503; workers keep the patient `redis`."""
        return _same_server(self.redis, timeout=ACCEPT_TIMEOUT_S, retry=ACCEPT_RETRY)

    @cached_property
    def accept_buffer(self) -> IngestBuffer:
        """The buffer as the webhook writes to it, through `accept_redis`."""
        return IngestBuffer(self.accept_redis, seen_ttl_seconds=self.settings.seen_ttl_days * 86400,
                            claim_idle=self.settings.ingest_claim_idle_seconds)

    def channel_for(self, source: str) -> Channel:
        """The connector instance for a configured source; UnknownSource if none is configured."""
        cfg = self.settings.sources.get(source)
        if cfg is None or cfg.channel not in self.channels:
            raise UnknownSource(source)
        cls = self.channels[cfg.channel]
        config = cls.Config.model_validate({"secret": cfg.secret, **cfg.options})
        return cls(config, source=source)

    @property
    def scorer(self) -> Scorer:
        """The scorer, loaded on first use so the API process never loads a model."""
        if self._scorer is None:
            from triage.scoring.scorers import load_scorer

            self._scorer = load_scorer(self.settings)
        return self._scorer


def build_services(settings: Settings, *, redis_client: redis.Redis | None = None,
                   clock: Clock | None = None, scorer: Scorer | None = None,
                   engine: Engine | None = None) -> Services:
    """Wire the service graph; every part can be injected for tests."""
    if problems := settings.runtime_problems():
        raise RuntimeError(f"refusing to start in {settings.env}: " + "; ".join(problems))
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = engine or make_engine(settings.sqlalchemy_url)
    # Forked RQ work-horses must not reuse the parent's pooled connections.
    os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
    conn = redis_client or connect_redis(redis_url(settings))
    return Services(settings=settings, engine=engine, db=session_factory(engine), redis=conn,
                    clock=clock or SystemClock(), channels=load_channels(), _scorer=scorer)


def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
