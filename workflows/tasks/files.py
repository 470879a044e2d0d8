"""Uploaded files: checked by type and size, stored outside the web root under random names.

A file is written under a temporary name inside the upload folder, registered with the session before its
first byte, and renamed to its stored name as the action commits; a rolled-back action (any error, a full
disk among them) removes whatever was written. So the folder never holds a file the database does not know.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
from pathlib import Path
from typing import Protocol

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from models import Attachment, SignatureCheck, Task, User, db
from workflows import clock, settings
from workflows.errors import N_, DomainError, Invalid, Message, NotFound
from workflows.signatures import evidence
from workflows.signatures.check import Report

ALLOWED = {
    "pdf": (b"%PDF",),
    "docx": (b"PK\x03\x04",), "xlsx": (b"PK\x03\x04",), "pptx": (b"PK\x03\x04",),
    "odt": (b"PK\x03\x04",), "ods": (b"PK\x03\x04",), "zip": (b"PK\x03\x04",),
    "doc": (b"\xd0\xcf\x11\xe0",), "xls": (b"\xd0\xcf\x11\xe0",),
    "png": (b"\x89PNG",), "jpg": (b"\xff\xd8\xff",), "jpeg": (b"\xff\xd8\xff",),
    "txt": (),
}
ALLOWED_TEXT = ", ".join(sorted(ALLOWED))
# What a browser shows by itself, safely enough to open in place (served sandboxed, never sniffed): the type, by
# the name's extension, when the content starts as that type does. Office files, text and archives download.
SHOWN_IN_PLACE = {"pdf": "application/pdf", "png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
STORED_NAME = re.compile(r"[0-9a-f]{32}")  # secrets.token_hex(16): the only names served (workflows/ops/backup.py)
PARTIAL = ".part"  # a file being written: never served, never backed up
NO_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
NO_SPACE = N_("Máy chủ đã hết chỗ lưu trữ nên chưa lưu được tệp “%(name)s”. Thao tác chưa được ghi nhận; "
              "vui lòng báo quản trị viên và gửi lại sau.")
NOT_FOUND = N_("Không tìm thấy tệp.")


class NoSpace(DomainError):
    """The disk is full. 507 Insufficient Storage (RFC 4918), not a 4xx: the request was right and the same one
    will succeed once there is room; not a 500 either, because nothing is broken and nothing was recorded."""

    status = 507


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
        refused = Message("%(label)s: chỉ nhận tệp %(allowed)s.", label=label, allowed=ALLOWED_TEXT)
        raise Invalid(refused.msgid, {"file": refused}, **refused.params)
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
          label: str | None = None, report: Report | None = None) -> Attachment:
    """Write the file and its Attachment row (a new version of ``field``); a PDF's digital signatures are
    validated (unless ``report`` already says) and the check kept. Flushes only; the file takes its stored
    name when the session commits. NoSpace when the disk is full."""
    stored = secrets.token_hex(16)
    final = _folder() / stored
    partial = final.with_name(stored + PARTIAL)
    db.session.info.setdefault("new_files", []).append((partial, final))  # before a byte: nothing may stay behind
    try:
        _write(partial, content)
    except OSError as exc:
        if exc.errno in NO_SPACE_ERRNOS:
            raise NoSpace(NO_SPACE, name=name) from exc
        raise
    version = (db.session.scalar(select(func.max(Attachment.version)).where(
        Attachment.task_id == task.id, Attachment.field == field)) or 0) + 1
    attachment = Attachment(
        task_id=task.id, work_item_id=work_item_id, step_name=step_name, field=field, label=label,
        version=version, filename=name, stored_name=stored, sha256=hashlib.sha256(content).hexdigest(),
        size=len(content), uploaded_by_id=user.id, uploaded_at=clock.now())
    db.session.add(attachment)
    db.session.flush()
    if evidence.is_pdf(name):
        evidence.record(attachment, content, user, report)
    return attachment


def recheck(attachment: Attachment, actor: User | None) -> SignatureCheck:
    """Validate a stored PDF again, as it is now on disk (after a trust root was added): a new check and a new
    audit event; the earlier ones stay. Flushes only."""
    content = path_of(attachment).read_bytes()
    return evidence.record(attachment, content, actor)


def recheck_awaiting_trust(actor: User) -> int:
    """Validate again every stored PDF whose last check found an untrusted root; returns how many."""
    return _recheck(evidence.awaiting_trust(), actor)


def recheck_trusted_by(fingerprint: str, actor: User) -> int:
    """Validate again every stored PDF last found valid under a root no longer trusted (one found compromised: the
    files signed under it say so now, not "hợp lệ" as before); returns how many."""
    return _recheck(evidence.trusted_by(fingerprint), actor)


def _recheck(ids: list[int], actor: User) -> int:
    for attachment in db.session.scalars(select(Attachment).where(Attachment.id.in_(ids))):
        recheck(attachment, actor)
    return len(ids)


def _write(path: Path, content: bytes) -> None:
    """Write ``content`` to a new file and onto the disk: a full disk shows here, not after the commit."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # the umask decides, as before
    try:
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)


def path_of(attachment: Attachment) -> Path:
    """The attachment's file. Only a name this product gives, directly in the upload folder, is ever served: a row
    restored from a tampered backup may name ``/etc/passwd`` or ``../x``."""
    folder = _folder()
    path = folder / (attachment.stored_name or "")
    if not (STORED_NAME.fullmatch(attachment.stored_name or "") and path.is_file()
            and path.resolve().parent == folder.resolve()):
        raise NotFound(NOT_FOUND)
    return path


def extension(attachment: Attachment) -> str:
    name = attachment.filename or ""
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def viewable(attachment: Attachment) -> bool:
    """Whether the file opens in the browser (by its name; ``shown_type`` checks the content too)."""
    return extension(attachment) in SHOWN_IN_PLACE


def shown_type(attachment: Attachment, path: Path) -> str | None:
    """The media type to show ``attachment`` in the browser with, or None: it downloads. The content must start
    as its type does (a file renamed to .pdf downloads)."""
    ext = extension(attachment)
    if ext not in SHOWN_IN_PLACE:
        return None
    with path.open("rb") as f:
        head = f.read(8)
    return SHOWN_IN_PLACE[ext] if head.startswith(ALLOWED[ext]) else None


@event.listens_for(Session, "before_commit")
def _put_new_files_in_place(session: Session) -> None:
    # Renamed just before the rows naming them are committed; should the commit fail, the rollback below
    # removes them under either name.
    for partial, final in session.info.get("new_files", []):
        if partial.exists():
            partial.replace(final)


@event.listens_for(Session, "after_rollback")
def _remove_files_of_rolled_back_work(session: Session) -> None:
    # A step that failed after its upload was written, or while it was written, leaves no file behind.
    for partial, final in session.info.pop("new_files", []):
        partial.unlink(missing_ok=True)
        final.unlink(missing_ok=True)


@event.listens_for(Session, "after_commit")
def _keep_committed_files(session: Session) -> None:
    session.info.pop("new_files", None)
