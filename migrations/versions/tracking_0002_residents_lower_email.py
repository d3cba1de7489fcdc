"""residents: an index on lower(email), for the CRM status sync

Revision ID: tracking_0002
Revises: tracking_0001
Create Date: 2026-11-22 02:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'tracking_0002'
down_revision = 'tracking_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_residents_lower_email', 'residents', [sa.text('lower(email)')])


def downgrade():
    op.drop_index('ix_residents_lower_email', table_name='residents')
