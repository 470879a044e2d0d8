"""The schema history: migrations match the models, and an existing database upgrades with its data."""

from __future__ import annotations

import json
import logging
import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app import create_app
from models import db
from workflows.ops import health as health_checks


def schema_at(tmp_path, revision: str):
    """An SQLite file at ``revision``, to fill as the older release left it, and the app that upgrades it."""
    path = tmp_path / "old.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "DEPLOY_MODELS_ON_START": False})
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()
    return app, path


def upgraded(con: sqlite3.Connection, app, path, revision: str = "head") -> sqlite3.Connection:
    """Commit what ``con`` wrote, upgrade the file to ``revision`` and connect again to read it."""
    con.commit()
    con.close()
    with app.app_context():
        upgrade(revision=revision)
        db.engine.dispose()
    return sqlite3.connect(path)


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_a_filled_database_upgrades_from_the_first_schema(tmp_path):
    """SQLite rebuilds tables to change them: the rows that reference them must survive."""
    app, path = schema_at(tmp_path, "0001")
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("INSERT INTO agency (id, name, aliases, active) VALUES (1, 'Sở Tư pháp', '[]', 1)")
    con.execute("INSERT INTO task (id, code, title, lead_agency_id, output_type, milestones, state, created_at) "
                "VALUES (1, 'NV-00001', 'Nhiệm vụ cũ', 1, 'plan', '[]', 'active', '2026-01-01 00:00:00')")
    con.execute("INSERT INTO task_collaborator (task_id, agency_id) VALUES (1, 1)")
    con = upgraded(con, app, path)
    assert con.execute("SELECT title, done_at_issue FROM task").fetchall() == [("Nhiệm vụ cũ", 0)]
    assert con.execute("SELECT count(*) FROM task_collaborator").fetchone() == (1,)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()


def test_the_names_settled_on_review_lists_become_aliases_with_their_provenance(tmp_path):
    """0011: a name a coordinator mapped leaves agency.aliases for agency_alias, with who and which document;
    the registry's own aliases stay where they are."""
    app, path = schema_at(tmp_path, "0010")
    con = sqlite3.connect(path)
    con.execute("INSERT INTO agency (id, name, aliases, active) VALUES (1, 'Sở Khoa học và Công nghệ', "
                "'[\"Sở Khoa học và Công ngh\", \"Sở KHCN&ĐMST tỉnh\"]', 1)")
    con.execute("INSERT INTO user (id, username, full_name, agency_id, roles, password_hash, email_digest, active, "
                "created_at, session_secret) VALUES (7, 'coord', 'Điều phối viên', 1, 'coordinator', 'x', 0, 1, "
                "'2026-01-01 00:00:00', 's')")
    con.execute("INSERT INTO import_batch (id, filename, sha256, status, directive_number, report, source, "
                "created_at) VALUES (3, 'ke-hoach.txt', 'abc', 'committed', '12-KH/BCĐ', '{}', '', "
                "'2026-01-02 00:00:00')")
    con.execute("INSERT INTO agency_review (id, text, normalized, status, agency_id, seen_in_batch_id, "
                "resolved_by_id, resolved_at) VALUES (1, 'Sở KHCN&ĐMST tỉnh', 'so khcn dmst tinh', 'mapped', 1, 3, 7, "
                "'2026-01-03 00:00:00')")
    con = upgraded(con, app, path, "0011")
    assert json.loads(con.execute("SELECT aliases FROM agency").fetchone()[0]) == ["Sở Khoa học và Công ngh"]
    assert con.execute("SELECT agency_id, text, normalized, created_by_id, created_at, batch_id, document "
                       "FROM agency_alias").fetchall() == [
        (1, "Sở KHCN&ĐMST tỉnh", "so khcn dmst tinh", 7, "2026-01-03 00:00:00.000000", 3, "12-KH/BCĐ")]
    con.close()
    with app.app_context():
        downgrade(revision="0010")
        db.engine.dispose()
    con = sqlite3.connect(path)
    assert json.loads(con.execute("SELECT aliases FROM agency").fetchone()[0]) == [
        "Sở Khoa học và Công ngh", "Sở KHCN&ĐMST tỉnh"]
    con.close()


def test_tasks_already_moved_by_a_merge_keep_the_lead_they_had_and_are_found_by_it(tmp_path):
    """0022: a task whose lead passed to a successor (its "agency_moved" history names the old lead) gets it as a
    former lead, in its search text too; a work item's move (no old lead named) adds nothing."""
    app, path = schema_at(tmp_path, "0021")
    con = sqlite3.connect(path)
    con.execute("INSERT INTO agency (id, name, aliases, active) VALUES (1, 'UBND phường Hạc Thành', '[]', 1)")
    for task_id, title in ((1, "Chuyển đổi số cấp xã"), (2, "Nhiệm vụ khác")):
        con.execute("INSERT INTO task (id, code, title, lead_agency_id, output_type, milestones, state, created_at, "
                    "search_text) VALUES (?, ?, ?, 1, 'plan', '[]', 'active', '2026-01-01 00:00:00', ?)",
                    (task_id, f"NV-0000{task_id}", title, f"nv-0000{task_id} | {title.lower()}"))
    con.execute("INSERT INTO audit_event (task_id, action, comment, data, at) VALUES (1, 'agency_moved', "
                "'Đơn vị chủ trì: …', ?, '2026-07-01 08:00:00')",
                (json.dumps({"from": "UBND phường Tĩnh Gia", "to": "UBND phường Hạc Thành"}),))
    con.execute("INSERT INTO audit_event (task_id, action, comment, data, at) VALUES (2, 'agency_moved', "
                "'…', '{}', '2026-07-01 08:00:00')")
    con = upgraded(con, app, path, "0022")
    rows = con.execute("SELECT id, former_leads, search_text FROM task ORDER BY id").fetchall()
    assert [(i, json.loads(f)) for i, f, _ in rows] == [(1, ["UBND phường Tĩnh Gia"]), (2, [])]
    assert "ubnd phuong tinh gia" in rows[0][2] and "tinh gia" not in rows[1][2]
    con.close()


def test_items_held_by_someone_who_may_not_act_on_them_go_back_to_the_queue(tmp_path):
    """0025: an item held by an officer since moved to another agency, and one taken by a stand-in without the
    step's role (before either was given back), wait in nobody's inbox. They go back to the queue, each with a
    line in its history and the task's holders said again; an item held by someone who may act stays theirs."""
    app, path = schema_at(tmp_path, "0024")
    con = sqlite3.connect(path)
    con.execute("INSERT INTO agency (id, name, aliases, active) VALUES (1, 'Sở Công Thương', '[]', 1), "
                "(2, 'Sở Y tế', '[]', 1)")
    for user_id, username, agency, roles in ((1, "moved", 2, "officer"), (2, "stand_in", 1, "agency_head"),
                                             (3, "officer", 1, "officer")):
        con.execute("INSERT INTO user (id, username, full_name, agency_id, roles, password_hash, active, "
                    "must_change_password, created_at, session_secret) VALUES (?, ?, ?, ?, ?, 'x', 1, 0, "
                    "'2026-01-01 00:00:00', 's')",
                    (user_id, username, username.title(), agency, roles))
    con.execute("INSERT INTO task (id, code, title, lead_agency_id, output_type, milestones, state, created_at, "
                "search_text, current_holder) VALUES (1, 'NV-00001', 'Đề án', 1, 'plan', '[]', 'active', "
                "'2026-01-01 00:00:00', 'de an', 'Moved; Stand_In; Officer')")
    con.execute("INSERT INTO process_model (id, process_id, version, sha256, source, filename, kind, deployed_at) "
                "VALUES (1, 'approval_cycle', 1, 'x', '<x/>', 'approval_cycle.bpmn', 'bpmn', '2026-01-01 00:00:00')")
    con.execute("INSERT INTO process_instance (id, task_id, process_model_id, state, serializer_version, status, "
                "version, kind, created_at, updated_at) VALUES (1, 1, 1, '{}', '1', 'running', 3, 'main', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00')")
    for item_id, holder in ((1, 1), (2, 2), (3, 3)):
        con.execute("INSERT INTO work_item (id, instance_id, task_id, engine_task_id, step_id, step_name, agency_id, "
                    "role, decisions, fields, status, claimed_by_id, created_at) VALUES (?, 1, 1, ?, 'draft', "
                    "'Xây dựng dự thảo', 1, 'officer', '[]', '[]', 'open', ?, '2026-01-01 00:00:00')",
                    (item_id, f"e{item_id}", holder))
    con = upgraded(con, app, path, "0025")
    assert con.execute("SELECT id, claimed_by_id FROM work_item ORDER BY id").fetchall() == [(1, None), (2, None),
                                                                                                (3, 3)]
    assert [r[0] for r in con.execute("SELECT work_item_id FROM audit_event WHERE action = 'release' "
                                      "ORDER BY work_item_id")] == [1, 2]
    assert con.execute("SELECT current_holder FROM task").fetchone() == ("Sở Công Thương; Officer",)
    assert con.execute("SELECT version FROM process_instance").fetchone() == (5,)  # a racing action loses
    con.close()


def test_a_task_extended_before_counts_in_the_period_of_the_day_granted(tmp_path):
    """0026: an extension left the replaced date as the task's written deadline, which now puts it in a period;
    the day granted takes its place where the latest change is an extension still in force (an amendment's own
    written date, and a later change, are left as they are)."""
    app, path = schema_at(tmp_path, "0025")
    con = sqlite3.connect(path)
    con.execute("INSERT INTO agency (id, name, aliases, active) VALUES (1, 'Sở Y tế', '[]', 1)")
    for task_id, nominal, due in ((1, "2026-06-30", "2026-09-30"), (2, "2026-08-31", "2026-09-03"),
                                  (3, "2026-06-30", "2026-10-15")):
        con.execute("INSERT INTO task (id, code, title, lead_agency_id, output_type, milestones, state, created_at, "
                    "search_text, nominal_due, due_date) VALUES (?, ?, 'Đề án', 1, 'plan', '[]', 'active', "
                    "'2026-01-01 00:00:00', 'de an', ?, ?)", (task_id, f"NV-0000{task_id}", nominal, due))
    for task_id, new_due, new_text in ((1, "2026-09-30", "Gia hạn đến 30/09/2026"), (2, "2026-09-03", "Tháng 8/2026"),
                                       (3, "2026-09-30", "Gia hạn đến 30/09/2026")):
        con.execute("INSERT INTO deadline_adjustment (task_id, old_due, new_due, new_text, reason, at) "
                    "VALUES (?, '2026-06-30', ?, ?, 'Gia hạn', '2026-06-20 08:00:00')", (task_id, new_due, new_text))
    con = upgraded(con, app, path, "0026")
    assert con.execute("SELECT id, nominal_due FROM task ORDER BY id").fetchall() == [
        (1, "2026-09-30"), (2, "2026-08-31"), (3, "2026-06-30")]
    con.close()


def test_history_written_before_keeps_its_authors_agency(tmp_path):
    """0027: an event records the agency its actor acted for; rows from before take the actor's agency of the
    upgrade day (events of the system, with no actor, have none)."""
    app, path = schema_at(tmp_path, "0026")
    con = sqlite3.connect(path)
    con.execute("INSERT INTO agency (id, name, aliases, active) VALUES (1, 'Sở Y tế', '[]', 1)")
    con.execute("INSERT INTO user (id, username, full_name, agency_id, roles, password_hash, active, "
                "must_change_password, created_at, session_secret) VALUES (1, 'yte', 'Cán bộ Y tế', 1, 'officer', "
                "'x', 1, 0, '2026-01-01 00:00:00', 's')")
    for actor in (1, None):
        con.execute("INSERT INTO audit_event (at, actor_id, action, data) VALUES ('2026-06-20 08:00:00', ?, "
                    "'comment', '{}')", (actor,))
    con = upgraded(con, app, path, "0027")
    assert con.execute("SELECT actor_id, agency_id FROM audit_event ORDER BY id").fetchall() == [(1, 1), (None, None)]
    con.close()


def test_code_upgraded_before_its_schema_says_so_and_init_db_mends_it(tmp_path, caplog):
    # the code of a new release on the schema of the last one, init-db not run: /healthz said "ok" while every page
    # was a 500 on a column the schema lacks, and the CLI printed a traceback or "0 hồ sơ"
    app, _path = schema_at(tmp_path, "0026")
    client = app.test_client()
    app.logger.addHandler(caplog.handler)  # (the migrations' logging set-up took the root's handlers away)
    try:
        with caplog.at_level(logging.ERROR):
            health = client.get("/healthz")
    finally:
        app.logger.removeHandler(caplog.handler)
    assert health.status_code == 503 and health.headers["Retry-After"]
    with app.app_context():
        head = health_checks.schema_head()  # (the newest migration, whichever that is)
    assert health.get_json() == {"status": "error", "database": "schema_outdated", "schema": "0026",
                                 "needs": head}
    page = client.get("/login")
    assert page.status_code == 503 and "Hệ thống đang được nâng cấp" in page.get_data(as_text=True)
    assert f"database schema at 0026, this version of the code needs {head}" in caplog.records[0].getMessage()
    runner = app.test_cli_runner()
    with app.app_context():  # (the CLI runs in the app context it finds: the other tests' app's, without this one)
        timers = runner.invoke(args=["run-timers"])
        assert timers.exit_code == 1 and "Traceback" not in timers.output
        assert (f"Cơ sở dữ liệu ở lược đồ 0026, phiên bản ứng dụng này cần {head}: chạy “flask --app app init-db”"
                in timers.output)
        assert runner.invoke(args=["init-db"]).exit_code == 0
        assert runner.invoke(args=["run-timers"]).exit_code == 0
    assert client.get("/login").status_code == 200 and client.get("/healthz").status_code == 200
    with app.app_context():
        db.engine.dispose()


def test_a_signed_in_user_on_an_older_schema_reads_that_it_is_being_upgraded(tmp_path):
    # the hooks that load who is signed in ran first: 503 "không kết nối được cơ sở dữ liệu" on SQLite, a 500 on
    # PostgreSQL, instead of the upgrade page
    app, _path = schema_at(tmp_path, "0008")  # (the user's session secret came in 0009)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1:x"
    page = client.get("/tasks")
    assert page.status_code == 503 and "Hệ thống đang được nâng cấp" in page.get_data(as_text=True)
    with app.app_context():
        db.session.execute(text("UPDATE alembic_version SET version_num = '0099'"))  # a newer release's schema
        db.session.commit()
        result = app.test_cli_runner().invoke(args=["run-timers"])
        head = health_checks.schema_head()
        db.engine.dispose()
    assert f"mới hơn phiên bản ứng dụng này ({head}): cài lại phiên bản ứng dụng đã nâng cấp nó" in " ".join(
        result.output.split())
