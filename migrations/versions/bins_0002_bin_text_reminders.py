"""bin text reminders

Revision ID: bins_0002
Revises: migration_0001
Create Date: 2026-11-30 09:55:32.622185

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bins_0002'
down_revision = 'migration_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bin_text_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('mobile_number', sa.String(length=11), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_bin_text_reminders_resident_id_residents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bin_text_reminders')),
    sa.UniqueConstraint('resident_id', name=op.f('uq_bin_text_reminders_resident_id')),
    sqlite_autoincrement=True
    )
    op.create_table('bin_text_reminders_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('uprn', sa.String(length=12), nullable=False),
    sa.Column('collection_date', sa.Date(), nullable=False),
    sa.Column('council', sa.String(length=64), nullable=False),
    sa.Column('outbox_message_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['outbox_message_id'], ['outbox_messages.id'], name=op.f('fk_bin_text_reminders_sent_outbox_message_id_outbox_messages'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_bin_text_reminders_sent_resident_id_residents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bin_text_reminders_sent')),
    sa.UniqueConstraint('resident_id', 'uprn', 'collection_date', name='uq_bin_text_reminders_sent_collection'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('bin_text_reminders_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bin_text_reminders_sent_resident_id'), ['resident_id'], unique=False)



def downgrade():
    with op.batch_alter_table('bin_text_reminders_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bin_text_reminders_sent_resident_id'))

    op.drop_table('bin_text_reminders_sent')
    op.drop_table('bin_text_reminders')
