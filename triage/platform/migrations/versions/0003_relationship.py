"""relationship: CRM facts, relationship policies, storm incidents

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import triage.platform.types

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')
WHEN = triage.platform.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'contact_identities',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contact_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=True),
        sa.Column('value', sa.String(length=320), nullable=False),
        sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], ondelete='CASCADE',
                                name=op.f('fk_contact_identities_contact_id_contacts')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_identities')),
    )
    with op.batch_alter_table('contact_identities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_identities_contact_id'), ['contact_id'])
        batch_op.create_index('ix_contact_identities_kind_value', ['kind', 'value'])

    op.create_table(
        'relationship_policies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('doc', JSON, nullable=False),
        sa.Column('actor', sa.String(length=64), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_at', WHEN, nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_relationship_policies')),
        sa.UniqueConstraint('version', name=op.f('uq_relationship_policies_version')),
    )

    op.create_table(
        'incidents',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('topic', sa.String(length=280), nullable=False),
        sa.Column('text_key', sa.String(length=40), nullable=False),
        sa.Column('embedding', sa.LargeBinary(), nullable=True),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('first_seen', WHEN, nullable=False),
        sa.Column('last_seen', WHEN, nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('resolved_at', WHEN, nullable=True),
        sa.Column('resolved_by', sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents')),
    )
    with op.batch_alter_table('incidents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incidents_text_key'), ['text_key'])
        batch_op.create_index('ix_incidents_status_last_seen', ['status', 'last_seen'])

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incident_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_messages_incident_id'), ['incident_id'])


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_incident_id'))
        batch_op.drop_column('incident_id')
    op.drop_table('incidents')
    op.drop_table('relationship_policies')
    op.drop_table('contact_identities')
