"""agency_alias: the names a person settled on an import's review list, with who made each one and from which
document; the answers recorded so far move out of agency.aliases (which keeps the registry's own aliases)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-09 09:00:00

"""
import json
import re
import unicodedata
from datetime import datetime

import sqlalchemy as sa
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def _folded(text):
    """workflows.text.fold_words as it is today (a migration does not import the application)."""
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text or "").translate(
        str.maketrans({"Đ": "D", "đ": "d", "Ð": "D", "ð": "d", "Ɖ": "D", "ɖ": "d"})))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"[^\W_]+", stripped))


def _aliases(value):
    if isinstance(value, str):
        value = json.loads(value or "[]")
    return list(value or [])


def upgrade():
    op.create_table(
        'agency_alias',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('normalized', sa.String(length=500), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=True),
        sa.Column('document', sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(['agency_id'], ['agency.id'], name=op.f('fk_agency_alias_agency_id_agency')),
        sa.ForeignKeyConstraint(['batch_id'], ['import_batch.id'],
                                name=op.f('fk_agency_alias_batch_id_import_batch')),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_agency_alias_created_by_id_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_alias')),
        sa.UniqueConstraint('normalized', name=op.f('uq_agency_alias_normalized')),
    )
    op.create_index(op.f('ix_agency_alias_agency_id'), 'agency_alias', ['agency_id'], unique=False)
    _move_settled_answers()


def _move_settled_answers():
    """Every name a coordinator mapped on the review list so far was appended to agency.aliases: it becomes a row
    with who settled it and the batch it was first seen in, and leaves the registry's list."""
    conn = op.get_bind()
    agency = sa.table('agency', sa.column('id', sa.Integer()), sa.column('aliases', sa.JSON()))
    review = sa.table('agency_review', sa.column('text', sa.String()), sa.column('normalized', sa.String()),
                      sa.column('status', sa.String()), sa.column('agency_id', sa.Integer()),
                      sa.column('seen_in_batch_id', sa.Integer()), sa.column('resolved_by_id', sa.Integer()),
                      sa.column('resolved_at', sa.DateTime()))
    batch = sa.table('import_batch', sa.column('id', sa.Integer()), sa.column('directive_number', sa.String()),
                     sa.column('filename', sa.String()))
    alias = sa.table('agency_alias', sa.column('agency_id', sa.Integer()), sa.column('text', sa.String()),
                     sa.column('normalized', sa.String()), sa.column('created_by_id', sa.Integer()),
                     sa.column('created_at', sa.DateTime()), sa.column('batch_id', sa.Integer()),
                     sa.column('document', sa.String()))
    lists = {row.id: _aliases(row.aliases) for row in conn.execute(sa.select(agency.c.id, agency.c.aliases))}
    documents = {row.id: row.directive_number or row.filename
                 for row in conn.execute(sa.select(batch.c.id, batch.c.directive_number, batch.c.filename))}
    changed, seen = set(), set()
    mapped = conn.execute(sa.select(review).where(review.c.status == 'mapped', review.c.agency_id.is_not(None)))
    for row in mapped:
        names = lists.get(row.agency_id)
        if names is None or row.text not in names or _folded(row.text) in seen:
            continue
        seen.add(_folded(row.text))
        names.remove(row.text)
        changed.add(row.agency_id)
        conn.execute(alias.insert().values(
            agency_id=row.agency_id, text=row.text, normalized=_folded(row.text)[:500],
            created_by_id=row.resolved_by_id, created_at=row.resolved_at or datetime.utcnow(),
            batch_id=row.seen_in_batch_id, document=(documents.get(row.seen_in_batch_id) or None)))
    for agency_id in changed:
        conn.execute(agency.update().where(agency.c.id == agency_id).values(aliases=lists[agency_id]))


def downgrade():
    # the settled names go back to their agency's list of aliases, as before
    conn = op.get_bind()
    agency = sa.table('agency', sa.column('id', sa.Integer()), sa.column('aliases', sa.JSON()))
    alias = sa.table('agency_alias', sa.column('agency_id', sa.Integer()), sa.column('text', sa.String()))
    lists = {row.id: _aliases(row.aliases) for row in conn.execute(sa.select(agency.c.id, agency.c.aliases))}
    for row in conn.execute(sa.select(alias.c.agency_id, alias.c.text)).all():
        if row.text not in lists[row.agency_id]:
            lists[row.agency_id].append(row.text)
            conn.execute(agency.update().where(agency.c.id == row.agency_id).values(aliases=lists[row.agency_id]))
    op.drop_index(op.f('ix_agency_alias_agency_id'), table_name='agency_alias')
    op.drop_table('agency_alias')
