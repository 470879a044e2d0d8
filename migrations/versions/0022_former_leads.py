"""former_leads on task: the agencies that led a task before it passed to its lead by a merge or a split, searched
with it and shown beside its lead; filled for the tasks already moved from their "agency_moved" history

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 02:00:00

"""
import json

import sqlalchemy as sa
from alembic import op

from workflows.text import fold

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('former_leads', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    bind = op.get_bind()
    moves = bind.execute(sa.text(
        "SELECT task_id, data FROM audit_event WHERE action = 'agency_moved' AND task_id IS NOT NULL "
        "ORDER BY at, id")).all()
    former: dict[int, list[str]] = {}
    for task_id, data in moves:
        data = json.loads(data) if isinstance(data, str) else data
        if isinstance(data, dict) and data.get("from"):  # a lead that passed (a work item's move names none)
            former.setdefault(task_id, []).append(data["from"])
    task = sa.table('task', sa.column('id', sa.Integer), sa.column('former_leads', sa.JSON),
                    sa.column('search_text', sa.Text))
    for task_id, names in former.items():
        text = bind.execute(sa.select(task.c.search_text).where(task.c.id == task_id)).scalar()
        bind.execute(task.update().where(task.c.id == task_id).values(
            former_leads=names, search_text=" | ".join(t for t in (text, fold(" | ".join(names))) if t)))


def downgrade():
    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('former_leads')
