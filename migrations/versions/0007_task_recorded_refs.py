"""recorded refs on task: the short texts recorded at steps (decision numbers), searched with the task

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 08:10:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recorded_refs', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('recorded_refs')
