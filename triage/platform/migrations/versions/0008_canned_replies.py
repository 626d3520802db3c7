"""canned replies, and how many people a storm incident touches (its priority lift)

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

import triage.platform.types

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

WHEN = triage.platform.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'canned_replies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.Column('updated_by', sa.String(length=64), nullable=False),
        sa.Column('created_at', WHEN, nullable=False),
        sa.Column('updated_at', WHEN, nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('people', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('lift', sa.Float(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('lift')
        batch_op.drop_column('people')
    op.drop_table('canned_replies')
