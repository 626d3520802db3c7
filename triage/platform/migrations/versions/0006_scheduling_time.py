"""scheduling time: breaks people take, roster publications

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import triage.platform.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, triage.platform.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('breaks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    _at('start'), _at('end'),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_breaks_staff_id_staff'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_breaks'))
    )
    with op.batch_alter_table('breaks', schema=None) as batch_op:
        batch_op.create_index('ix_breaks_staff_start', ['staff_id', 'start'], unique=False)

    op.create_table('roster_publications',
    sa.Column('id', sa.Integer(), nullable=False),
    _at('week_start'),
    sa.Column('published_by', sa.String(length=64), nullable=False),
    _at('published_at'),
    sa.Column('rules_version', sa.Integer(), nullable=False),
    sa.Column('plan_status', sa.String(length=32), nullable=False),
    sa.Column('added', sa.Integer(), nullable=False),
    sa.Column('removed', sa.Integer(), nullable=False),
    sa.Column('kept', sa.Integer(), nullable=False),
    sa.Column('skipped', JSON, nullable=False),
    sa.Column('uncovered_total', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_publications'))
    )
    with op.batch_alter_table('roster_publications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_publications_week_start'), ['week_start'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('roster_publications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_publications_week_start'))
    op.drop_table('roster_publications')
    with op.batch_alter_table('breaks', schema=None) as batch_op:
        batch_op.drop_index('ix_breaks_staff_start')
    op.drop_table('breaks')
