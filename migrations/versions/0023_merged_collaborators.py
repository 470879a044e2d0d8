"""task.former_collaborators and work_item.on_behalf_of: a collaborating agency merged into another is remembered by
name on the task (searched, shown beside the collaborators), and a work item its successor carries on for it says
whose part it is (two collaborators merged into one hold two runs of the same step)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 05:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('task') as batch:
        batch.add_column(sa.Column('former_collaborators', sa.JSON(), nullable=False,
                                   server_default=sa.text("'[]'")))
    with op.batch_alter_table('work_item') as batch:
        batch.add_column(sa.Column('on_behalf_of', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('work_item') as batch:
        batch.drop_column('on_behalf_of')
    with op.batch_alter_table('task') as batch:
        batch.drop_column('former_collaborators')
