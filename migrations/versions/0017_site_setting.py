"""site_setting: installation facts a person sets (the date periodic reporting began)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 00:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'site_setting',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.String(length=255), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_site_setting')),
    )


def downgrade():
    op.drop_table('site_setting')
