"""central agencies on task: the ministries and central offices that lead a task nationally, as the document
names them, beside the province's own lead

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 21:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('central_agencies', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[]'")))


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('central_agencies')
