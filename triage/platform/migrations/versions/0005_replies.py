"""replies: outbox of manager replies and holding replies

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import triage.platform.types

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
WHEN = triage.platform.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'replies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('thread_id', sa.String(length=256), nullable=False),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('keep_open', sa.Boolean(), nullable=False),
        sa.Column('dry_run', sa.Boolean(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', WHEN, nullable=True),
        sa.Column('send_after', WHEN, nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('external_id', sa.String(length=512), nullable=True),
        sa.Column('dedupe_key', sa.String(length=400), nullable=True),
        sa.Column('raw', JSON, nullable=False),
        sa.Column('created_at', WHEN, nullable=False),
        sa.Column('updated_at', WHEN, nullable=False),
        sa.Column('sent_at', WHEN, nullable=True),
        sa.ForeignKeyConstraint(['message_id'], ['messages.id'],
                                name=op.f('fk_replies_message_id_messages')),
        sa.ForeignKeyConstraint(['author_id'], ['users.id'],
                                name=op.f('fk_replies_author_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_replies')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_replies_dedupe_key')),
    )
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_replies_message_id'), ['message_id'])
        batch_op.create_index('ix_replies_status_next_attempt_at', ['status', 'next_attempt_at'])
        batch_op.create_index('ix_replies_source_thread_id', ['source', 'thread_id'])


def downgrade() -> None:
    op.drop_table('replies')
