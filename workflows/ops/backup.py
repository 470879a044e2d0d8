"""Portable backup and restore: one zip with every table's rows as JSON lines, the uploaded files and
the schema's Alembic revision. The same archive restores on SQLite and PostgreSQL.

Archive layout: ``manifest.json`` (format, revision, dialect, row counts, files, the sha256 of every other
entry), ``tables/<name>.jsonl`` in foreign-key order (rows by primary key, so a task's parent comes before it)
and ``uploads/<name>``. A restore goes into a database migrated to the same revision and empty of data
(``init-db`` leaves the process models and the holiday calendar: the archive's replace them); all rows go in
one transaction.

An archive carries code (the BPMN process models run their conditions and scripts) and every password hash:
restoring one is an administrator's act on a file they trust. Before anything is written the restore checks
what it can: the layout (only the entries above), the sizes the zip declares (no entry inflating far beyond
what real data compresses to), the sha256 of every entry against the manifest, and then every row —
an attachment's stored name must be one this product gives, so nothing outside the upload folder can be
served as an attachment.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zipfile
from collections.abc import Collection, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Date, DateTime, Integer, Table, func, select, text
from sqlalchemy.engine import Connection

from models import Attachment, db
from workflows import settings
from workflows.errors import Invalid
from workflows.ops.health import schema_head

FORMAT = "theodoi-backup/2"  # 2: the manifest holds the sha256 of every entry
MANIFEST = "manifest.json"
SEEDED_BY_INIT_DB = {"process_model", "holiday"}  # present in a freshly initialised, otherwise empty database
BATCH = 500
CHUNK = 1024 * 1024
# The name workflows/tasks/files.py gives every upload (secrets.token_hex(16)); that module is a room above
# this one, so the form is written here again and tests/test_hardening.py keeps the two equal.
STORED_NAME = re.compile(r"[0-9a-f]{32}")
# Zip bombs: the sizes an archive declares are checked before anything is inflated (zipfile never inflates an
# entry past its declared size). Real entries (JSON lines, PDFs, Office files, images) compress by 1 to 15
# times; a bomb's run of one byte by 1,000. Small entries may do as they like: they cannot exhaust anything,
# and every entry is streamed, never held whole.
MAX_RATIO = 200
RATIO_FREE_BYTES = 1024 * 1024
MAX_MANIFEST_BYTES = 1024 * 1024
MAX_LINE_BYTES = 64 * 1024 * 1024  # one row; the largest real ones are process models and engine states


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


def _stored_files(folder: Path) -> list[Path]:
    """The product's own files in the upload folder (a file still being written has another name)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and STORED_NAME.fullmatch(p.name))


def backup(path: str | Path, allow_missing_files: bool = False) -> dict:
    """Write the archive; returns its manifest, with the sha256 of the whole file (``archive_sha256``) to keep
    apart from it. Reads one consistent snapshot on PostgreSQL.

    An attachment whose file is not in the upload folder stops the backup (and the archive is removed) unless
    ``allow_missing_files``: a backup run with another UPLOAD_FOLDER than the service's (a cron job without its
    environment) said "0 tệp" and restored a province without one of its documents. Allowed, the manifest
    lists them (``missing_files``)."""
    engine = db.engine
    options = {"isolation_level": "REPEATABLE READ"} if engine.dialect.name == "postgresql" else {}
    manifest = {"format": FORMAT, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "dialect": engine.dialect.name, "tables": {}, "files": 0, "sha256": {}}
    digests = manifest["sha256"]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive, \
            engine.connect().execution_options(**options) as conn:
        manifest["alembic_revision"] = revision(conn)
        if manifest["alembic_revision"] is None:
            raise Invalid("Cơ sở dữ liệu chưa có lược đồ (chưa chạy init-db): không có gì để sao lưu.")
        folder = _upload_folder()
        stored = {file.name: file for file in _stored_files(folder)}
        missing = sorted(set(conn.scalars(select(Attachment.stored_name))) - set(stored))
        if missing and not allow_missing_files:  # (said before anything is written)
            archive.close()
            Path(path).unlink(missing_ok=True)
            raise Invalid(_MISSING, n=len(missing), folder=folder.resolve(), names=", ".join(missing[:3]))
        for table in _tables():
            order = list(table.primary_key.columns) or list(table.columns)
            rows = conn.execute(select(table).order_by(*order)).mappings()
            lines = (json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False).encode() + b"\n"
                     for row in rows)
            name = f"tables/{table.name}.jsonl"
            digests[name], manifest["tables"][table.name] = _write_entry(archive, name, lines)
        for file in stored.values():
            name = f"uploads/{file.name}"
            with file.open("rb") as source:
                digests[name], _count = _write_entry(archive, name, iter(lambda s=source: s.read(CHUNK), b""))
            manifest["files"] += 1
        manifest["missing_files"] = missing
        archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))
    return {**manifest, "archive_sha256": file_sha256(path)}


_MISSING = ("%(n)s tệp đính kèm có trong cơ sở dữ liệu nhưng không có trong thư mục tải lên %(folder)s (%(names)s…). "
            "Lệnh sao lưu có chạy với cùng UPLOAD_FOLDER như dịch vụ không? Chưa tạo bản sao lưu; nếu các tệp này "
            "đã mất thật, chạy lại với --allow-missing-files để sao lưu phần còn lại.")


def _named() -> set[str]:
    """The stored names the attachment rows give (after a restore: the restored ones)."""
    return set(db.session.scalars(select(Attachment.stored_name)))


def _write_entry(archive: zipfile.ZipFile, name: str, chunks: Iterator[bytes]) -> tuple[str, int]:
    """Write one entry from ``chunks``; its sha256 and how many chunks (rows, for a table) it took."""
    digest, count = hashlib.sha256(), 0
    with archive.open(name, "w") as out:
        for chunk in chunks:
            out.write(chunk)
            digest.update(chunk)
            count += 1
    return digest.hexdigest(), count


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def restore(path: str | Path, force: bool = False, expected_sha256: str | None = None,
            seeded_agencies: Collection[str] = ()) -> dict:
    """Load an archive into this database (same Alembic revision, no data unless ``force``), once the archive
    has passed every check (``expected_sha256``: the whole file's, as ``backup`` gave it). ``seeded_agencies``:
    the agencies init-db adds (those the processes name); a database holding those and no others is still empty
    (README: init-db, then restore), one holding agencies an administrator entered is not."""
    if expected_sha256 and file_sha256(path) != expected_sha256.strip().lower():
        raise Invalid("Mã SHA-256 của tệp sao lưu không khớp với mã đã cho: tệp đã bị thay đổi hoặc không phải "
                      "bản sao lưu đó. Không khôi phục.")
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise Invalid("Không đọc được tệp sao lưu %(path)s: %(reason)s", path=path, reason=exc) from exc
    with archive:
        manifest = _checked_manifest(archive)
        engine = db.engine
        with engine.begin() as conn:
            here, head = revision(conn), schema_head()
            if manifest["alembic_revision"] != head:  # (the rows are read with this version's tables)
                raise Invalid(
                    "Bản sao lưu ở lược đồ %(archive)s; phiên bản ứng dụng này (lược đồ %(head)s) chỉ khôi phục bản "
                    "sao lưu cùng lược đồ. Khôi phục bằng phiên bản ứng dụng đã tạo ra nó (init-db rồi restore), "
                    "sau đó cài phiên bản này và chạy init-db: dữ liệu được nâng cấp lên lược đồ %(head)s.",
                    archive=manifest["alembic_revision"], head=head)
            if here != head:
                raise Invalid("Cơ sở dữ liệu này ở lược đồ %(here)s, bản sao lưu ở %(head)s: chạy “flask --app app "
                              "init-db” trên cơ sở dữ liệu trống trước, rồi khôi phục.",
                              here=here or "(chưa có lược đồ)", head=head)
            tables = _tables()
            busy = [t.name for t in tables if t.name not in SEEDED_BY_INIT_DB
                    and conn.execute(select(func.count()).select_from(t).where(*_not_seeded(t))).scalar()
                    and not (t.name == "agency" and set(conn.scalars(select(t.c.name))) <= set(seeded_agencies))]
            if busy and not force:
                raise Invalid("Cơ sở dữ liệu đã có dữ liệu (%(tables)s). Chỉ khôi phục vào cơ sở dữ "
                              "liệu trống; dùng --force để xóa toàn bộ dữ liệu hiện có và thay bằng bản sao lưu.",
                              tables=", ".join(busy))
            for table in reversed(tables):
                conn.execute(table.delete())
            counts = {}
            for table in tables:
                counts[table.name] = _load_table(conn, archive, table)
                if counts[table.name] != manifest["tables"].get(table.name, 0):
                    raise Invalid("Bảng %(table)s trong bản sao lưu có %(found)s dòng, manifest.json ghi "
                                  "%(expected)s. Không khôi phục.", table=table.name, found=counts[table.name],
                                  expected=manifest["tables"].get(table.name, 0))
            if engine.dialect.name == "postgresql":
                _reset_sequences(conn, tables)
        files = _restore_files(archive, clear=force)
    on_disk = {file.name for file in _stored_files(_upload_folder())}
    return {"alembic_revision": manifest["alembic_revision"], "tables": counts, "files": files,
            "created_at": manifest.get("created_at"), "missing_files": sorted(_named() - on_disk)}


def _not_seeded(table: Table) -> tuple:
    """The rows of ``table`` that init-db does not write: of the audit, all but its deployments of the product's
    process models (no actor)."""
    if table.name == "audit_event":
        return (~((table.c.action == "deploy") & table.c.actor_id.is_(None)),)
    return ()


def _checked_manifest(archive: zipfile.ZipFile) -> dict:
    """The manifest of an archive whose layout, declared sizes and entries' sha256 are all as a backup writes
    them; Invalid saying what is wrong otherwise. Nothing is inflated before the sizes are known to be sane."""
    infos = archive.infolist()
    names = [info.filename for info in infos]
    if MANIFEST not in names:
        raise Invalid("Tệp này không phải bản sao lưu của hệ thống (thiếu manifest.json).")
    tables = {f"tables/{t.name}.jsonl" for t in _tables()}
    seen = set()
    for info in infos:
        if info.filename in seen or not (
                info.filename == MANIFEST or info.filename in tables
                or (info.filename.startswith("uploads/") and STORED_NAME.fullmatch(info.filename[8:]))):
            raise Invalid("Bản sao lưu chứa mục lạ hoặc trùng tên “%(name)s”, không do hệ thống tạo ra. "
                          "Không khôi phục.", name=info.filename[:200])
        seen.add(info.filename)
        if (info.file_size > RATIO_FREE_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1)) or (
                info.filename == MANIFEST and info.file_size > MAX_MANIFEST_BYTES):
            raise Invalid("Mục “%(name)s” của bản sao lưu giải nén ra %(size)s byte từ %(packed)s byte: "
                          "bất thường (có thể là “bom nén”). Không khôi phục.",
                          name=info.filename, size=info.file_size, packed=info.compress_size)
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (ValueError, zipfile.BadZipFile, OSError) as exc:
        raise Invalid("manifest.json của bản sao lưu hỏng: %(reason)s", reason=exc) from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise Invalid("Định dạng sao lưu không hỗ trợ: %(found)r (cần %(needed)s).",
                      found=manifest.get("format") if isinstance(manifest, dict) else None, needed=FORMAT)
    digests = manifest.get("sha256")
    if not isinstance(digests, dict) or not isinstance(manifest.get("tables"), dict):
        raise Invalid("manifest.json của bản sao lưu thiếu mã kiểm tra sha256. Không khôi phục.")
    entries = set(names) - {MANIFEST}
    if set(digests) != entries:
        raise Invalid("Bản sao lưu đã bị thay đổi: các mục %(names)s không khớp với manifest.json. "
                      "Không khôi phục.", names=", ".join(sorted(set(digests) ^ entries))[:500])
    for name in sorted(entries):
        if _entry_sha256(archive, name) != digests[name]:
            raise Invalid("Bản sao lưu đã bị thay đổi hoặc hỏng: mã sha256 của “%(name)s” không khớp với "
                          "manifest.json. Không khôi phục.", name=name)
    return manifest


def _entry_sha256(archive: zipfile.ZipFile, name: str) -> str:
    digest = hashlib.sha256()
    try:
        with archive.open(name) as entry:
            for chunk in iter(lambda: entry.read(CHUNK), b""):
                digest.update(chunk)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a damaged entry (bad CRC, cut short)
        raise Invalid("Bản sao lưu hỏng ở mục “%(name)s”: %(reason)s. Không khôi phục.",
                      name=name, reason=exc) from exc
    return digest.hexdigest()


def _load_table(conn: Connection, archive: zipfile.ZipFile, table: Table) -> int:
    name = f"tables/{table.name}.jsonl"
    if name not in archive.namelist():
        return 0
    decode = _decoder(table)
    batch, count = [], 0
    with archive.open(name) as lines:
        for number, line in enumerate(iter(lambda: lines.readline(MAX_LINE_BYTES + 1), b""), start=1):
            if line.strip():
                batch.append(decode(_checked_row(table, number, line)))
            if len(batch) >= BATCH:
                conn.execute(table.insert(), batch)
                count += len(batch)
                batch = []
    if batch:
        conn.execute(table.insert(), batch)
        count += len(batch)
    return count


def _checked_row(table: Table, number: int, line: bytes) -> dict:
    """One row as JSON: an object of the table's own columns; an attachment names its file as the product
    does, so no row can point a download at a file outside the upload folder."""
    problem = None
    row = None
    if len(line) > MAX_LINE_BYTES:
        problem = "dòng quá dài"
    else:
        try:
            row = json.loads(line)
        except ValueError:
            problem = "không phải JSON"
    if problem is None and (not isinstance(row, dict) or set(row) - set(table.columns.keys())):
        problem = "không đúng các cột của bảng"
    if problem is None and table.name == "attachment" and not (
            isinstance(row.get("stored_name"), str) and STORED_NAME.fullmatch(row["stored_name"])):
        problem = f"tên tệp lưu trữ {str(row.get('stored_name'))[:80]!r} không do hệ thống đặt"
    if problem:
        raise Invalid("Bản sao lưu có dòng không hợp lệ (bảng %(table)s, dòng %(number)s: %(problem)s). "
                      "Không khôi phục.", table=table.name, number=number, problem=problem)
    return row


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


def _restore_files(archive: zipfile.ZipFile, clear: bool) -> int:
    """Copy the uploads (their names were checked: the product's own, directly in the folder); with ``clear``
    (a restore that replaced the data) first remove the product's files there that no restored row names (a file
    uploaded after the backup; not one the rows name that the archive lacks, made with --allow-missing-files)."""
    folder = _upload_folder()
    folder.mkdir(parents=True, exist_ok=True)
    named = _named() if clear else set()
    for file in _stored_files(folder) if clear else ():
        if file.name not in named:
            file.unlink()
    count = 0
    for info in archive.infolist():
        if info.filename.startswith("uploads/"):
            with archive.open(info) as source, (folder / info.filename[len("uploads/"):]).open("wb") as target:
                shutil.copyfileobj(source, target, CHUNK)
            count += 1
    return count
