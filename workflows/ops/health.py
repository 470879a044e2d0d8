"""What ``GET /healthz`` reports: one cheap round trip to the database."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models import OutboxMail, ProcessInstance, ProcessModel, db
from workflows import clock

# The worker looks at the timers every 30 s and at the mail every minute by default: anything due for
# longer than this means no worker is running (or it is stuck), and reminders and mail have stopped.
LATE_AFTER = timedelta(minutes=10)


def figures() -> dict[str, int | str]:
    """Deployed process model versions, running instances with a timer still to fire, and what the background
    worker should have done by now and has not: instances whose next timer is late, mail not sent (raises if
    the database is down)."""
    late = clock.now() - LATE_AFTER
    running = (ProcessInstance.status == "running", ProcessInstance.next_timer_at.is_not(None))
    pending = select(func.count()).select_from(ProcessInstance).where(*running).scalar_subquery()
    late_timers = (select(func.count()).select_from(ProcessInstance)
                   .where(*running, ProcessInstance.next_timer_at < late).scalar_subquery())
    late_mail = (select(func.count()).select_from(OutboxMail).where(
        OutboxMail.status == "pending", OutboxMail.next_attempt_at < late).scalar_subquery())
    models, timers, overdue_timers, overdue_mail = db.session.execute(
        select(func.count(ProcessModel.id), pending, late_timers, late_mail)).one()
    return {"process_models": models, "waiting_on_timers": timers, "late_timers": overdue_timers,
            "late_mail": overdue_mail, "worker": "late" if overdue_timers or overdue_mail else "ok"}
