"""inbox indexes: the first page walks priority order; counts read one covering index

Revision ID: 0010
Revises: 0007

The list's OR over statuses made both databases read every active row and sort them before
the LIMIT (515 ms p95 at 100,000 open items on SQLite). With `ix_messages_inbox_order` the
planner walks the index backwards, highest priority first (ties, rare with a float, are sorted
in a small step), and stops after 50 matches; the counts read
`ix_messages_inbox_filter` alone instead of the wide rows (text, raw JSON).
ANALYZE gives the planners the column spreads (status is not selective) to choose them.
"""
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index('ix_messages_inbox_order', ['priority', 'due_at'], unique=False)
        batch_op.create_index('ix_messages_inbox_filter', ['status', 'stage', 'incident_id',
                                                           'snoozed_until', 'assignee_id', 'urgency'],
                              unique=False)
    op.execute('ANALYZE messages' if op.get_bind().dialect.name == 'postgresql' else 'ANALYZE')


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index('ix_messages_inbox_filter')
        batch_op.drop_index('ix_messages_inbox_order')
