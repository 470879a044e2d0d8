"""Application factory: reads like a table of contents."""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from flask import Flask, request
from flask_babel import gettext
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from models import db, login_manager, migrate
from workflows import settings
from workflows.errors import N_

BASE_DIR = Path(__file__).resolve().parent
csrf = CSRFProtect()


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(BASE_DIR / "instance"))
    configure(app, overrides or {})
    register_extensions(app)
    configure_engine()
    register_i18n(app)
    register_blueprints(app)
    register_security(app)
    register_security_headers(app)
    register_logging(app)
    register_template_helpers(app)
    register_commands(app)
    deploy_process_models(app)
    if app.config["WARM_UP"]:
        warm_up(app)
    return app


def configure(app: Flask, overrides: dict) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(settings.from_environment(os.environ))  # the product's own settings, each default once
    cookies_secure = os.environ.get("COOKIE_SECURE", "0") == "1"  # required behind HTTPS in production
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get(
            "DATABASE_URL", f"sqlite:///{Path(app.instance_path) / 'app.db'}"),
        SECRET_KEY=os.environ.get("SECRET_KEY") or _local_secret(app),
        UPLOAD_FOLDER=app.config["UPLOAD_FOLDER"] or str(Path(app.instance_path) / "uploads"),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=cookies_secure,
        REMEMBER_COOKIE_SECURE=cookies_secure,
        DEPLOY_MODELS_ON_START=True,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
    )
    app.config.update(overrides)
    app.config["MAX_CONTENT_LENGTH"] = app.config["MAX_UPLOAD_BYTES"] * 3 + 1024 * 1024
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("postgres://"):  # the form some hosts hand out
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + url[len("postgres://"):]
    elif url.startswith("postgresql://"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://" + url[len("postgresql://"):]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # no JIT compiling: on a few thousand tasks PostgreSQL judged an officer's task list costly enough to compile
        # it, 300 ms per statement, for 40 ms of work (an outside check); the queries here are short
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"options": "-c jit=off", **options.get("connect_args", {})}
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)  # one INFO line per task state change


def _local_secret(app: Flask) -> str:
    """A random key kept in instance/ so that the embedded default survives restarts."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_extensions(app: Flask) -> None:
    from workflows.process import runtime
    from workflows.tasks import search

    search.listen()  # Task.search_text follows every change of a task
    runtime.listen()  # a workflow a committed action saved stays restored for the next action on it

    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = N_("Vui lòng đăng nhập để tiếp tục.")
    login_manager.localize_callback = gettext  # flashed in the interface language
    login_manager.login_message_category = "info"


def configure_engine() -> None:
    """The functions BPMN timer expressions call, and the clock they read, given to the engine once."""
    from workflows.process import timers

    timers.configure_engine()


def register_i18n(app: Flask) -> None:
    """Vietnamese by default, English for partners (``?lang=en``); translations/en holds the catalogue."""
    from views import i18n

    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(BASE_DIR / "translations"))
    i18n.init_app(app)


def register_blueprints(app: Flask) -> None:
    from views import (
        admin,
        api,
        auth,
        dashboard,
        errors,
        exports,
        imports,
        inbox,
        indicators,
        notifications,
        people,
        reports,
        scorecards,
        tasks,
        trust,
    )

    for module in (auth, inbox, tasks, imports, reports, dashboard, scorecards, indicators, exports, admin, trust,
                   notifications, people, errors):
        app.register_blueprint(module.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # bearer tokens, never cookies
    csrf.exempt(auth.logout)  # checks the token itself, while a session is signed in
    from views import health

    app.register_blueprint(health.bp)


def register_security(app: Flask) -> None:
    from views import auth

    auth.init_security(app)


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def _headers(response):
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; frame-ancestors 'none'; form-action 'self'")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.endpoint != "static" and (current_user.is_authenticated or "Authorization" in request.headers):
            # what a signed-in person read stays off the disk of a shared office computer, and "Back" after signing
            # out asks the server again (which asks to sign in) instead of showing it
            response.headers.setdefault("Cache-Control", "private, no-store")
        return response


def register_logging(app: Flask) -> None:
    from views import logging_setup

    logging_setup.init_app(app)


def register_template_helpers(app: Flask) -> None:
    from views import helpers

    helpers.register(app)


def register_commands(app: Flask) -> None:
    from views import cli

    cli.register(app)


def deploy_process_models(app: Flask) -> None:
    """Record changed bpmn/ files as new ProcessModel versions (when the schema exists)."""
    if not app.config["DEPLOY_MODELS_ON_START"]:
        return
    from sqlalchemy.exc import InterfaceError, OperationalError

    from workflows.ops import health
    from workflows.process import catalog

    with app.app_context():
        try:
            if (behind := health.schema_behind()) is not None:  # (init-db upgrades, then deploys them)
                app.logger.error(health.SCHEMA_LOG + " (process models not deployed)",
                                 {"here": behind, "head": health.schema_head()})
            elif inspect(db.engine).has_table("process_model"):
                catalog.deploy()
        except IntegrityError:  # another worker deployed the same version at the same moment
            pass
        except (OperationalError, InterfaceError) as exc:  # start anyway: pages answer 503 until it is back
            reason = (str(exc.orig or exc).strip().splitlines() or [""])[0]
            app.logger.error("database unavailable at start-up, process models not deployed: %s: %s",
                             exc.__class__.__name__, reason)


def warm_up(app: Flask) -> None:
    """Pay at start-up what the first request would (a server's first page took seconds): compile every template
    and parse the deployed process models (the diagram, the step filters). Best effort: a database not yet
    reachable leaves the models to the first request."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    from workflows.process import catalog

    for name in app.jinja_env.list_templates(filter_func=lambda n: n.endswith((".html", ".svg", ".txt"))):
        app.jinja_env.get_template(name)
    with app.app_context():
        try:
            if inspect(db.engine).has_table("process_model"):
                catalog.step_catalog()
                catalog.route("plan")
        except (OperationalError, InterfaceError):
            pass
        finally:
            db.session.remove()
