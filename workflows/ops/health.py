"""What ``GET /healthz`` reports: one cheap round trip to the database."""

from __future__ import annotations

import functools
from datetime import timedelta
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import and_, func, inspect, or_, select, text

from models import OutboxMail, ProcessInstance, ProcessModel, db
from workflows import clock

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
# The worker looks at the timers every 30 s and at the mail every minute by default: anything due for
# longer than this means no worker is running (or it is stuck), and reminders and mail have stopped.
LATE_AFTER = timedelta(minutes=10)
# A mail server refusing or out of reach: mail tried and still not taken after LATE_AFTER, or given up within this.
GIVEN_UP_SHOWN = timedelta(days=1)


def figures() -> dict[str, int | str]:
    """Deployed process model versions, running instances with a timer still to fire, what the background worker
    should have done by now and has not (instances whose next timer is late, mail not tried), and mail the server
    has not taken: tried and still waiting after ten minutes, or given up within a day — its back-off keeps such
    mail out of "late_mail" (raises if the database is down)."""
    late = clock.now() - LATE_AFTER
    running = (ProcessInstance.status == "running", ProcessInstance.next_timer_at.is_not(None))
    pending = select(func.count()).select_from(ProcessInstance).where(*running).scalar_subquery()
    late_timers = (select(func.count()).select_from(ProcessInstance)
                   .where(*running, ProcessInstance.next_timer_at < late).scalar_subquery())
    waiting = OutboxMail.status.in_(("pending", "sending"))
    late_mail = (select(func.count()).select_from(OutboxMail).where(waiting, OutboxMail.next_attempt_at < late)
                 .scalar_subquery())
    refused = (select(func.count()).select_from(OutboxMail).where(or_(
        and_(waiting, OutboxMail.attempts > 0, OutboxMail.created_at < late),
        # given up (at ``next_attempt_at``) within the day; an address refused is the address's fault, not the server's
        and_(OutboxMail.status == "failed", OutboxMail.next_attempt_at >= clock.now() - GIVEN_UP_SHOWN)))
        .scalar_subquery())
    models, timers, overdue_timers, overdue_mail, undelivered = db.session.execute(
        select(func.count(ProcessModel.id), pending, late_timers, late_mail, refused)).one()
    return {"process_models": models, "waiting_on_timers": timers, "late_timers": overdue_timers,
            "late_mail": overdue_mail, "worker": "late" if overdue_timers or overdue_mail else "ok",
            "undelivered_mail": undelivered, "mail": "failing" if undelivered else "ok"}


@functools.cache
def schema_head() -> str:
    """The migration this version of the code runs on."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def schema_behind() -> str | None:
    """None when the database's schema is the code's (or there is no schema yet: init-db's to make); else the
    revision it is at: the code was upgraded and ``init-db`` not run, and every page would fail on a column the
    schema lacks."""
    connection = db.session.connection()
    if not inspect(connection).has_table("alembic_version"):
        return None if not inspect(connection).has_table("task") else "(không rõ)"
    here = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if here == schema_head() else (here or "(không rõ)")


SCHEMA_LOG = "database schema at %(here)s, this version of the code needs %(head)s: run `flask --app app init-db`"
SCHEMA_AHEAD_LOG = ("database schema at %(here)s, newer than this version of the code (%(head)s): install the release "
                    "that migrated it")
SCHEMA_AHEAD = ("Cơ sở dữ liệu ở lược đồ %(here)s, mới hơn phiên bản ứng dụng này (%(head)s): cài lại phiên bản ứng "
                "dụng đã nâng cấp nó (init-db không hạ lược đồ được).")


def schema_ahead(here: str) -> bool:
    """Whether ``here`` is a revision this code does not know: a newer release migrated the database."""
    try:
        return ScriptDirectory(str(MIGRATIONS)).get_revision(here) is None
    except CommandError:  # (alembic's answer to a revision id it does not know)
        return True


SCHEMA_BEHIND = ("Cơ sở dữ liệu ở lược đồ %(here)s, phiên bản ứng dụng này cần %(head)s: chạy “flask --app app "
                 "init-db” để nâng cấp (sao lưu trước, bằng phiên bản ứng dụng cũ).")
