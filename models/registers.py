"""Imports of official documents, deadline adjustments, the holiday calendar and indicators."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import db
from models.people import Agency, User
from models.tasks import Directive, Task


class Holiday(db.Model):
    """A day off besides weekends, or a weekend day made a working day (kind "working")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    name: Mapped[str] = mapped_column(db.String(200))
    kind: Mapped[str] = mapped_column(db.String(10), default="off")  # off | working


class DeadlineAdjustment(db.Model):
    """Every change of a task's due date, with who decided it, why and by which document."""

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(db.ForeignKey("task.id"), index=True)
    old_due: Mapped[date | None] = mapped_column()
    new_due: Mapped[date | None] = mapped_column()
    old_text: Mapped[str | None] = mapped_column(db.Text)
    new_text: Mapped[str | None] = mapped_column(db.Text)
    reason: Mapped[str | None] = mapped_column(db.Text)
    source_document: Mapped[str | None] = mapped_column(db.Text)
    directive_id: Mapped[int | None] = mapped_column(db.ForeignKey("directive.id"))
    decided_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=datetime.utcnow)

    task: Mapped[Task] = relationship()
    decided_by: Mapped[User | None] = relationship()


class ImportBatch(db.Model):
    """One uploaded document, from preview to commit. ``report`` holds the parsed rows."""

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(db.String(255))
    sha256: Mapped[str] = mapped_column(db.String(64), index=True)
    # reading (its scanned pages wait for OCR) | failed (reading found nothing) | preview | committed | cancelled
    status: Mapped[str] = mapped_column(db.String(20), default="preview")
    directive_number: Mapped[str | None] = mapped_column(db.String(120))
    directive_title: Mapped[str | None] = mapped_column(db.Text)
    issued_on: Mapped[date | None] = mapped_column()
    report: Mapped[dict] = mapped_column(db.JSON, default=dict)
    source: Mapped[str] = mapped_column(db.Text)  # the uploaded file, base64 (re-analysed after each fix)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    committed_at: Mapped[datetime | None] = mapped_column()
    directive_id: Mapped[int | None] = mapped_column(db.ForeignKey("directive.id"))
    # pages read by OCR: {"pages": [2, 3], "read": {"2": blocks, …}, "error": message}; None for a text document
    scan: Mapped[dict | None] = mapped_column(db.JSON)
    claimed_until: Mapped[datetime | None] = mapped_column()  # a worker reading the scans holds it until then

    created_by: Mapped[User | None] = relationship()
    directive: Mapped[Directive | None] = relationship()

    @property
    def pages_read(self) -> int:
        return len((self.scan or {}).get("read", {}))

    @property
    def pages_to_read(self) -> int:
        return len((self.scan or {}).get("pages", []))


class AgencyReview(db.Model):
    """An agency name from an import that matched nothing confidently: mapped once by a person."""

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(db.String(500))
    normalized: Mapped[str] = mapped_column(db.String(500), unique=True)
    suggestion: Mapped[str | None] = mapped_column(db.String(255))
    status: Mapped[str] = mapped_column(db.String(20), default="open")  # open | mapped | group | ignored
    agency_id: Mapped[int | None] = mapped_column(db.ForeignKey("agency.id"))
    seen_in_batch_id: Mapped[int | None] = mapped_column(db.ForeignKey("import_batch.id"))
    resolved_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    resolved_at: Mapped[datetime | None] = mapped_column()

    agency: Mapped[Agency | None] = relationship()


class AgencyAlias(db.Model):
    """Another name of an agency, settled by a person on an import's review list: who made it, when and from
    which document. The registry's own aliases (``Agency.aliases``) come with the registry; these are the ones
    an administrator may list and remove (removing one changes no task already imported)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(db.ForeignKey("agency.id"), index=True)
    text: Mapped[str] = mapped_column(db.String(500))  # as written in the document
    normalized: Mapped[str] = mapped_column(db.String(500), unique=True)  # text.fold_words: one agency per name
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    batch_id: Mapped[int | None] = mapped_column(db.ForeignKey("import_batch.id"))
    document: Mapped[str | None] = mapped_column(db.String(255))  # the document's number or file name then

    agency: Mapped[Agency] = relationship()
    created_by: Mapped[User | None] = relationship()
    batch: Mapped[ImportBatch | None] = relationship()


class Indicator(db.Model):
    """A target of an action plan (Phụ lục I "Danh mục các chỉ tiêu")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int | None] = mapped_column(db.ForeignKey("directive.id"), index=True)
    group: Mapped[str | None] = mapped_column(db.String(500))
    stt: Mapped[str | None] = mapped_column(db.String(20))
    name: Mapped[str] = mapped_column(db.Text)
    unit: Mapped[str | None] = mapped_column(db.String(120))
    baseline: Mapped[str | None] = mapped_column(db.String(255))
    baseline_date: Mapped[str | None] = mapped_column(db.String(120))
    targets: Mapped[dict] = mapped_column(db.JSON, default=dict)  # {"2025": "…", "2030": "…"}
    responsible: Mapped[list] = mapped_column(db.JSON, default=list)  # registry names
    responsible_text: Mapped[str | None] = mapped_column(db.Text)
    extra: Mapped[dict] = mapped_column(db.JSON, default=dict)


class IndicatorValue(db.Model):
    """A value of an indicator for one milestone year, accepted through an indicator report task.

    Written when the report's process completes (the coordinator accepted it); the task keeps the
    history, the evidence files and who signed. A later accepted report for the same year wins.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(db.ForeignKey("indicator.id"), index=True)
    year: Mapped[int] = mapped_column()
    value: Mapped[float | None] = mapped_column()  # when the reported value is a number
    value_text: Mapped[str] = mapped_column(db.String(255))  # as reported ("85%", "12,5")
    note: Mapped[str | None] = mapped_column(db.Text)
    agency_id: Mapped[int | None] = mapped_column(db.ForeignKey("agency.id"))
    task_id: Mapped[int | None] = mapped_column(db.ForeignKey("task.id"), index=True)
    accepted_at: Mapped[datetime] = mapped_column()
    accepted_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))

    indicator: Mapped[Indicator] = relationship()
    agency: Mapped[Agency | None] = relationship()
    accepted_by: Mapped[User | None] = relationship()
