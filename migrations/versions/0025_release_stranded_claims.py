"""Release the open work items held by someone who may not act on them: moved to another agency, or without the
step's role (an account changed before such changes gave items back, a stand-in who took an item in their own
name). Each goes back to its agency's queue, with a line in its history; no schema change.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07 07:00:00

"""
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

REASON = "Trả về hàng chờ của đơn vị: người đang giữ không còn thuộc đơn vị hoặc không có vai trò của bước này"


def upgrade():
    bind = op.get_bind()
    held = bind.execute(sa.text(
        "SELECT w.id, w.task_id, w.instance_id, w.step_name, w.role, w.agency_id, u.agency_id, u.roles "
        "FROM work_item w JOIN \"user\" u ON u.id = w.claimed_by_id WHERE w.status = 'open'")).all()
    stranded = [row for row in held if row[6] != row[5] or row[4] not in (row[7] or "").split(",")]
    now = datetime.now(UTC).replace(tzinfo=None)
    for item_id, task_id, instance_id, step_name, *_ in stranded:
        bind.execute(sa.text("UPDATE work_item SET claimed_by_id = NULL WHERE id = :id"), {"id": item_id})
        bind.execute(sa.text("UPDATE process_instance SET version = version + 1 WHERE id = :id"), {"id": instance_id})
        bind.execute(sa.text(
            "INSERT INTO audit_event (at, task_id, work_item_id, action, from_step, comment, data) "
            "VALUES (:at, :task, :item, 'release', :step, :comment, :data)"),
            {"at": now, "task": task_id, "item": item_id, "step": step_name, "comment": REASON, "data": "{}"})
    for task_id in {row[1] for row in stranded}:  # the task's cached holders (lifecycle.holders), as they are now
        names = bind.execute(sa.text(
            "SELECT COALESCE(u.full_name, a.name, '?') FROM work_item w LEFT JOIN \"user\" u ON u.id = w.claimed_by_id "
            "LEFT JOIN agency a ON a.id = w.agency_id WHERE w.task_id = :task AND w.status = 'open' ORDER BY w.id"),
            {"task": task_id}).scalars().all()
        bind.execute(sa.text("UPDATE task SET current_holder = :holders WHERE id = :task"),
                     {"holders": "; ".join(dict.fromkeys(names)) or None, "task": task_id})


def downgrade():
    pass  # who held them is in their history; nothing to put back
