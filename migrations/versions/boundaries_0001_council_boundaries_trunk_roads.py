"""council boundaries and trunk roads

Revision ID: boundaries_0001
Revises: staff_0001
Create Date: 2026-11-30 08:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'boundaries_0001'
down_revision = 'staff_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('council_boundaries',
    sa.Column('lad_gss', sa.String(length=9), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('geometry', sa.Text(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('lad_gss', name=op.f('pk_council_boundaries'))
    )
    op.create_table('trunk_roads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('geometry', sa.Text(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trunk_roads'))
    )


def downgrade():
    op.drop_table('trunk_roads')
    op.drop_table('council_boundaries')
