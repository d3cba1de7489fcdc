"""tracking_subscriptions: when the last "confirm you want updates" email was sent

Revision ID: tracking_0003
Revises: tracking_0002
Create Date: 2026-11-30 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'tracking_0003'
down_revision = 'tracking_0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tracking_subscriptions') as batch_op:
        batch_op.add_column(sa.Column('confirmation_sent_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('tracking_subscriptions') as batch_op:
        batch_op.drop_column('confirmation_sent_at')
