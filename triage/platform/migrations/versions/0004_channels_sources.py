"""channel sources: poll schedule, cursor, status

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

import triage.platform.types

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

WHEN = triage.platform.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_poll_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('failures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_ok_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('last_polled_at', WHEN, nullable=True))
        batch_op.add_column(sa.Column('taken', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('config_digest', sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        for column in ('config_digest', 'taken', 'last_polled_at', 'last_ok_at', 'failures',
                       'next_poll_at'):
            batch_op.drop_column(column)
