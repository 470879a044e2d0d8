"""Indexes for a province's third year (an outside check at 15,000 tasks, 150,000 work items, 200,000 history
lines): an agency's tasks by its work items and its collaborations (every officer's task list scanned both tables),
a person's notifications newest first (a deep page sorted 23,000), history by time (the monitoring feed).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-08 01:00:00

"""
from alembic import op


revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_work_item_agency_task', 'work_item', ['agency_id', 'task_id'])
    op.create_index('ix_task_collaborator_agency_task', 'task_collaborator', ['agency_id', 'task_id'])
    op.create_index('ix_notification_user_created', 'notification', ['user_id', 'created_at', 'id'])
    op.create_index('ix_audit_event_at', 'audit_event', ['at'])


def downgrade():
    op.drop_index('ix_audit_event_at', table_name='audit_event')
    op.drop_index('ix_notification_user_created', table_name='notification')
    op.drop_index('ix_task_collaborator_agency_task', table_name='task_collaborator')
    op.drop_index('ix_work_item_agency_task', table_name='work_item')
