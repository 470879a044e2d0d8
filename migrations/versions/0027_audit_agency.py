"""audit_event.agency_id: the agency the actor belonged to when they acted, so that a history line keeps the agency
of its day after the person moves or the agency merges (it showed the person's current agency). Rows written before
take the actor's agency of today, the best this database knows.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07 12:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_event') as batch:
        batch.add_column(sa.Column('agency_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(batch.f('fk_audit_event_agency_id_agency'), 'agency', ['agency_id'], ['id'])
    op.execute('UPDATE audit_event SET agency_id = (SELECT u.agency_id FROM "user" u WHERE u.id = audit_event.actor_id)'
               ' WHERE actor_id IS NOT NULL')


def downgrade():
    with op.batch_alter_table('audit_event') as batch:
        batch.drop_constraint('fk_audit_event_agency_id_agency', type_='foreignkey')
        batch.drop_column('agency_id')
