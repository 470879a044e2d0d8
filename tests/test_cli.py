"""The command-line contract of DESIGN.md §5."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date

from sqlalchemy import func, select

from models import Agency, AuditEvent, ImportBatch, Indicator, IndicatorValue, Notification, Task, User, WorkItem, db
from tests.conftest import FIXTURES
from workflows import access, clock
from workflows.importing import pipeline
from workflows.notify import bell
from workflows.tasks import fanout, period_reports, periods, reads, status


def test_init_db_is_safe_to_run_twice(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["init-db"])
        assert result.exit_code == 0, result.output
        assert "Cơ sở dữ liệu đã sẵn sàng." in result.output


def test_create_agency_and_user(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-agency", "Sở Tư pháp"]).exit_code == 0
    again = runner.invoke(args=["create-agency", "Sở Tư pháp"])
    assert again.exit_code != 0 and "đã có trong danh mục" in again.output
    ok = runner.invoke(args=["create-user", "td1", "--password", "mat-khau-dai", "--agency", "Sở Tư pháp",
                             "--role", "appraiser", "--role", "viewer"])
    assert ok.exit_code == 0, ok.output
    user = db.session.scalar(select(User).where(User.username == "td1"))
    assert user.roles == ["appraiser", "viewer"] and user.check_password("mat-khau-dai")
    bad = runner.invoke(args=["create-user", "td2", "--password", "mat-khau-dai", "--agency", "Sở Không Có",
                              "--role", "officer"])
    assert bad.exit_code != 0 and "Không tìm thấy đơn vị" in bad.output
    short = runner.invoke(args=["create-user", "td3", "--password", "123", "--role", "officer"])
    assert short.exit_code != 0 and "ít nhất 8 ký tự" in short.output
    role = runner.invoke(args=["create-user", "td4", "--password", "mat-khau-dai", "--role", "boss"])
    assert role.exit_code != 0


def test_seed_demo_makes_a_living_province(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(Agency)) >= 15
    roles = Counter(r for u in db.session.scalars(select(User)) for r in u.roles)
    assert set(roles) == {"admin", "coordinator", "officer", "agency_head", "appraiser", "approver", "viewer"}
    tasks = list(db.session.scalars(select(Task).where(Task.kind == "task")))
    assert len(tasks) >= 20
    steps = set(db.session.scalars(select(WorkItem.step_id).where(WorkItem.status == "open")))
    assert steps == {"assign", "draft", "give_opinion", "sign_opinion", "finalise", "signoff", "appraise", "approve",
                     "report", "confirm"}
    assert any(t.state == "done" for t in tasks)
    returns = Counter(e.task_id for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == "return")))
    assert 2 in returns.values() and 1 in returns.values()
    # a visitor can judge the statuses: each task was assigned on (or just after) its document's date, before
    # its first deadline, and today they are a mix of done on time and late, due soon, within and past deadline
    for t in tasks:
        assigned = clock.to_local(t.created_at).date()
        assert 0 <= (assigned - _issued(t.source_document)).days <= 4, (t.id, assigned, t.source_document)
        assert t.original_due is None or assigned < t.original_due, (t.id, assigned, t.original_due)
    statuses = Counter(status.of(t) for t in tasks)
    assert set(statuses) == {"done_on_time", "done_late", "due_soon", "in_progress", "overdue", "ongoing"}
    assert statuses["overdue"] < len(tasks) / 2, statuses
    # periodic reports only for periods after go-live, a month's reports sent on time, late or not yet
    since = period_reports.reports_since()
    assert since is not None and since <= clock.today()
    reports = list(db.session.scalars(select(Task).where(Task.kind.in_(("period_report", "agency_report")))))
    assert reports and all(periods.parse_key(r.period).due >= since for r in reports)
    assert {"done_on_time", "done_late", "overdue"} <= {status.of(r) for r in reports}
    # a task the plan gives every ward: each ward's own task, some done on time or late, some waiting
    [group_task] = db.session.scalars(select(Task).where(Task.kind == "group")).all()
    progress = fanout.progress(group_task)
    assert progress.total == 19 and 0 < progress.done < 19 and progress.overdue > 0
    assert {"done_on_time", "done_late", "overdue"} <= {status.of(t) for t in fanout.member_tasks(group_task)}
    # the named demo accounts each have something to do, and their notices open: read two hours after they
    # came when older than a week
    db.session.expire_all()
    for username in ("dieuphoi", "chuyenvien", "lanhdao", "thamdinh", "pheduyet", "phuong"):
        user = db.session.scalar(select(User).where(User.username == username))
        assert reads.inbox_count(user) > 0, username
        notes = bell.list_for(user).items
        assert notes and all(n.read_at is None or n.read_at > n.created_at for n in notes), username
    assert any(n.read_at is not None for n in db.session.scalars(select(Notification)))
    # every open work item has someone who can log in and act on it
    users = list(db.session.scalars(select(User)))
    for item in db.session.scalars(select(WorkItem).where(WorkItem.status == "open")):
        assert any(access.can_act(u, item) for u in users), (item.task_id, item.step_id, item.agency.name)
    # the indicator appendix of Kế hoạch 266-KH/TU, some 2025 values accepted, one report waiting for acceptance
    assert db.session.scalar(select(func.count()).select_from(Indicator)) == 78
    assert db.session.scalar(select(func.count()).select_from(IndicatorValue)) >= 5
    waiting = db.session.scalars(select(Task).where(Task.kind == "indicator_report", Task.state != "done")).all()
    assert [t.current_step for t in waiting] == ["Tiếp nhận số liệu chỉ tiêu"]
    # the departments merged in 2025 are recorded as such: a plan written before that names one is read as its
    # successor, and said so (an import suggested unrelated agencies for "Sở Thông tin và Truyền thông")
    coordinator = db.session.scalar(select(User).where(User.username == "dieuphoi"))
    table = ("STT\tTên nhiệm vụ\tĐơn vị chủ trì\tThời gian hoàn thành\tKết quả/sản phẩm\n"
             "1\tXây dựng Kiến trúc chính quyền số\tSở Thông tin và Truyền thông\tQuý IV/2027\tKế hoạch\n")
    [row] = pipeline.preview(coordinator, "ke-hoach-2024.txt", table.encode()).report["appendices"][0]["rows"]
    assert row["lead_agencies"] == ["Sở Khoa học và Công nghệ"]
    assert any("đã sáp nhập vào “Sở Khoa học và Công nghệ” từ ngày 01/03/2025" in w for w in row["warnings"])
    assert "đã có sẵn" in runner.invoke(args=["seed-demo"]).output


def _issued(document: str) -> date:
    day, month, year = re.search(r"ngày (\d{1,2})/(\d{1,2})/(\d{4})", document).groups()
    return date(int(year), int(month), int(day))


def test_init_db_adds_the_bodies_the_processes_name(app):
    """A fresh install can assign a plan at once: routing.dmn's appraising bodies and competent authority, the
    standing agency and the assigning authority are in the registry after init-db (issue 14, defect 2)."""
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    names = set(db.session.scalars(select(Agency.name)))
    assert {"Sở Tư pháp", "Sở Nội vụ", "Sở Khoa học và Công nghệ", "UBND tỉnh"} <= names
    assert "Đã thêm đơn vị mà quy trình cần: UBND tỉnh" in result.output
    again = app.test_cli_runner().invoke(args=["init-db"])
    assert "Đã thêm đơn vị" not in again.output


def test_a_dry_run_needs_no_coordinator(app):
    """A dry run writes nothing, so it runs on a database without any user (issue 15); the real run still
    needs a coordinator to record, and a user named on a dry run is checked as the real run would."""
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    runner = app.test_cli_runner()
    path = str(next(FIXTURES.glob("000_*.txt")))
    dry = runner.invoke(args=["import-tasks", path, "--dry-run", "--format", "json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["appendices"][0]["rows_in_source"] == 11
    text = runner.invoke(args=["import-tasks", path, "--dry-run"])
    assert text.exit_code == 0 and "Chạy thử (--dry-run): không ghi gì." in text.output
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    assert db.session.scalar(select(func.count()).select_from(Task)) == 0
    for args in (["import-tasks", path], ["import-tasks", path, "--dry-run", "--user", "khong-co"]):
        refused = runner.invoke(args=args)
        assert refused.exit_code != 0 and "Cần một tài khoản Tổ giúp việc" in refused.output


def test_a_name_the_registry_has_in_another_spelling_is_refused_and_an_import_never_crashes_on_one(app):
    """An outside check: "Sở  Nội  vụ" (two spaces) or "SỞ NỘI VỤ" beside "Sở Nội vụ" was added from the command line
    (the administrator's form refused them); every import then stopped with a traceback, a 500 on the web."""
    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-agency", "Sở Nội vụ"]).exit_code == 0
    assert runner.invoke(args=["create-agency", "Sở Khoa học và Công nghệ"]).exit_code == 0
    db.session.scalar(select(Agency).where(Agency.name == "Sở Nội vụ")).aliases = ["SNV"]
    db.session.commit()
    for spelling in ("Sở  Nội  vụ", "SỞ NỘI VỤ"):
        refused = runner.invoke(args=["create-agency", spelling])
        assert refused.exit_code == 1
        assert "Đã có đơn vị mang tên này (“Sở Nội vụ” đã có trong danh mục)." in refused.output
    alias = runner.invoke(args=["create-agency", "SNV"])
    assert alias.exit_code == 1 and "Tên này đã là tên gọi khác của “Sở Nội vụ”" in alias.output
    assert db.session.scalar(select(func.count()).select_from(Agency)) == 2
    # a registry kept from before the check: the import says what to mend, without a traceback
    db.session.add(Agency(name="Sở  Nội  vụ"))
    db.session.commit()
    result = runner.invoke(args=["import-tasks", str(FIXTURES / "000_ab3eae2516c89758.txt"), "--dry-run"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "Danh mục có hai đơn vị cùng tên “Sở Nội vụ” và “Sở  Nội  vụ”" in result.output


def test_create_user_checks_what_the_administrators_form_checks(app):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["create-agency", "Sở Tư pháp"]).exit_code == 0
    cases = {
        ("bad name/x", "--role", "viewer"): "Tên đăng nhập gồm 2–80 chữ cái không dấu",
        ("td5", "--role", "viewer", "--email", "not-an-email"): "Địa chỉ thư điện tử không hợp lệ",
        ("td6", "--role", "officer", "--role", "approver"): "phải thuộc một đơn vị",
        ("u" * 100, "--role", "viewer"): "Tên đăng nhập gồm 2–80",
        ("td7", "--role", "viewer", "--full-name", "x" * 300): "Họ và tên tối đa 200 ký tự",
    }
    for (username, *options), said in cases.items():
        result = runner.invoke(args=["create-user", username, "--password", "mat-khau-dai", *options])
        assert result.exit_code == 1 and said in result.output and "Traceback" not in result.output, result.output
    long = runner.invoke(args=["create-agency", "Sở " + "A" * 300])
    assert long.exit_code == 1 and "Tên đơn vị tối đa 255 ký tự." in long.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_the_commands_say_in_one_line_what_the_operator_must_mend(app, tmp_path):
    """An outside check: a bad --now, a backup into a folder that does not exist, a database without its schema or
    out of reach each printed a traceback (one of them a new password's hash among its parameters)."""
    from app import create_app

    runner = app.test_cli_runner()
    cases = [
        (runner, ["run-timers", "--now", "bad"], "--now"),
        (runner, ["backup", str(tmp_path / "no" / "such" / "x.zip")], "Không đọc hoặc ghi được tệp"),
    ]
    for url, said in ((f"sqlite:///{tmp_path / 'empty.db'}", "Cơ sở dữ liệu chưa có lược đồ hoặc lược đồ đã cũ: chạy "
                                                           "“flask --app app init-db” trước."),
                      ("postgresql+psycopg://postgres@127.0.0.1:1/none", "Không kết nối được cơ sở dữ liệu")):
        cases.append((create_app({"TESTING": True, "DEPLOY_MODELS_ON_START": False, "SQLALCHEMY_DATABASE_URI": url}),
                      ["create-user", "td1", "--password", "mat-khau-dai", "--role", "viewer"], said))
    for which, args, said in cases:
        if which is runner:
            result = runner.invoke(args=args)
        else:  # (a command runs in the app context it finds: the other application's, then)
            with which.app_context():
                result = which.test_cli_runner().invoke(args=args)
                db.engine.dispose()
        assert result.exit_code in (1, 2) and said in result.output, (args, result.output)
        assert "Traceback" not in result.output and "scrypt" not in result.output


def test_a_deadline_that_begins_with_a_dash_is_read_not_taken_for_an_option(app):
    """DOMAIN.md's deadlines begin with "-" as a document's list writes them: "No such option '- '"."""
    result = app.test_cli_runner().invoke(args=["parse-deadline", "- Tháng 11/2025 - Tháng 9/2028",
                                                "--issued", "2025-04-26"])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.output)
    assert [m["due"] for m in parsed["milestones"]] == ["2025-11-30", "2028-09-30"]
