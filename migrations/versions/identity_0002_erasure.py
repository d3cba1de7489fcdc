"""erasure: ids never reused on SQLite (AUTOINCREMENT), foreign keys to residents with ON DELETE, and
reports.forgotten_at

Revision ID: identity_0002
Revises: waste_0001
Create Date: 2026-11-30 07:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'identity_0002'
down_revision = 'waste_0001'
branch_labels = None
depends_on = None

NEVER_REUSED = [
    'residents', 'linked_council_accounts', 'report_drafts', 'reports', 'outbox_messages',
    'delivery_attempts', 'report_photos', 'report_feedback', 'followed_requests', 'dev_mailbox',
    'tracking_status_events', 'tracking_subscriptions', 'tracking_notifications', 'tracking_case_updates',
    'audit_events', 'waste_orders', 'waste_order_payments',
]
# table: what happens to its rows when their resident is deleted
RESIDENT_REFERENCES = {
    'report_drafts': 'CASCADE',
    'reports': 'SET NULL',
    'followed_requests': 'CASCADE',
    'tracking_subscriptions': 'SET NULL',
    'tracking_case_updates': 'SET NULL',
    'waste_orders': 'SET NULL',
}
ORPHAN = 'resident_id IS NOT NULL AND resident_id NOT IN (SELECT id FROM residents)'


def _foreign_key(table):
    return f'fk_{table}_resident_id_residents'


def upgrade():
    # Rows left pointing at residents deleted before there were foreign keys.
    for table, on_delete in RESIDENT_REFERENCES.items():
        if on_delete == 'CASCADE':
            op.execute(f'DELETE FROM {table} WHERE {ORPHAN}')
        else:
            op.execute(f'UPDATE {table} SET resident_id = NULL WHERE {ORPHAN}')

    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        # An expression index is not carried over when SQLite's table is rebuilt: made again below.
        op.drop_index('ix_residents_lower_email', table_name='residents')
    for table in NEVER_REUSED:
        options = {'recreate': 'always', 'table_kwargs': {'sqlite_autoincrement': True}} if sqlite else {}
        with op.batch_alter_table(table, **options) as batch_op:
            if table in RESIDENT_REFERENCES:
                batch_op.create_foreign_key(
                    _foreign_key(table), 'residents', ['resident_id'], ['id'],
                    ondelete=RESIDENT_REFERENCES[table],
                )
            if table == 'reports':
                batch_op.add_column(sa.Column('forgotten_at', sa.DateTime(timezone=True), nullable=True))
    if sqlite:
        op.create_index('ix_residents_lower_email', 'residents', [sa.text('lower(email)')])


def downgrade():
    for table in RESIDENT_REFERENCES:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(_foreign_key(table), type_='foreignkey')
    with op.batch_alter_table('reports') as batch_op:
        batch_op.drop_column('forgotten_at')
