"""storm people weight: a batch adds to a storm's count of people instead of recounting it

Revision ID: 0011
Revises: 0010

Recounting a storm's people read every member, under the grouping lock, for every score batch:
95 ms per 25,000-copy storm, and the 30-minute soak slowed as its storms grew. The summed weight
of the people (core.priority.person_weight) is kept; NULL means "count afresh" (rows from before
this revision, and storms until they first reach the storm size).
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('people_weight', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.drop_column('people_weight')
