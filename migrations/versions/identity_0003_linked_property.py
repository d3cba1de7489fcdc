"""linked_council_accounts: the property (UPRN) a linked council tax account is for

Revision ID: identity_0003
Revises: identity_0002
Create Date: 2026-11-30 07:35:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'identity_0003'
down_revision = 'identity_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('linked_council_accounts') as batch_op:
        batch_op.add_column(sa.Column('property_uprn', sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table('linked_council_accounts') as batch_op:
        batch_op.drop_column('property_uprn')
