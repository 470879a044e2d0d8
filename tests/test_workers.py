"""Several worker processes at once: every due timer fires exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import func, select

from models import AuditEvent, Timer, db
from tests.conftest import new_task, waiting_timers
from tests.test_timers import local
from workflows import clock, holidays

ROOT = Path(__file__).resolve().parent.parent


def test_four_workers_fire_200_due_timers_once_each(app, world, frozen):
    holidays.ensure_defaults()
    tasks = [new_task(world, collaborators=(), output_type="report", due=date(2026, 3, 13), title=f"Báo cáo {i}")
             for i in range(200)]
    due_reminders = [t for task in tasks for t in waiting_timers(task)
                     if t.action == "remind" and t.fire_at <= local(2026, 3, 10).replace(tzinfo=clock.UTC)]
    assert len(due_reminders) == 200
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "flask", "--app", "app", "run-timers", "--now", "2026-03-10T08:00+07:00"]
    workers = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for _ in range(4)]
    outputs = [w.communicate(timeout=300) for w in workers]
    assert [w.returncode for w in workers] == [0, 0, 0, 0], [err[-2000:] for _, err in outputs]
    db.session.expire_all()
    reminders = list(db.session.scalars(select(AuditEvent.task_id).where(AuditEvent.action == "remind")))
    assert sorted(reminders) == sorted(t.id for t in tasks)  # each task reminded exactly once
    assert db.session.scalar(select(func.count()).select_from(Timer).where(Timer.fired_at.is_not(None))) == 200
    handled = sum(int(out.split("Đã xử lý ")[1].split(" ")[0]) for out, _ in outputs)
    assert handled == 200  # the work was shared, not repeated


def test_the_worker_logs_what_its_jobs_did_not_that_they_did_nothing(app, caplog):
    """An outside check: the worker's log said "read_waiting_scans: {'batches': 0, 'pages': 0}" every 5 seconds
    (720 lines an hour) around the lines that mattered."""
    import logging

    from views import worker

    def read_waiting_scans():
        return {"batches": 0, "pages": 0}

    def send_pending():
        return {"sent": 2, "failed": 0, "retried": 0}

    def broken():
        raise RuntimeError("hỏng")

    with caplog.at_level(logging.INFO, logger="worker"):
        for function in (read_waiting_scans, send_pending, broken):
            worker.job(app, function)()  # (the worker goes on after a failing job)
    assert [r.getMessage().splitlines()[0] for r in caplog.records] == [
        "send_pending: {'sent': 2, 'failed': 0, 'retried': 0}", "job broken failed"]


def test_run_timers_says_when_its_notices_are_not_mailed(app, world, frozen):
    """An outside check: a run-timers started without the worker's MAIL_* settings made its notices unmailed, and
    said nothing: they were never mailed (the worker sends what the outbox holds, not what it never got)."""
    from views import worker

    holidays.ensure_defaults()
    new_task(world, collaborators=(), output_type="report", due=date(2026, 3, 13))
    runner = app.test_cli_runner()
    quiet = runner.invoke(args=["run-timers", "--now", "2026-03-02T08:00+07:00"])  # nothing due yet: nothing said
    assert quiet.exit_code == 0 and worker.MAIL_OFF not in quiet.output
    result = runner.invoke(args=["run-timers", "--now", "2026-03-10T08:00+07:00"])
    assert result.exit_code == 0 and "1 nhắc hạn" in result.output and worker.MAIL_OFF in result.output
