"""tracking_case_updates: updates on a council's CRM case (no report), the contact centre's channel and
agent, and when a CRM refused an update

Revision ID: tracking_0004
Revises: reports_0002
Create Date: 2026-11-30 10:10:00

"""
import warnings
from contextlib import contextmanager

from alembic import op
import sqlalchemy as sa


revision = 'tracking_0004'
down_revision = 'reports_0002'
branch_labels = None
depends_on = None


@contextmanager
def _rebuilt_quietly():
    """On SQLite the table is rebuilt; reflecting the residents table it refers to warns that its lower(email)
    index cannot be reflected, which the rebuild does not touch."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "Skipped unsupported reflection of expression-based index", sa.exc.SAWarning
        )
        yield


def upgrade():
    with _rebuilt_quietly(), op.batch_alter_table('tracking_case_updates') as batch_op:
        batch_op.alter_column('report_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('crm_council_slug', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('crm_reference', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('staff_channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('staff_agent', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('refused_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            'ix_tracking_case_updates_crm_case', ['crm_council_slug', 'crm_reference'], unique=False
        )
        batch_op.create_check_constraint(
            'ck_tracking_case_updates_one_case', '(report_id IS NULL) != (crm_reference IS NULL)'
        )


def downgrade():
    op.execute("DELETE FROM tracking_case_updates WHERE report_id IS NULL")
    with _rebuilt_quietly(), op.batch_alter_table('tracking_case_updates') as batch_op:
        batch_op.drop_constraint('ck_tracking_case_updates_one_case', type_='check')
        batch_op.drop_index('ix_tracking_case_updates_crm_case')
        batch_op.drop_column('refused_at')
        batch_op.drop_column('staff_agent')
        batch_op.drop_column('staff_channel')
        batch_op.drop_column('crm_reference')
        batch_op.drop_column('crm_council_slug')
        batch_op.alter_column('report_id', existing_type=sa.Integer(), nullable=False)
