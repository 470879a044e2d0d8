"""import_batch.scan and claimed_until: scanned pages read by OCR in the background worker, with its progress

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 03:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('import_batch') as batch:
        batch.add_column(sa.Column('scan', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('claimed_until', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('import_batch') as batch:
        batch.drop_column('claimed_until')
        batch.drop_column('scan')
