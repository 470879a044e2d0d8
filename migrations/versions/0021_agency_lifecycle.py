"""agency.ended_on, end_kind, end_document, successor_id: an agency merged into another or dissolved, on a date,
by a document, and the agency that carries on its work

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 05:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('agency') as batch:
        batch.add_column(sa.Column('ended_on', sa.Date(), nullable=True))
        batch.add_column(sa.Column('end_kind', sa.String(length=20), nullable=True))
        batch.add_column(sa.Column('end_document', sa.String(length=500), nullable=True))
        batch.add_column(sa.Column('successor_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f('fk_agency_successor_id_agency'), 'agency', ['successor_id'], ['id'])


def downgrade():
    with op.batch_alter_table('agency') as batch:
        batch.drop_constraint(batch.f('fk_agency_successor_id_agency'), type_='foreignkey')
        batch.drop_column('successor_id')
        batch.drop_column('end_document')
        batch.drop_column('end_kind')
        batch.drop_column('ended_on')
