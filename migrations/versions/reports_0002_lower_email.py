"""reports: an index on lower(email), for counting the guest reports a signed-in resident can claim

Revision ID: reports_0002
Revises: bins_0002
Create Date: 2026-11-30 10:15:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'reports_0002'
down_revision = 'bins_0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_reports_lower_email', 'reports', [sa.text('lower(email)')])


def downgrade():
    op.drop_index('ix_reports_lower_email', table_name='reports')
