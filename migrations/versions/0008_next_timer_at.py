"""next timer on the instance: the worker finds due instances by process_instance.next_timer_at; the timer
table keeps only the timers that fired

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 19:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_timer_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_process_instance_due', ['status', 'next_timer_at'], unique=False)
    # the mirror's waiting rows become one moment per instance; the rows that fired stay as the record
    op.execute("UPDATE process_instance SET next_timer_at = (SELECT min(timer.fire_at) FROM timer "
               "WHERE timer.instance_id = process_instance.id AND timer.fired_at IS NULL "
               "AND timer.cancelled_at IS NULL) WHERE status = 'running'")
    op.execute("DELETE FROM timer WHERE fired_at IS NULL")
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_index('ix_timer_due')
        batch_op.drop_column('cancelled_at')


def downgrade():
    # (the waiting timers are not mirrored back: they are in the engine states)
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(), nullable=True))
        batch_op.create_index('ix_timer_due', ['fired_at', 'fire_at'], unique=False)
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index('ix_process_instance_due')
        batch_op.drop_column('next_timer_at')
