"""The schema history: migrations match the models, and an existing database upgrades with its data."""

from __future__ import annotations

import sqlite3

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app import create_app
from models import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_a_filled_database_upgrades_from_the_first_schema(tmp_path):
    """SQLite rebuilds tables to change them: the rows that reference them must survive."""
    path = tmp_path / "old.db"
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "DEPLOY_MODELS_ON_START": False})
    with app.app_context():
        upgrade(revision="0001")
        db.engine.dispose()
    con = sqlite3.connect(path)
    con.execute("PRAGMA foreign_keys=ON")
    con.execute("INSERT INTO agency (id, name, aliases, active) VALUES (1, 'Sở Tư pháp', '[]', 1)")
    con.execute("INSERT INTO task (id, code, title, lead_agency_id, output_type, milestones, state, created_at) "
                "VALUES (1, 'NV-00001', 'Nhiệm vụ cũ', 1, 'plan', '[]', 'active', '2026-01-01 00:00:00')")
    con.execute("INSERT INTO task_collaborator (task_id, agency_id) VALUES (1, 1)")
    con.commit()
    con.close()
    with app.app_context():
        upgrade()
        db.engine.dispose()
    con = sqlite3.connect(path)
    assert con.execute("SELECT title, done_at_issue FROM task").fetchall() == [("Nhiệm vụ cũ", 0)]
    assert con.execute("SELECT count(*) FROM task_collaborator").fetchone() == (1,)
    assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()
