"""used_logout_tokens: the back-channel logout replay cache when Redis is not configured

Revision ID: auth_0001
Revises: tracking_0003
Create Date: 2026-11-30 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'auth_0001'
down_revision = 'tracking_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'used_logout_tokens',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_used_logout_tokens')),
    )
    with op.batch_alter_table('used_logout_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_logout_tokens_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('used_logout_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_logout_tokens_expires_at'))
    op.drop_table('used_logout_tokens')
