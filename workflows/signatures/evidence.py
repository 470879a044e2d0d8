"""Each validation of a stored PDF is kept: a ``SignatureCheck`` row beside the unchanged bytes, and an audit event
with their sha256. A later validation (after a root is added) is a new row and a new event, never an edit."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from sqlalchemy import func, select

from models import Attachment, SignatureCheck, Task, User, db
from workflows import audit, clock
from workflows.signatures import check, roots


def read(content: bytes) -> check.Report:
    """``content``'s signatures, judged against today's trust roots."""
    return check.read(content, roots.certificates(roots.active()))


def is_pdf(filename: str) -> bool:
    return filename.lower().endswith(".pdf")


def record(attachment: Attachment, content: bytes, actor: User | None,
           report: check.Report | None = None) -> SignatureCheck:
    """Validate (unless ``report`` already says) and keep the result of one stored file — its certificates judged
    as of when it reached the product, not as of the check — and flush."""
    active = roots.active()
    received = attachment.uploaded_at.replace(tzinfo=UTC) if attachment.uploaded_at else None
    report = report or check.read(content, roots.certificates(active), received)
    digest = hashlib.sha256(content).hexdigest()
    row = SignatureCheck(attachment_id=attachment.id, checked_at=clock.now(),
                         checked_by_id=actor.id if actor else None, sha256=digest, status=report.status,
                         signatures=report.as_rows(), roots=[r.fingerprint for r in active])
    db.session.add(row)
    db.session.flush()
    audit.record("signature_check", actor, db.session.get(Task, attachment.task_id), data={
        "attachment_id": attachment.id, "filename": attachment.filename, "sha256": digest,
        "status": report.status, "signers": [s.signer for s in report.signatures]})
    return row


def latest(attachment_ids) -> dict[int, SignatureCheck]:
    """The newest check of each of these attachments."""
    ids = list(attachment_ids)
    if not ids:
        return {}
    newest = (select(func.max(SignatureCheck.id)).where(SignatureCheck.attachment_id.in_(ids))
              .group_by(SignatureCheck.attachment_id))
    return {c.attachment_id: c for c in db.session.scalars(select(SignatureCheck).where(SignatureCheck.id.in_(newest)))}


def trusted_by(fingerprint: str) -> list[int]:
    """The attachments whose newest check found them valid while the root ``fingerprint`` was trusted."""
    newest = select(func.max(SignatureCheck.id)).group_by(SignatureCheck.attachment_id)
    return [row.attachment_id for row in db.session.scalars(select(SignatureCheck).where(
        SignatureCheck.id.in_(newest), SignatureCheck.status == "valid")) if fingerprint in (row.roots or ())]


def awaiting_trust() -> list[int]:
    """The attachments whose newest check found a signature from a root not (yet) trusted."""
    newest = select(func.max(SignatureCheck.id)).group_by(SignatureCheck.attachment_id)
    return list(db.session.scalars(select(SignatureCheck.attachment_id).where(
        SignatureCheck.id.in_(newest), SignatureCheck.status == "untrusted")))


def _local(iso: str | None) -> datetime | None:
    if not iso:
        return None
    moment = datetime.fromisoformat(iso)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return clock.to_local(moment)


# What one signature of several is, when they differ (the chip's label says the worst)
SHORT = {"valid": "hợp lệ", "untrusted": "chưa tin cậy", "expired": "chứng thư hết hạn", "tampered": "đã bị sửa",
         "invalid": "không hợp lệ"}


def signers(row: SignatureCheck) -> str:
    """Who signed and when, as the chip says after its label: "Nguyễn Văn A, UBND tỉnh, 12/05/2026 09:14"
    (the timestamp's time when there is one, else the signer's), each signature in its order — and, when they
    differ, what each is ("… (hợp lệ); Công ty ABC, … (chưa tin cậy)": the trusted signer looked untrusted). An
    organisation's own certificate names it once."""
    mixed = len({s.get("status") for s in row.signatures}) > 1
    people = []
    for s in row.signatures:
        when = _local(s.get("timestamp_at") or s.get("signed_at"))
        organisation = s.get("organisation") if s.get("organisation") != s.get("signer") else None
        parts = [s.get("signer"), organisation, f"{when:%d/%m/%Y %H:%M}" if when else None]
        said = f" ({SHORT.get(s.get('status'), s.get('status'))})" if mixed else ""
        people.append(", ".join(p for p in parts if p) + said)
    return "; ".join(people)
