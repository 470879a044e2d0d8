"""recurrence rule on task: its own day of the month, its weekday and its start, kept from the deadline text

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 09:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recurrence_day', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recurrence_weekday', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('recurrence_starts', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('recurrence_starts')
        batch_op.drop_column('recurrence_weekday')
        batch_op.drop_column('recurrence_day')
