"""District portal accounts brought into the shared sign-in, with legacy password hashes until first sign-in.

Revision ID: migration_0001
Revises: bins_0001
Create Date: 2026-11-30 08:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'migration_0001'
down_revision = 'bins_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('migrated_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_slug', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('scenario', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=True),
    sa.Column('given_name', sa.String(length=255), nullable=True),
    sa.Column('family_name', sa.String(length=255), nullable=True),
    sa.Column('uprn', sa.String(length=16), nullable=True),
    sa.Column('postcode', sa.String(length=16), nullable=True),
    sa.Column('council_tax_reference', sa.String(length=64), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=True),
    sa.Column('last_error', sa.String(length=255), nullable=True),
    sa.Column('legacy_hash', sa.Text(), nullable=True),
    sa.Column('legacy_scheme', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('migrated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('announced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reset_email_queued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('first_signed_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hash_deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_migrated_accounts')),
    sa.UniqueConstraint('council_slug', 'account_id', name='uq_migrated_accounts_council_account'),
    sqlite_autoincrement=True
    )
    with op.batch_alter_table('migrated_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_migrated_accounts_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_migrated_accounts_subject'), ['subject'], unique=False)


def downgrade():
    with op.batch_alter_table('migrated_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_migrated_accounts_subject'))
        batch_op.drop_index(batch_op.f('ix_migrated_accounts_email'))

    op.drop_table('migrated_accounts')
