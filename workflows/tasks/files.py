"""Uploaded files: checked by type and size, stored outside the web root under random names."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Protocol

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from models import Attachment, Task, User, db
from workflows import clock, settings
from workflows.errors import Invalid

ALLOWED = {
    "pdf": (b"%PDF",),
    "docx": (b"PK\x03\x04",), "xlsx": (b"PK\x03\x04",), "pptx": (b"PK\x03\x04",),
    "odt": (b"PK\x03\x04",), "ods": (b"PK\x03\x04",), "zip": (b"PK\x03\x04",),
    "doc": (b"\xd0\xcf\x11\xe0",), "xls": (b"\xd0\xcf\x11\xe0",),
    "png": (b"\x89PNG",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",),
    "txt": (),
}
ALLOWED_TEXT = ", ".join(sorted(ALLOWED))


class Upload(Protocol):
    filename: str | None

    def read(self, size: int = -1) -> bytes: ...


def _folder() -> Path:
    folder = Path(settings.get("UPLOAD_FOLDER"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def check(upload: Upload, label: str) -> tuple[str, bytes]:
    """Validate an upload and return its clean file name and content, or raise Invalid."""
    name = Path((upload.filename or "").replace("\\", "/")).name.strip()
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise Invalid("%(label)s: chỉ nhận tệp %(allowed)s.", {"file": ext}, label=label, allowed=ALLOWED_TEXT)
    limit = settings.get("MAX_UPLOAD_BYTES")
    content = upload.read(limit + 1)
    if not content:
        raise Invalid("%(label)s: tệp rỗng.", label=label)
    if len(content) > limit:
        raise Invalid("%(label)s: tệp vượt quá %(mb)s MB.", label=label, mb=limit // (1024 * 1024))
    magics = ALLOWED[ext]
    if magics and not content.startswith(magics):
        raise Invalid("%(label)s: nội dung tệp không đúng định dạng .%(ext)s.", label=label, ext=ext)
    if ext == "txt":
        try:
            content.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise Invalid("%(label)s: tệp văn bản phải mã hóa UTF-8.", label=label) from exc
    return name[-200:], content


def store(task: Task, field: str, name: str, content: bytes, user: User,
          work_item_id: int | None = None, step_name: str | None = None,
          label: str | None = None) -> Attachment:
    """Write the file and its Attachment row (a new version of ``field``). Flushes only."""
    stored = secrets.token_hex(16)
    path = _folder() / stored
    path.write_bytes(content)
    db.session.info.setdefault("new_files", []).append(path)
    version = (db.session.scalar(select(func.max(Attachment.version)).where(
        Attachment.task_id == task.id, Attachment.field == field)) or 0) + 1
    attachment = Attachment(
        task_id=task.id, work_item_id=work_item_id, step_name=step_name, field=field, label=label,
        version=version, filename=name, stored_name=stored, sha256=hashlib.sha256(content).hexdigest(),
        size=len(content), uploaded_by_id=user.id, uploaded_at=clock.now())
    db.session.add(attachment)
    db.session.flush()
    return attachment


def path_of(attachment: Attachment) -> Path:
    return _folder() / attachment.stored_name


@event.listens_for(Session, "after_rollback")
def _remove_files_of_rolled_back_work(session: Session) -> None:
    # A step that failed after its upload was written leaves no orphan file behind.
    for path in session.info.pop("new_files", []):
        path.unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    session.info.pop("new_files", None)
