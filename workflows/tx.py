"""One commit per use case."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from models import db


@contextlib.contextmanager
def transaction() -> Iterator[None]:
    """Commit once at the end of a use case; roll back everything on any exception."""
    try:
        yield
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
