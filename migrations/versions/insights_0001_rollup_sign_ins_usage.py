"""Council insights: how each report was made (reports.channel), the council each outbox message is for,
reports per day as a rollup, residents' sign-ins, per-day counters of back-office calls, dashboard tiles and emails, feedback comments' moderation,
and the indexes the insights read

Revision ID: insights_0001
Revises: tracking_0004
Create Date: 2026-11-30 10:15:00

"""
import warnings

from alembic import op
import sqlalchemy as sa


revision = 'insights_0001'
down_revision = 'tracking_0004'
branch_labels = None
depends_on = None


def _rebuild_reports(change):
    """Alter reports in a batch (SQLite rebuilds the table), keeping its lower(email) expression index."""
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        op.drop_index('ix_reports_lower_email', table_name='reports')
    with warnings.catch_warnings():
        warnings.filterwarnings('ignore', 'Skipped unsupported reflection', sa.exc.SAWarning)
        with op.batch_alter_table('reports', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
            change(batch_op)
    if sqlite:
        op.create_index('ix_reports_lower_email', 'reports', [sa.text('lower(email)')])


def upgrade():
    op.add_column('reports', sa.Column('channel', sa.String(length=16), nullable=True))
    op.execute(
        "UPDATE reports SET channel = CASE WHEN staff_channel IS NOT NULL THEN 'assisted' "
        "WHEN resident_id IS NOT NULL THEN 'signed_in' ELSE 'guest' END"
    )
    # SQLite rebuilds the table to make the column NOT NULL, reflecting residents (its foreign key) on the way,
    # whose lower(email) index SQLAlchemy cannot read and warns about; that index is not touched. The reports'
    # own lower(email) index is an expression, which the rebuild does not carry over: it is made again after.
    _rebuild_reports(lambda batch_op: batch_op.alter_column(
        'channel', existing_type=sa.String(length=16), nullable=False
    ))
    op.create_index(
        'ix_reports_insights',
        'reports',
        ['council_slug', 'created_at'],
        postgresql_include=['report_type', 'sent_at', 'service_request_id'],
    )
    op.add_column('outbox_messages', sa.Column('council_slug', sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE outbox_messages SET council_slug = "
        "(SELECT council_slug FROM reports WHERE reports.id = outbox_messages.report_id) "
        "WHERE report_id IS NOT NULL"
    )
    op.create_index('ix_outbox_messages_status', 'outbox_messages', ['status'])

    op.create_table(
        'insights_report_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('council_slug', sa.String(length=64), nullable=False),
        sa.Column('report_type', sa.String(length=32), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('reports', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'council_slug', 'report_type', 'channel', name=op.f('pk_insights_report_days')),
    )
    day = "date(created_at AT TIME ZONE 'UTC')" if op.get_bind().dialect.name == 'postgresql' else "date(created_at)"
    op.execute(
        "INSERT INTO insights_report_days (day, council_slug, report_type, channel, reports) "
        f"SELECT {day}, council_slug, report_type, channel, COUNT(*) FROM reports "
        f"GROUP BY {day}, council_slug, report_type, channel"
    )
    op.create_table(
        'resident_sign_ins',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('resident_id', sa.Integer(), nullable=True),
        sa.Column('council_slug', sa.String(length=64), nullable=False),
        sa.Column('signed_in_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_resident_sign_ins_resident_id_residents'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_resident_sign_ins')),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f('ix_resident_sign_ins_resident_id'), 'resident_sign_ins', ['resident_id'])
    op.create_index(op.f('ix_resident_sign_ins_signed_in_at'), 'resident_sign_ins', ['signed_in_at'])
    op.create_table(
        'insights_usage_days',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('council_slug', sa.String(length=64), nullable=False),
        sa.Column('measure', sa.String(length=32), nullable=False),
        sa.Column('detail', sa.String(length=64), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'council_slug', 'measure', 'detail', name=op.f('pk_insights_usage_days')),
    )
    with op.batch_alter_table('report_feedback', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.add_column(sa.Column('comment_status', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('moderated_by', sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f('ix_report_feedback_comment_status'), ['comment_status'])
    op.execute("UPDATE report_feedback SET comment_status = 'pending' WHERE comment IS NOT NULL")


def downgrade():
    with op.batch_alter_table('report_feedback', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_feedback_comment_status'))
        batch_op.drop_column('moderated_by')
        batch_op.drop_column('moderated_at')
        batch_op.drop_column('comment_status')
    op.drop_table('insights_usage_days')
    op.drop_index(op.f('ix_resident_sign_ins_signed_in_at'), table_name='resident_sign_ins')
    op.drop_index(op.f('ix_resident_sign_ins_resident_id'), table_name='resident_sign_ins')
    op.drop_table('resident_sign_ins')
    op.drop_table('insights_report_days')
    op.drop_index('ix_outbox_messages_status', table_name='outbox_messages')
    with op.batch_alter_table('outbox_messages', table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('council_slug')
    op.drop_index('ix_reports_insights', table_name='reports')
    _rebuild_reports(lambda batch_op: batch_op.drop_column('channel'))
