"""trust_root and signature_check: the certificates an administrator trusts for digital signatures (ký số), and
every validation of a stored PDF's signatures (append-only; a re-validation is a new row)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 01:00:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'trust_root',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject', sa.String(length=500), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('pem', sa.Text(), nullable=False),
        sa.Column('not_after', sa.DateTime(), nullable=False),
        sa.Column('added_by_id', sa.Integer(), nullable=True),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['added_by_id'], ['user.id'], name=op.f('fk_trust_root_added_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_trust_root')),
        sa.UniqueConstraint('fingerprint', name=op.f('uq_trust_root_fingerprint')),
    )
    op.create_table(
        'signature_check',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('attachment_id', sa.Integer(), nullable=False),
        sa.Column('checked_at', sa.DateTime(), nullable=False),
        sa.Column('checked_by_id', sa.Integer(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('signatures', sa.JSON(), nullable=False),
        sa.Column('roots', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['attachment_id'], ['attachment.id'],
                                name=op.f('fk_signature_check_attachment_id_attachment')),
        sa.ForeignKeyConstraint(['checked_by_id'], ['user.id'], name=op.f('fk_signature_check_checked_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_signature_check')),
    )
    op.create_index('ix_signature_check_attachment', 'signature_check', ['attachment_id', 'id'])


def downgrade():
    op.drop_index('ix_signature_check_attachment', table_name='signature_check')
    op.drop_table('signature_check')
    op.drop_table('trust_root')
