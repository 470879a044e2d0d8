"""Portable backup and restore: one zip with every table's rows as JSON lines, the uploaded files and
the schema's Alembic revision. The same archive restores on SQLite and PostgreSQL.

Archive layout: ``manifest.json`` (format, revision, dialect, row counts, files), ``tables/<name>.jsonl``
in foreign-key order (rows by primary key, so a task's parent comes before it) and ``uploads/<name>``.
A restore goes into a database migrated to the same revision and empty of data (``init-db`` leaves the
process models and the holiday calendar: the archive's replace them); all rows go in one transaction.
"""

from __future__ import annotations

import json
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath

from sqlalchemy import Date, DateTime, Integer, Table, func, select, text
from sqlalchemy.engine import Connection

from models import db
from workflows import settings
from workflows.errors import Invalid

FORMAT = "theodoi-backup/1"
SEEDED_BY_INIT_DB = {"process_model", "holiday"}  # present in a freshly initialised, otherwise empty database
BATCH = 500


def _tables() -> list[Table]:
    return list(db.metadata.sorted_tables)


def revision(conn: Connection) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # no alembic_version table: the schema was never migrated
        return None


def _encode(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _decoder(table: Table):
    kinds = {c.name: (datetime.fromisoformat if isinstance(c.type, DateTime) else
                      date.fromisoformat if isinstance(c.type, Date) else None) for c in table.columns}

    def decode(row: dict) -> dict:
        return {k: (kinds[k](v) if v is not None and kinds.get(k) else v) for k, v in row.items() if k in kinds}
    return decode


def _upload_folder() -> Path:
    return Path(settings.get("UPLOAD_FOLDER"))


def backup(path: str | Path) -> dict:
    """Write the archive; returns its manifest. Reads one consistent snapshot on PostgreSQL."""
    engine = db.engine
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "dialect": engine.dialect.name, "tables": {}, "files": 0}
    upload_folder = _upload_folder()
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive, \
            engine.connect().execution_options(**options) as conn:
        manifest["alembic_revision"] = revision(conn)
        if manifest["alembic_revision"] is None:
            raise Invalid("Cơ sở dữ liệu chưa có lược đồ (chưa chạy init-db): không có gì để sao lưu.")
        for table in _tables():
            order = list(table.primary_key.columns) or list(table.columns)
            count = 0
            with archive.open(f"tables/{table.name}.jsonl", "w") as out:
                for row in conn.execute(select(table).order_by(*order)).mappings():
                    out.write(json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False)
                              .encode() + b"\n")
                    count += 1
            manifest["tables"][table.name] = count
        if upload_folder.is_dir():
            for file in sorted(p for p in upload_folder.rglob("*") if p.is_file()):
                archive.write(file, "uploads/" + file.relative_to(upload_folder).as_posix())
                manifest["files"] += 1
        archive.writestr("manifest.json", json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


def restore(path: str | Path, force: bool = False) -> dict:
    """Load an archive into this database (same Alembic revision, no data unless ``force``)."""
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise Invalid("Không đọc được tệp sao lưu %(path)s: %(reason)s", path=path, reason=exc) from exc
    with archive:
        try:
            manifest = json.loads(archive.read("manifest.json"))
        except KeyError as exc:
            raise Invalid("Tệp này không phải bản sao lưu của hệ thống (thiếu manifest.json).") from exc
        if manifest.get("format") != FORMAT:
            raise Invalid("Định dạng sao lưu không hỗ trợ: %(found)r (cần %(needed)s).",
                          found=manifest.get("format"), needed=FORMAT)
        engine = db.engine
        with engine.begin() as conn:
            here = revision(conn)
            if here != manifest["alembic_revision"]:
                raise Invalid(
                    "Bản sao lưu ở phiên bản lược đồ %(archive)s, cơ sở dữ liệu này ở "
                    "%(here)s. Hãy khôi phục vào cơ sở dữ liệu cùng phiên bản "
                    "(chạy init-db của đúng phiên bản ứng dụng đã sao lưu), rồi nâng cấp sau.",
                    archive=manifest["alembic_revision"], here=here or "(chưa có lược đồ)")
            tables = _tables()
            busy = [t.name for t in tables if t.name not in SEEDED_BY_INIT_DB
                    and conn.execute(select(func.count()).select_from(t)).scalar()]
            if busy and not force:
                raise Invalid("Cơ sở dữ liệu đã có dữ liệu (%(tables)s). Chỉ khôi phục vào cơ sở dữ "
                              "liệu trống; dùng --force để xóa toàn bộ dữ liệu hiện có và thay bằng bản sao lưu.",
                              tables=", ".join(busy))
            for table in reversed(tables):
                conn.execute(table.delete())
            counts = {}
            for table in tables:
                counts[table.name] = _load_table(conn, archive, table)
            if engine.dialect.name == "postgresql":
                _reset_sequences(conn, tables)
        files = _restore_files(archive)
    return {"alembic_revision": manifest["alembic_revision"], "tables": counts, "files": files,
            "created_at": manifest.get("created_at")}


def _load_table(conn: Connection, archive: zipfile.ZipFile, table: Table) -> int:
    name = f"tables/{table.name}.jsonl"
    if name not in archive.namelist():
        return 0
    decode = _decoder(table)
    batch, count = [], 0
    with archive.open(name) as lines:
        for line in lines:
            if line.strip():
                batch.append(decode(json.loads(line)))
            if len(batch) >= BATCH:
                conn.execute(table.insert(), batch)
                count += len(batch)
                batch = []
    if batch:
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def _reset_sequences(conn: Connection, tables: list[Table]) -> None:
    """Point each serial/identity sequence past the restored ids, so new rows do not collide."""
    for table in tables:
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": f'"{table.name}"', "c": column.name}).scalar()
            if sequence:
                highest = f'(SELECT MAX("{column.name}") FROM "{table.name}")'
                conn.execute(text(f"SELECT setval(:s, COALESCE({highest}, 0) + 1, false)"), {"s": sequence})


def _restore_files(archive: zipfile.ZipFile) -> int:
    folder = _upload_folder()
    count = 0
    for info in archive.infolist():
        if not info.filename.startswith("uploads/") or info.is_dir():
            continue
        relative = PurePosixPath(info.filename[len("uploads/"):])
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            continue  # never write outside the upload folder
        target = folder.joinpath(*relative.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(info))
        count += 1
    return count
