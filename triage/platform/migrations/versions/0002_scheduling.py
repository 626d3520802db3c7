"""scheduling: shifts, time off, staffing rules, pages, coverage gaps

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import triage.platform.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, triage.platform.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table('staffing_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('rules', JSON, nullable=False),
    sa.Column('templates', JSON, nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    _at('created_at'),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staffing_rules')),
    sa.UniqueConstraint('version', name=op.f('uq_staffing_rules_version'))
    )
    with op.batch_alter_table('staffing_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staffing_rules_active'), ['active'], unique=False)

    op.create_table('shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    _at('start'), _at('end'),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_shifts_staff_id_staff'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shifts'))
    )
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index('ix_shifts_end', ['end'], unique=False)
        batch_op.create_index('ix_shifts_staff_start', ['staff_id', 'start'], unique=False)

    op.create_table('time_off',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    _at('start'), _at('end'),
    sa.Column('reason', sa.String(length=256), nullable=True),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_time_off_staff_id_staff'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_time_off'))
    )
    with op.batch_alter_table('time_off', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_time_off_staff_id'), ['staff_id'], unique=False)

    op.create_table('coverage_gaps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    _at('hour'),
    sa.Column('reason', sa.Text(), nullable=False),
    _at('at'),
    sa.Column('seen_by', sa.String(length=64), nullable=True),
    _at('seen_at', nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                            name=op.f('fk_coverage_gaps_message_id_messages')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_coverage_gaps')),
    sa.UniqueConstraint('message_id', name=op.f('uq_coverage_gaps_message_id'))
    )
    with op.batch_alter_table('coverage_gaps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_coverage_gaps_hour'), ['hour'], unique=False)

    op.create_table('message_routing',
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('wait_reason', sa.Text(), nullable=True),
    _at('wait_until', nullable=True),
    sa.Column('assign_reason', sa.Text(), nullable=True),
    sa.Column('released_from', sa.Integer(), nullable=True),
    sa.Column('rules_version', sa.Integer(), nullable=True),
    _at('updated_at'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                            name=op.f('fk_message_routing_message_id_messages'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['released_from'], ['staff.id'],
                            name=op.f('fk_message_routing_released_from_staff'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('message_id', name=op.f('pk_message_routing'))
    )
    op.create_table('pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    _at('at'),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], name=op.f('fk_pages_message_id_messages')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_pages_staff_id_staff'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pages'))
    )
    with op.batch_alter_table('pages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pages_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pages_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pages_staff_id'), ['staff_id'], unique=False)


def downgrade() -> None:
    for table in ('pages', 'message_routing', 'coverage_gaps', 'time_off', 'shifts', 'staffing_rules'):
        op.drop_table(table)  # dropping a table drops its indexes on both backends
