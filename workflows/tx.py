"""One commit per use case, and how to tell a lost race from a real database error."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from models import db

# What a use case sees when another writer saved the same process instance first: PostgreSQL waits on the
# row lock and then sees the change; SQLite reports the stale version column or a busy database.
RACES = (StaleDataError, OperationalError)


@contextlib.contextmanager
def transaction() -> Iterator[None]:
    """Commit once at the end of a use case; roll back everything on any exception."""
    try:
        yield
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


def serialize_on(model: type, row_id: int) -> None:
    """Make the rest of the transaction wait for any other one that called this for the same row, then see what it
    committed: a check-then-write (once a day, a one-time key) that two requests at once must not both pass. A
    write that changes nothing takes the row's lock on PostgreSQL and the database's write lock on SQLite (whose
    reads until a write see the latest commit). Call it before the check reads."""
    table = model.__table__
    key = table.primary_key.columns[0]
    db.session.execute(update(table).where(key == row_id).values({key.name: key}))


def lost_race(exc: Exception) -> bool:
    """Whether ``exc`` (one of ``RACES``) means another writer got there first, not a broken database."""
    return isinstance(exc, StaleDataError) or "locked" in str(exc).lower()
