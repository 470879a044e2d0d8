"""What a user last chose for an exported document, offered again on the next export."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column

from models.db import db


class ExportPreference(db.Model):
    """One row per user: the signer, the signing title, "Nơi nhận" and the Friday pack's form, as a JSON
    object (``workflows.reporting.signing`` reads and writes it; missing keys fall back to the settings)."""

    __tablename__ = "export_preference"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"), unique=True)
    data: Mapped[dict] = mapped_column(db.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=datetime.utcnow, onupdate=datetime.utcnow)


class SiteSetting(db.Model):
    """An installation fact set once by a person, not by the environment: today only ``reports_since``, the
    date periodic reporting through the product began (``workflows.tasks.periods.reports_since``)."""

    __tablename__ = "site_setting"

    key: Mapped[str] = mapped_column(db.String(64), primary_key=True)
    value: Mapped[str] = mapped_column(db.String(255))
    updated_at: Mapped[datetime] = mapped_column(default=datetime.utcnow, onupdate=datetime.utcnow)
