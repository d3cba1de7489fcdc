"""text reminder numbers confirmed by a code

Revision ID: bins_0003
Revises: insights_0001
Create Date: 2026-11-30 11:00:00.000000

Numbers given before this revision were never confirmed: they get no texts until their resident confirms them.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bins_0003'
down_revision = 'insights_0001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bin_text_reminders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('code_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('code_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('wrong_codes', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('bin_text_reminders', schema=None) as batch_op:
        batch_op.drop_column('wrong_codes')
        batch_op.drop_column('code_sent_at')
        batch_op.drop_column('code_digest')
        batch_op.drop_column('confirmed_at')
