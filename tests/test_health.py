"""``GET /healthz``: a load balancer learns whether this instance can serve, without logging in."""

from __future__ import annotations

from datetime import datetime, timedelta

from app import create_app
from models import ProcessInstance, db
from tests.conftest import new_task
from workflows.tasks import reminders


def test_healthz_answers_without_login_with_the_counts(app, world, frozen):
    task = new_task(world)
    client = app.test_client()

    r = client.get("/healthz")

    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["process_models"] >= 4  # every bpmn/ and dmn file deployed
    assert task.instances[0].next_timer_at is not None and body["waiting_on_timers"] == 1
    assert r.headers["Cache-Control"] == "no-store"


def test_an_instance_whose_timers_have_all_fired_no_longer_waits(app, world, frozen):
    task = new_task(world)
    assert app.test_client().get("/healthz").get_json()["waiting_on_timers"] == 1
    reminders.run_due(datetime(2100, 1, 1))  # every timer of the step fires
    db.session.expire_all()
    assert task.instances[0].next_timer_at is None
    assert app.test_client().get("/healthz").get_json()["waiting_on_timers"] == 0


def test_a_stopped_background_worker_shows_as_late_while_the_site_still_serves(app, world, frozen):
    new_task(world)
    first_due = min(row.next_timer_at for row in ProcessInstance.query.filter_by(status="running"))
    client = app.test_client()
    assert client.get("/healthz").get_json()["worker"] == "ok"

    frozen.moment = first_due + timedelta(minutes=9)  # due, but a worker may not have looked yet
    assert client.get("/healthz").get_json()["late_timers"] == 0
    frozen.moment = first_due + timedelta(minutes=11)  # nobody fired it: no worker is running
    r = client.get("/healthz")

    assert r.status_code == 200  # the pages still work: a load balancer must keep this instance
    assert r.get_json()["worker"] == "late" and r.get_json()["late_timers"] >= 1

    reminders.run_due()  # the worker comes back
    body = client.get("/healthz").get_json()
    assert body["worker"] == "ok" and body["late_timers"] == 0 and body["late_mail"] == 0


def test_healthz_is_503_with_the_reason_when_the_database_is_unreachable(tmp_path):
    broken = create_app({"TESTING": True, "DEPLOY_MODELS_ON_START": False,
                         "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'missing' / 'nowhere.db'}"})

    r = broken.test_client().get("/healthz")

    assert r.status_code == 503
    body = r.get_json()
    assert body["status"] == "error" and body["database"] == "unavailable"
    assert body["reason"].startswith("OperationalError")
    with broken.app_context():
        db.engine.dispose()


def test_a_mail_server_that_refuses_shows_as_failing_though_its_retries_are_not_late(app, world, frozen):
    """An outside check: with the mail server down /healthz said "worker": "ok" and "late_mail": 0 for hours — the
    back-off keeps moving each mail's next attempt ahead, and mail given up was not counted at all."""
    from tests.test_notify import SmtpServer, with_email
    from workflows.notify import delivery, outbox
    from workflows.tx import transaction

    down = SmtpServer()  # a port nobody listens on
    saved = dict(app.config)
    app.config.update(MAIL_ENABLED=True, MAIL_SERVER="127.0.0.1", MAIL_PORT=down.port, MAIL_USE_TLS=False)
    try:
        with_email("head")
        with transaction():
            delivery.notify([world["head"]], "reminder", "Nhắc việc")
        client = app.test_client()
        assert client.get("/healthz").get_json()["mail"] == "ok"  # queued, not tried yet
        for _ in range(3):  # the worker tries, every time the back-off allows
            outbox.send_pending()
            frozen.advance(minutes=6)
        body = client.get("/healthz").get_json()
        assert (body["worker"], body["late_mail"]) == ("ok", 0)  # the worker does its part
        assert (body["mail"], body["undelivered_mail"]) == ("failing", 1)
    finally:
        app.config.clear()
        app.config.update(saved)
