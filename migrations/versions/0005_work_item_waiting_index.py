"""work item index for the dashboard's longest waits

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 02:05:00

"""
from alembic import op


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.create_index('ix_work_item_status_created', ['status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.drop_index('ix_work_item_status_created')
