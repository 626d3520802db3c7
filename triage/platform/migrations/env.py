"""Alembic environment: runs migrations against the URL the service was configured with."""

from alembic import context

from triage.platform import (
    tables_scheduling,  # noqa: F401  (register tables)
)
from triage.platform.db import make_engine
from triage.platform.tables import Base

config = context.config
url = config.get_main_option("sqlalchemy.url")


def run() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=Base.metadata,
                          render_as_batch=connection.dialect.name == "sqlite")
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
