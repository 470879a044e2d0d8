"""Background work from the command line: ``run-timers`` (once) and ``worker`` (continuously).

The database is the source of truth (the timer and outbox tables); APScheduler only decides when
to look. Several workers may run at once: each timer fires once (see ``workflows.tasks.reminders``).
"""

from __future__ import annotations

import logging
import signal
import sys
from datetime import UTC, datetime

import click
from flask import Flask

from workflows import clock
from workflows.importing import pipeline
from workflows.notify import outbox
from workflows.tasks import period_reports, reminders

log = logging.getLogger("worker")
MAIL_OFF = ("Lưu ý: MAIL_ENABLED đang tắt trong lệnh này nên các thông báo trên chỉ hiện ở trang Thông báo, không "
            "được gửi thư. Chạy lệnh với cùng các biến MAIL_* như worker.")


def generate_reports() -> dict[str, int]:
    """Today's periodic report instances (idempotent: safe to run any number of times)."""
    return period_reports.generate(period_reports.generator(), clock.today())


def job(app: Flask, function):
    """``function`` as a scheduled job: in an application context, its result logged when it did something (not
    "{'batches': 0, 'pages': 0}" every 5 seconds), a failure logged without stopping the worker."""
    def run():
        with app.app_context():
            try:
                result = function()
                if result and (not isinstance(result, dict) or any(result.values())):
                    log.info("%s: %s", function.__name__, result)
            except Exception:  # a failing job must not stop the worker
                log.exception("job %s failed", function.__name__)
    return run


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
        if (counts["reminders"] or counts["escalations"]) and not outbox.mail_enabled():
            # (whether a notice is mailed is decided where it is made: here, not in the worker)
            click.echo(MAIL_OFF)
        mail = outbox.send_pending()
        if any(mail.values()):
            click.echo(f"Thư: {mail['sent']} đã gửi, {mail['retried']} sẽ gửi lại, {mail['failed']} thất bại.")

    @app.cli.command("send-test-mail")
    @click.argument("address")
    def send_test_mail(address):
        """Send one mail to ADDRESS now through the configured mail server: a check of the MAIL_* settings."""
        server = f"{outbox.config('MAIL_SERVER')}:{outbox.config('MAIL_PORT')}"
        error = outbox.send_test(address)
        if error is not None:
            raise click.ClickException(f"Không gửi được thư thử đến {address} qua máy chủ {server}: {error}")
        click.echo(f"Đã gửi thư thử đến {address} qua máy chủ {server}."
                   + ("" if outbox.mail_enabled() else " Lưu ý: MAIL_ENABLED đang tắt nên thư thông báo chưa được "
                                                       "gửi."))

    @app.cli.command("worker")
    @click.option("--interval", default=30, show_default=True, help="Seconds between two looks at the timers")
    def worker(interval):
        """Run timers, mail, periodic reports and the OCR of scanned imports continuously (Ctrl+C to stop)."""
        from apscheduler.schedulers.blocking import BlockingScheduler

        logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)  # not two lines per job run
        scheduler = BlockingScheduler(timezone=str(clock.LOCAL_TZ))
        for function, trigger in ((reminders.run_due, {"trigger": "interval", "seconds": interval}),
                                  (outbox.send_pending, {"trigger": "interval", "seconds": 60}),
                                  (pipeline.read_waiting_scans, {"trigger": "interval", "seconds": 5}),
                                  (outbox.queue_digests, {"trigger": "cron", "hour": 16, "minute": 30}),
                                  (generate_reports, {"trigger": "cron", "hour": 6, "minute": 0})):
            scheduler.add_job(job(app, function), name=function.__name__, max_instances=1, coalesce=True, **trigger)
        # a supervisor's stop (systemd, a deploy) ends like Ctrl+C: the job under way finishes (a mail being sent
        # is marked sent), and the log says the worker stopped rather than just ending
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        click.echo(f"Worker chạy: xem hạn mỗi {interval} giây. Nhấn Ctrl+C để dừng.")
        if not outbox.mail_enabled():
            click.echo("Lưu ý: MAIL_ENABLED đang tắt: thông báo chỉ hiện ở trang Thông báo, không được gửi thư.")
        log.info("worker started")
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        finally:
            if scheduler.running:
                scheduler.shutdown(wait=True)
            log.info("worker stopped")
