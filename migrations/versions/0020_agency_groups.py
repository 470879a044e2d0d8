"""agency_group and agency_group_member: collectives a plan assigns tasks to, each member with its dates; a task
owed by a group (kind "group", group_id) has no lead of its own: its members' tasks do

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 04:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'agency_group',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('aliases', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_group')),
        sa.UniqueConstraint('name', name=op.f('uq_agency_group_name')),
    )
    op.create_table(
        'agency_group_member',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('group_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('joined_on', sa.Date(), nullable=False),
        sa.Column('left_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['group_id'], ['agency_group.id'], name=op.f('fk_agency_group_member_group_id_agency_group')),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_agency_group_member_agency_id_agency')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_group_member')),
    )
    op.create_index('ix_agency_group_member_group_agency', 'agency_group_member', ['group_id', 'agency_id'])
    op.create_index(op.f('ix_agency_group_member_agency_id'), 'agency_group_member', ['agency_id'])
    with op.batch_alter_table('task') as batch:
        batch.add_column(sa.Column('group_id', sa.Integer(), nullable=True))
        batch.create_index(batch.f('ix_task_group_id'), ['group_id'])
        batch.create_foreign_key(batch.f('fk_task_group_id_agency_group'), 'agency_group', ['group_id'], ['id'])
        batch.alter_column('lead_agency_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    with op.batch_alter_table('task') as batch:
        batch.alter_column('lead_agency_id', existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint(batch.f('fk_task_group_id_agency_group'), type_='foreignkey')
        batch.drop_index(batch.f('ix_task_group_id'))
        batch.drop_column('group_id')
    op.drop_index(op.f('ix_agency_group_member_agency_id'), table_name='agency_group_member')
    op.drop_index('ix_agency_group_member_group_agency', table_name='agency_group_member')
    op.drop_table('agency_group_member')
    op.drop_table('agency_group')
