"""What happened and what was filed: audit events (append-only) and attachments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import db
from models.people import User


class AuditEvent(db.Model):
    __table_args__ = (db.Index("ix_audit_event_task_at", "task_id", "at"),
                      db.Index("ix_audit_event_at", "at"))  # what changed since (the monitoring feed, the week's pack)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    actor_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    task_id: Mapped[int | None] = mapped_column(db.ForeignKey("task.id"))
    work_item_id: Mapped[int | None] = mapped_column(db.ForeignKey("work_item.id"), index=True)
    action: Mapped[str] = mapped_column(db.String(30))
    from_step: Mapped[str | None] = mapped_column(db.String(255))
    to_step: Mapped[str | None] = mapped_column(db.String(255))
    comment: Mapped[str | None] = mapped_column(db.Text)
    data: Mapped[dict] = mapped_column(db.JSON, default=dict)
    # The actor's agency when they acted: a person moves, an agency merges, the history stays what it was.
    agency_id: Mapped[int | None] = mapped_column(db.ForeignKey("agency.id"))

    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id], lazy="joined")
    acting_agency = relationship("Agency", foreign_keys=[agency_id])
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id])
    work_item = relationship("WorkItem", foreign_keys=[work_item_id])

    # what a work item's holder does on it: done for the item's agency (the holder's agency when they acted)
    HOLDER_ACTIONS = ("submit", "approve", "return", "claim")

    @property
    def agency(self):
        """The agency the actor acted for: of a holder's action on a work item, the item's (a finished item keeps its
        agency through a merge); else the one the actor belonged to then (they may have moved since) — an
        administrator handing an item back to its queue acted for their own office, not the item's agency."""
        if self.work_item is not None and (self.action in self.HOLDER_ACTIONS or self.acting_agency is None):
            return self.work_item.agency
        return self.acting_agency


@event.listens_for(AuditEvent, "before_update")
@event.listens_for(AuditEvent, "before_delete")
def _audit_is_append_only(mapper, connection, target):
    raise PermissionError("Audit events are append-only")


class Attachment(db.Model):
    __table_args__ = (db.Index("ix_attachment_task", "task_id", "field", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(db.ForeignKey("task.id"))
    work_item_id: Mapped[int | None] = mapped_column(db.ForeignKey("work_item.id"))
    step_name: Mapped[str | None] = mapped_column(db.String(255))
    field: Mapped[str] = mapped_column(db.String(60))  # draft_file, result_file, …
    label: Mapped[str | None] = mapped_column(db.String(120))  # the step's label for the field
    version: Mapped[int] = mapped_column(default=1)
    filename: Mapped[str] = mapped_column(db.String(255))
    stored_name: Mapped[str] = mapped_column(db.String(80), unique=True)
    content_type: Mapped[str | None] = mapped_column(db.String(120))
    sha256: Mapped[str] = mapped_column(db.String(64))
    size: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)

    uploaded_by: Mapped[User | None] = relationship(lazy="joined")
    work_item = relationship("WorkItem", foreign_keys=[work_item_id])


class TrustRoot(db.Model):
    """A certificate an administrator trusts as the root of digital signatures (the government CA's roots, a
    public CA the province accepts). Kept as PEM text; an ended trust is deactivated, never deleted, so that a
    past check can still say which roots it used."""

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(db.String(500))
    fingerprint: Mapped[str] = mapped_column(db.String(64), unique=True)  # sha256 of the DER bytes
    pem: Mapped[str] = mapped_column(db.Text)
    not_after: Mapped[datetime] = mapped_column()
    added_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    added_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    active: Mapped[bool] = mapped_column(default=True)

    added_by: Mapped[User | None] = relationship()


class SignatureCheck(db.Model):
    """One validation of a stored PDF's digital signatures (append-only: a re-validation is a new row and a new
    audit event). ``signatures`` lists each signature as ``workflows.signatures.check`` reads it."""

    __table_args__ = (db.Index("ix_signature_check_attachment", "attachment_id", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    attachment_id: Mapped[int] = mapped_column(db.ForeignKey("attachment.id"))
    checked_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    sha256: Mapped[str] = mapped_column(db.String(64))  # of the bytes checked: the attachment's, unchanged
    status: Mapped[str] = mapped_column(db.String(20))  # workflows.signatures.check.STATUSES
    signatures: Mapped[list] = mapped_column(db.JSON, default=list)
    roots: Mapped[list] = mapped_column(db.JSON, default=list)  # fingerprints of the trust roots used


@event.listens_for(SignatureCheck, "before_update")
@event.listens_for(SignatureCheck, "before_delete")
def _checks_are_append_only(mapper, connection, target):
    raise PermissionError("Signature checks are append-only")
