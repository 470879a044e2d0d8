"""export_preference: what each user last chose for an exported document (signer, signing title, Nơi nhận,
internal note or NĐ 30 document), offered again on the next export

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-10 21:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'export_preference',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_export_preference_user_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_export_preference')),
        sa.UniqueConstraint('user_id', name=op.f('uq_export_preference_user_id')),
    )


def downgrade():
    op.drop_table('export_preference')
