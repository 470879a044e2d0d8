"""timer: one record per timer and moment (not per timer): a timer of an open step that fired for the old due date
fires again for the new one after an extension

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07 06:00:00

"""
from alembic import op


revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('timer') as batch:
        batch.drop_constraint('uq_timer_instance_id', type_='unique')
        batch.create_unique_constraint('uq_timer_instance_id', ['instance_id', 'engine_task_id', 'fire_at'])


def downgrade():
    with op.batch_alter_table('timer') as batch:
        batch.drop_constraint('uq_timer_instance_id', type_='unique')
        batch.create_unique_constraint('uq_timer_instance_id', ['instance_id', 'engine_task_id'])
