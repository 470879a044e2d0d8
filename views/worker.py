"""Background work from the command line: ``run-timers`` (once) and ``worker`` (continuously).

The database is the source of truth (the timer and outbox tables); APScheduler only decides when
to look. Several workers may run at once: each timer fires once (see ``workflows.tasks.reminders``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import click
from flask import Flask

from workflows import clock
from workflows.importing import pipeline
from workflows.notify import outbox
from workflows.tasks import period_reports, reminders

log = logging.getLogger("worker")


def generate_reports() -> dict[str, int]:
    """Today's periodic report instances (idempotent: safe to run any number of times)."""
    return period_reports.generate(period_reports.generator(), clock.today())


def register(app: Flask) -> None:
    @app.cli.command("run-timers")
    @click.option("--now", "now_text", default=None,
                  help="Fire what is due at this moment (ISO, e.g. 2026-03-16T08:00+07:00); default: now")
    def run_timers(now_text):
        """Fire the reminders and escalations that are due, once."""
        now = None
        if now_text:
            try:
                moment = datetime.fromisoformat(now_text)
            except ValueError:
                raise click.BadParameter("một thời điểm theo ISO 8601, ví dụ 2026-03-16T08:00+07:00.",
                                         param_hint="--now") from None
            now = (moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=clock.LOCAL_TZ)
                   .astimezone(UTC)).replace(tzinfo=None)
            clock.set_clock(clock.FrozenClock(now))
        counts = reminders.run_due(now)
        click.echo(f"Đã xử lý {counts['instances']} hồ sơ: {counts['reminders']} nhắc hạn, "
                   f"{counts['escalations']} báo quá hạn.")
        mail = outbox.send_pending()
        if any(mail.values()):
            click.echo(f"Thư: {mail['sent']} đã gửi, {mail['retried']} sẽ gửi lại, {mail['failed']} thất bại.")

    @app.cli.command("worker")
    @click.option("--interval", default=30, show_default=True, help="Seconds between two looks at the timers")
    def worker(interval):
        """Run timers, mail, periodic reports and the OCR of scanned imports continuously (Ctrl+C to stop)."""
        from apscheduler.schedulers.blocking import BlockingScheduler

        def job(function):
            def run():
                with app.app_context():
                    try:
                        result = function()
                        if result:
                            log.info("%s: %s", function.__name__, result)
                    except Exception:  # a failing job must not stop the worker
                        log.exception("job %s failed", function.__name__)
            return run

        logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)  # not two lines per job run
        scheduler = BlockingScheduler(timezone=str(clock.LOCAL_TZ))
        scheduler.add_job(job(reminders.run_due), "interval", seconds=interval, max_instances=1, coalesce=True)
        scheduler.add_job(job(outbox.send_pending), "interval", seconds=60, max_instances=1, coalesce=True)
        scheduler.add_job(job(pipeline.read_waiting_scans), "interval", seconds=5, max_instances=1, coalesce=True)
        scheduler.add_job(job(outbox.queue_digests), "cron", hour=16, minute=30, max_instances=1, coalesce=True)
        scheduler.add_job(job(generate_reports), "cron", hour=6, minute=0, max_instances=1, coalesce=True)
        click.echo(f"Worker chạy: xem hạn mỗi {interval} giây. Nhấn Ctrl+C để dừng.")
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
