"""What ``GET /healthz`` reports: one cheap round trip to the database."""

from __future__ import annotations

from sqlalchemy import func, select

from models import ProcessModel, Timer, db


def figures() -> dict[str, int]:
    """Deployed process model versions and timers still waiting to fire (raises if the database is down)."""
    pending = (select(func.count()).select_from(Timer)
               .where(Timer.fired_at.is_(None), Timer.cancelled_at.is_(None)).scalar_subquery())
    models, timers = db.session.execute(select(func.count(ProcessModel.id), pending)).one()
    return {"process_models": models, "pending_timers": timers}
