"""The migrations build exactly the schema the tables declare, and walk back down cleanly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from triage.platform import (
    tables_scheduling,  # noqa: F401
)
from triage.platform.db import alembic_config, make_engine, migrate
from triage.platform.tables import Base


def _drift(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()


def test_migrating_a_fresh_database_gives_the_declared_schema(db_url):
    migrate(db_url)
    assert _drift(db_url) == []


def test_every_migration_downgrades_to_empty_and_upgrades_again(db_url):
    migrate(db_url)
    command.downgrade(alembic_config(db_url), "base")
    assert len(_drift(db_url)) > 0  # the tables are gone, so the schema differs
    migrate(db_url)
    assert _drift(db_url) == []
