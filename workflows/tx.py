"""One commit per use case, and how to tell a lost race from a real database error."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

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


def lost_race(exc: Exception) -> bool:
    """Whether ``exc`` (one of ``RACES``) means another writer got there first, not a broken database."""
    return isinstance(exc, StaleDataError) or "locked" in str(exc).lower()
