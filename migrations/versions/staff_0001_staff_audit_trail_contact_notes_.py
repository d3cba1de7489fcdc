"""Council staff: the hash-chained audit trail (append-only: on PostgreSQL a trigger refuses any UPDATE),
contact notes, and who made a report or case update for a resident (assisted digital).

Revision ID: staff_0001
Revises: identity_0003
Create Date: 2026-11-30 06:41:07.738725

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'staff_0001'
down_revision = 'identity_0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('staff_subject', sa.String(length=255), nullable=False),
    sa.Column('staff_name', sa.String(length=255), nullable=True),
    sa.Column('staff_email', sa.String(length=320), nullable=True),
    sa.Column('role', sa.String(length=32), nullable=True),
    sa.Column('council_slug', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('reason_code', sa.String(length=32), nullable=True),
    sa.Column('reason_text', sa.Text(), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('previous_hash', sa.String(length=64), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_audit_entries')),
    sa.UniqueConstraint('entry_hash', name=op.f('uq_staff_audit_entries_entry_hash')),
    sa.UniqueConstraint('previous_hash', name=op.f('uq_staff_audit_entries_previous_hash')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('staff_audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_audit_entries_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_audit_entries_council_slug'), ['council_slug'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_audit_entries_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_audit_entries_reference'), ['reference'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_audit_entries_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_audit_entries_staff_subject'), ['staff_subject'], unique=False)

    op.create_table('staff_audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_hash', sa.String(length=64), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_audit_head'))
    )
    op.create_table('staff_contact_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('council_slug', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('staff_subject', sa.String(length=255), nullable=False),
    sa.Column('staff_name', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_staff_contact_notes_resident_id_residents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_contact_notes')),
    sqlite_autoincrement=True,
    )
    with op.batch_alter_table('staff_contact_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_contact_notes_resident_id'), ['resident_id'], unique=False)

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_council_slug', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('staff_channel', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('staff_agent', sa.String(length=255), nullable=True))

    with op.batch_alter_table('tracking_case_updates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('staff_council_slug', sa.String(length=64), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION staff_audit_entries_append_only() RETURNS trigger AS $$ BEGIN "
            "RAISE EXCEPTION 'staff_audit_entries is append-only'; END; $$ LANGUAGE plpgsql"
        )
        op.execute(
            "CREATE TRIGGER staff_audit_entries_append_only BEFORE UPDATE ON staff_audit_entries "
            "FOR EACH ROW EXECUTE FUNCTION staff_audit_entries_append_only()"
        )



def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER staff_audit_entries_append_only ON staff_audit_entries")
        op.execute("DROP FUNCTION staff_audit_entries_append_only()")
    with op.batch_alter_table('tracking_case_updates', schema=None) as batch_op:
        batch_op.drop_column('staff_council_slug')

    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('staff_agent')
        batch_op.drop_column('staff_channel')
        batch_op.drop_column('staff_council_slug')

    with op.batch_alter_table('staff_contact_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_contact_notes_resident_id'))

    op.drop_table('staff_contact_notes')
    op.drop_table('staff_audit_head')
    with op.batch_alter_table('staff_audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_audit_entries_staff_subject'))
        batch_op.drop_index(batch_op.f('ix_staff_audit_entries_resident_id'))
        batch_op.drop_index(batch_op.f('ix_staff_audit_entries_reference'))
        batch_op.drop_index(batch_op.f('ix_staff_audit_entries_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_staff_audit_entries_council_slug'))
        batch_op.drop_index(batch_op.f('ix_staff_audit_entries_action'))

    op.drop_table('staff_audit_entries')
