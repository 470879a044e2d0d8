"""Command-line interface (DESIGN.md §5): ``flask --app app <command>``."""

from __future__ import annotations

import functools
import json
import re

import click
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.exc import InterfaceError, OperationalError, ProgrammingError

from demo import seed
from models import ROLES
from views.errors import one_line
from workflows import clock, holidays
from workflows.accounts import groups, people
from workflows.errors import DomainError
from workflows.importing import pipeline
from workflows.ops import health
from workflows.process import catalog
from workflows.tasks import agency_changes, deadline_text

# SQLite's and PostgreSQL's words for a table or a column the schema lacks (not a database that does not exist)
_NO_SCHEMA = re.compile(r'no such (table|column)|(relation|column) "[^"]+" (of relation "[^"]+" )?does not exist')


def _guarded(app: Flask, callback, needs_schema: bool):
    """A command's failure the operator can act on, said in one line with exit status 1 instead of a traceback:
    what the product refused, a database out of reach or without its schema, or with the schema of an older
    version (``needs_schema``: checked first, the code upgraded and init-db not run), a file that cannot be read
    or written."""
    @functools.wraps(callback)
    def run(*args, **kwargs):
        try:
            if needs_schema:
                with app.app_context():
                    if (behind := health.schema_behind()) is not None:
                        said = health.SCHEMA_AHEAD if health.schema_ahead(behind) else health.SCHEMA_BEHIND
                        raise click.ClickException(said % {"here": behind, "head": health.schema_head()})
            return callback(*args, **kwargs)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        except (OperationalError, InterfaceError, ProgrammingError) as exc:
            text = str(getattr(exc, "orig", None) or exc)
            if _NO_SCHEMA.search(text):
                raise click.ClickException("Cơ sở dữ liệu chưa có lược đồ hoặc lược đồ đã cũ: chạy “flask --app app "
                                           "init-db” trước.") from exc
            if "locked" in text.lower():
                raise click.ClickException("Cơ sở dữ liệu đang bận (một tiến trình khác đang ghi): thử lại sau ít "
                                           "phút.") from exc
            if isinstance(exc, ProgrammingError):
                raise
            raise click.ClickException(f"Không kết nối được cơ sở dữ liệu ({one_line(exc)}): kiểm tra DATABASE_URL "
                                       "và máy chủ cơ sở dữ liệu.") from exc
        except OSError as exc:
            if exc.filename is None:  # (a broken pipe, a refused connection: not a file of the operator's)
                raise
            raise click.ClickException(f"Không đọc hoặc ghi được tệp {exc.filename}: {exc.strerror}.") from exc
    return run


# init-db upgrades the schema; restore says itself which revision an archive needs; a test mail needs none
ANY_SCHEMA = ("init-db", "restore", "send-test-mail")


def register(app: Flask) -> None:
    from views import backup, reports, worker

    worker.register(app)
    backup.register(app)
    reports.register_cli(app)
    _register_own(app)
    for command in app.cli.commands.values():
        if not isinstance(command, click.Group):  # (a group's own callback does nothing to guard)
            command.callback = _guarded(app, command.callback, command.name not in ANY_SCHEMA)


def _register_own(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db():
        """Create or upgrade the schema and deploy changed BPMN/DMN files; safe to run twice."""
        upgrade()
        for model in catalog.deploy(deployed_by="init-db"):
            click.echo(f"Đã triển khai {model.filename} phiên bản {model.version}")
        for used, replaced in catalog.replaced_uploads():
            click.echo(f"CẢNH BÁO: {used.process_id} dùng phiên bản {used.version} (tệp của phiên bản ứng dụng, "
                       f"{clock.to_local(used.deployed_at):%d/%m/%Y %H:%M}), thay phiên bản {replaced.version} do "
                       f"{replaced.deployed_by} tải lên. Nếu cần giữ phiên bản đó, tải lại tệp của nó ở trang Quy "
                       "trình.", err=True)
        added = holidays.ensure_defaults()
        if added:
            click.echo(f"Đã nạp {added} ngày nghỉ lễ, ngày làm bù 2025–2026 vào lịch.")
        for agency in people.ensure_agencies(catalog.named_agencies()):
            click.echo(f"Đã thêm đơn vị mà quy trình cần: {agency.name}")
        click.echo("Cơ sở dữ liệu đã sẵn sàng.")

    @app.cli.command("create-agency")
    @click.argument("name")
    @click.option("--short-name", default=None)
    def create_agency(name, short_name):
        """Add an agency to the registry."""
        agency = people.create_agency(name, short_name=short_name)
        click.echo(f"Đã tạo đơn vị: {agency.name}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--password", required=True)
    @click.option("--agency", default=None, help="Full agency name")
    @click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
    @click.option("--full-name", default=None)
    @click.option("--email", default=None)
    def create_user(username, password, agency, roles, full_name, email):
        """Create a user with one or more roles."""
        user = people.create_user(username, password, agency, list(roles), full_name, email)
        click.echo(f"Đã tạo người dùng: {user.username} ({', '.join(user.roles)})")

    @app.cli.command("create-group")
    @click.argument("name")
    @click.option("--member", "members", multiple=True, required=True,
                  help="An agency of the registry (repeat: --member A --member B)")
    @click.option("--alias", "aliases", multiple=True, help="Another name documents give the group (repeatable)")
    def create_group(name, members, aliases):
        """Create an agency group ("UBND các xã, phường"): a task assigned to it is owed by every member."""
        group = groups.create_group(None, name, list(members), list(aliases))
        click.echo(f"Đã tạo nhóm “{group.name}” gồm {len(group.memberships)} đơn vị.")

    @app.cli.command("merge-agency")
    @click.argument("old")
    @click.option("--into", "new", required=True, help="The agency that carries on (it must exist)")
    @click.option("--on", "on", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
    @click.option("--document", required=True, help="The deciding document, e.g. \"Nghị quyết số 1686/NQ-UBTVQH15\"")
    @click.option("--users", type=click.Choice(agency_changes.USER_CHOICES), default="move", show_default=True,
                  help="The old agency's people: move to the successor, keep where they are, or close")
    def merge_agency(old, new, on, document, users):
        """Merge an agency into another: its open tasks, work items and coming steps follow the successor."""
        done = agency_changes.merge_agency(None, old, new, on.date(), document, users)
        click.echo(f"Đã sáp nhập “{old}” vào “{new}”: {done.tasks} nhiệm vụ chủ trì, {done.collaborations} nhiệm vụ "
                   f"phối hợp, {done.items} việc đang mở, {done.instances} quy trình đang chạy, "
                   f"{done.users} tài khoản; {done.withdrawn} báo cáo định kỳ không còn phải nộp; {done.shares} phần "
                   "việc trong nhiệm vụ giao cho nhóm được rút (đơn vị tiếp nhận cũng được giao).")

    @app.cli.command("end-agency")
    @click.argument("name")
    @click.option("--kind", type=click.Choice(["split", "dissolved"]), required=True,
                  help="split (chia tách) or dissolved (giải thể): no single successor")
    @click.option("--on", "on", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="YYYY-MM-DD")
    @click.option("--document", required=True, help="The deciding document")
    @click.option("--users", type=click.Choice(["keep", "deactivate"]), default="keep", show_default=True)
    def end_agency(name, kind, on, document, users):
        """End an agency without a single successor: its open tasks wait for a coordinator's choice."""
        waiting = agency_changes.end_agency(None, name, kind, on.date(), document, users)
        click.echo(f"Đã ghi nhận “{name}” {agency_changes.KIND_WORDS[kind]}; {waiting} nhiệm vụ chờ Tổ giúp việc "
                   "giao lại (trang “Giao lại nhiệm vụ”).")

    @app.cli.command("sign-out-user")
    @click.argument("username")
    def sign_out_user(username):
        """End every session, remember-me cookie and API token of a user (a lost phone, someone who left)."""
        user = people.user_named(username)
        if user is None:
            raise click.ClickException(f"Không tìm thấy người dùng “{username}”.")
        people.sign_out_everywhere(None, user.id)
        click.echo(f"Đã đăng xuất {user.username} khỏi mọi nơi.")

    # (a deadline may begin with "-", as a document's list does: not an option)
    @app.cli.command("parse-deadline", context_settings={"ignore_unknown_options": True})
    @click.argument("words", nargs=-1, required=True, type=click.UNPROCESSED)
    @click.option("--issued", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="The document's date, YYYY-MM-DD")
    @click.option("--outputs", default=None, help="The expected outputs, to label several milestones")
    def parse_deadline_command(words, issued, outputs):
        """Print how a free-text deadline is understood, as JSON."""
        result = deadline_text.parse_deadline(" ".join(words), issued=issued.date() if issued else None,
                                              outputs=outputs, calendar=holidays.calendar())
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))

    @app.cli.command("import-tasks")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--directive", default=None, help="Number of the assigning document, if the file has none")
    @click.option("--issued", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
    @click.option("--dry-run", is_flag=True, help="Analyse and report; write nothing")
    @click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
    @click.option("--user", "username", default=None,
                  help="Coordinator recorded as the importer (default: the first one); a dry run needs none")
    def import_tasks(file, directive, issued, dry_run, fmt, username):
        """Import the task tables of an official document (.txt, .md, .xlsx, .docx, .pdf; scanned pages and images
        are read by OCR first, a page at a time)."""
        report = pipeline.import_file(username, file, directive, issued.date() if issued else None, dry_run,
                                      progress=lambda page, _: click.echo(f"Đã đọc ảnh quét trang {page}.",
                                                                          err=True))
        if fmt == "json":
            click.echo(json.dumps(pipeline.public_report(report), ensure_ascii=False, indent=2))
        else:
            click.echo(pipeline.text_report(report, dry_run))

    @app.cli.command("seed-demo")
    def seed_demo():
        """Load a demo province: agencies, one user per role, tasks at every step."""
        summary = seed.seed()
        click.echo(summary)
