"""A task given more time keeps the day granted as its written deadline (``nominal_due``), which now puts it in a
reporting period: an extension used to leave the date it replaced there. For each task whose latest deadline change
is an extension ("Gia hạn đến …") and whose deadline is still the one granted; no schema change.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 09:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    bind = op.get_bind()
    latest = bind.execute(sa.text(
        "SELECT d.task_id, d.new_due, d.new_text FROM deadline_adjustment d WHERE d.id = ("
        "SELECT e.id FROM deadline_adjustment e WHERE e.task_id = d.task_id ORDER BY e.at DESC, e.id DESC LIMIT 1)"
    )).all()
    for task_id, new_due, new_text in latest:
        if (new_text or "").startswith("Gia hạn đến ") and new_due is not None:
            bind.execute(sa.text("UPDATE task SET nominal_due = due_date WHERE id = :id AND due_date = :granted"),
                         {"id": task_id, "granted": new_due})


def downgrade():
    pass  # the date replaced is in the task's deadline history
