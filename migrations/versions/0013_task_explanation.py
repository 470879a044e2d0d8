"""task_explanation: the lead agency's explanation (giải trình) of an overdue task and the date it expects to
finish, written on the task page; reports quote the latest one

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-10 20:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'task_explanation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('expected_on', sa.Date(), nullable=True),
        sa.Column('author_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['task.id'], name=op.f('fk_task_explanation_task_id_task')),
        sa.ForeignKeyConstraint(['author_id'], ['user.id'], name=op.f('fk_task_explanation_author_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_task_explanation')),
    )
    op.create_index('ix_task_explanation_task_created', 'task_explanation', ['task_id', 'created_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_task_explanation_task_created', table_name='task_explanation')
    op.drop_table('task_explanation')
