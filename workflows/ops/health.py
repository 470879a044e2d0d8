"""What ``GET /healthz`` reports: one cheap round trip to the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models import OutboxMail, ProcessModel, Timer, db
from workflows import clock

# The worker looks at the timers every 30 s and at the mail every minute by default: anything due for
# longer than this means no worker is running (or it is stuck), and reminders and mail have stopped.
LATE_AFTER = timedelta(minutes=10)


def figures() -> dict[str, int | str]:
    """Deployed process model versions, timers still waiting to fire, and what the background worker
    should have done by now and has not (raises if the database is down)."""
    late = clock.now() - LATE_AFTER
    pending = (select(func.count()).select_from(Timer)
               .where(Timer.fired_at.is_(None), Timer.cancelled_at.is_(None)).scalar_subquery())
    late_timers = (select(func.count()).select_from(Timer).where(
        Timer.fired_at.is_(None), Timer.cancelled_at.is_(None), Timer.fire_at < late).scalar_subquery())
    late_mail = (select(func.count()).select_from(OutboxMail).where(
        OutboxMail.status == "pending", OutboxMail.next_attempt_at < late).scalar_subquery())
    models, timers, overdue_timers, overdue_mail = db.session.execute(
        select(func.count(ProcessModel.id), pending, late_timers, late_mail)).one()
    return {"process_models": models, "pending_timers": timers, "late_timers": overdue_timers,
            "late_mail": overdue_mail, "worker": "late" if overdue_timers or overdue_mail else "ok"}
