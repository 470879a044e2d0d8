"""task submission: the one-time key of the form that created a task, so that a form sent twice creates one task

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 22:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submission', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_task_submission'), ['submission'])


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_task_submission'), type_='unique')
        batch_op.drop_column('submission')
