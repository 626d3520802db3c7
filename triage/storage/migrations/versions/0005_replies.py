"""replies: outbox of manager replies, author links

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # placeholder reserved for this revision's owner; fill in, keep the id


def downgrade() -> None:
    pass
