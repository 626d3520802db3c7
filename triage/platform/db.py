"""Engine, sessions and migrations: one place that knows how to reach the database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from redis.exceptions import RedisError
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

# The whole schema is mapped before any session exists: relationships between the table modules
# (Message.routing, for one) resolve without depending on who imported what first.
from triage.platform import tables, tables_relationship, tables_replies, tables_scheduling  # noqa: F401

MIGRATIONS = Path(__file__).parent / "migrations"
# Prepared statements each SQLite connection keeps (Python's default is 128). An IN list of n ids is
# a new statement for every n, and one with 600 ids holds about 65 KB of SQLite's heap: on the
# soak, the tick's SQLite heap grew from 3 to 14 MB this way, live memory that looked like a leak
# (PostgreSQL keeps its prepared statements server-side). Our hot statements are a few dozen.
SQLITE_CACHED_STATEMENTS = 32


def make_engine(url: str) -> Engine:
    """An engine tuned per backend: SQLite gets WAL and a busy timeout so workers and API share it."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False,
                                                  "cached_statements": SQLITE_CACHED_STATEMENTS})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # JIT off: the inbox counts' correlated subqueries push their cost estimate past
    # jit_above_cost, and compiling took 750 ms of a 1 s count over 100,000 rows (bench_inbox).
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                         connect_args={"options": "-c jit=off"})


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session], *, write_lock: bool = False) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error.

    `write_lock` is for transactions that read, decide, then write (a routing pass): on SQLite
    they take the write lock first (BEGIN IMMEDIATE, waiting the busy timeout), because a deferred
    transaction that has read cannot take it once another writer has committed: SQLite answers
    "database is locked" at once, and the soak lost one routing pass in every few seconds to it.
    """
    with factory() as session, session.begin():
        if write_lock and session.get_bind().dialect.name == "sqlite":
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
        yield session


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the schema to the newest migration; safe to run on every start."""
    command.upgrade(alembic_config(url), "head")


# The database is down, locked or unreachable: the batch is fine, so retry it later (its entries
# stay pending); anything else is the data's fault and is narrowed down to the message at fault.
TRANSIENT = (OperationalError, InterfaceError, DisconnectionError, TimeoutError, ConnectionError)


def is_outage(exc: BaseException) -> bool:
    """True when the database or Redis is down or locked: retry later, the data is not at fault."""
    if isinstance(exc, RedisError):
        return True
    if not isinstance(exc, TRANSIENT):
        return False
    # SQLite files a few bad values (too big, wrong type) under OperationalError: those are data.
    text = str(getattr(exc, "orig", exc)).lower()
    return "too big" not in text and "overflow" not in text
