"""waste orders and their payments

Revision ID: waste_0001
Revises: auth_0001
Create Date: 2026-11-30 06:46:10

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'waste_0001'
down_revision = 'auth_0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('waste_orders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('council_slug', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('postcode', sa.String(length=10), nullable=True),
    sa.Column('uprn', sa.String(length=16), nullable=True),
    sa.Column('address', sa.String(length=255), nullable=True),
    sa.Column('email', sa.String(length=320), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('lines', sa.JSON(), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=True),
    sa.Column('payment_id', sa.String(length=64), nullable=True),
    sa.Column('booking_id', sa.String(length=64), nullable=True),
    sa.Column('permit_number', sa.String(length=64), nullable=True),
    sa.Column('collection_date', sa.Date(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.Column('refund_reason', sa.String(length=16), nullable=True),
    sa.Column('tracking_url', sa.String(length=1000), nullable=True),
    sa.Column('payment_problem', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waste_orders')),
    sa.UniqueConstraint('reference', name=op.f('uq_waste_orders_reference')),
    sa.UniqueConstraint('token', name=op.f('uq_waste_orders_token'))
    )
    with op.batch_alter_table('waste_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waste_orders_council_slug'), ['council_slug'], unique=False)
        batch_op.create_index(batch_op.f('ix_waste_orders_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_waste_orders_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_waste_orders_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_waste_orders_status'), ['status'], unique=False)

    op.create_table('waste_order_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('payment_id', sa.String(length=64), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('refunded_pence', sa.Integer(), nullable=False),
    sa.Column('refund_id', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['waste_orders.id'], name=op.f('fk_waste_order_payments_order_id_waste_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_waste_order_payments')),
    sa.UniqueConstraint('payment_id', name=op.f('uq_waste_order_payments_payment_id'))
    )
    with op.batch_alter_table('waste_order_payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_waste_order_payments_order_id'), ['order_id'], unique=False)



def downgrade():
    with op.batch_alter_table('waste_order_payments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waste_order_payments_order_id'))

    op.drop_table('waste_order_payments')
    with op.batch_alter_table('waste_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_waste_orders_status'))
        batch_op.drop_index(batch_op.f('ix_waste_orders_resident_id'))
        batch_op.drop_index(batch_op.f('ix_waste_orders_email'))
        batch_op.drop_index(batch_op.f('ix_waste_orders_created_at'))
        batch_op.drop_index(batch_op.f('ix_waste_orders_council_slug'))

    op.drop_table('waste_orders')
