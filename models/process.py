"""Process models, running instances and the work items synced from them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import db
from models.people import Agency, User
from models.tasks import Task


class ProcessModel(db.Model):
    """One deployed version of a BPMN (or DMN) file."""

    __table_args__ = (db.UniqueConstraint("process_id", "version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(db.String(100), index=True)
    version: Mapped[int] = mapped_column()
    filename: Mapped[str] = mapped_column(db.String(255))
    kind: Mapped[str] = mapped_column(db.String(10), default="bpmn")  # bpmn | dmn
    sha256: Mapped[str] = mapped_column(db.String(64))
    source: Mapped[str] = mapped_column(db.Text, deferred=True)  # read when parsed or drawn, not per step
    deployed_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    deployed_by: Mapped[str | None] = mapped_column(db.String(80))


class ProcessInstance(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(db.ForeignKey("task.id"), index=True)
    process_model_id: Mapped[int] = mapped_column(db.ForeignKey("process_model.id"), index=True)
    state: Mapped[str] = mapped_column(db.Text, deferred=True)  # read only to restore (see runtime.load)
    serializer_version: Mapped[str] = mapped_column(db.String(60))
    status: Mapped[str] = mapped_column(db.String(20), default="running")  # running | completed
    # "main" drives the task; "extension" is a request for more time running beside it.
    kind: Mapped[str] = mapped_column(db.String(20), default="main", server_default="main")
    # Optimistic lock: every save bumps it; a stale writer gets StaleDataError (→ 409).
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    # The earliest moment one of its waiting timers fires (naive UTC), written with the state by every save:
    # the worker's index of what is due. The engine state stays the source of truth.
    next_timer_at: Mapped[datetime | None] = mapped_column()

    __table_args__ = (db.Index("ix_process_instance_due", "status", "next_timer_at"),)
    __mapper_args__ = {"version_id_col": version}

    task: Mapped[Task] = relationship(backref="instances")
    process_model: Mapped[ProcessModel] = relationship(lazy="joined")


class WorkItem(db.Model):
    """A READY user task of an instance, as the inbox and the lists see it."""

    __table_args__ = (
        db.Index("ix_work_item_queue", "status", "agency_id", "role"),
        db.Index("ix_work_item_claimed", "status", "claimed_by_id"),
        db.Index("ix_work_item_task_status", "task_id", "status"),
        db.Index("ix_work_item_status_created", "status", "created_at"),  # the dashboard's longest waits
        db.Index("ix_work_item_agency_task", "agency_id", "task_id"),  # the tasks an agency worked on (involved_clause)
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(db.ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int] = mapped_column(db.ForeignKey("task.id"))
    engine_task_id: Mapped[str] = mapped_column(db.String(36))
    step_id: Mapped[str] = mapped_column(db.String(100))
    step_name: Mapped[str] = mapped_column(db.String(255))
    lane: Mapped[str | None] = mapped_column(db.String(255))
    agency_id: Mapped[int | None] = mapped_column(db.ForeignKey("agency.id"))
    role: Mapped[str] = mapped_column(db.String(30))
    # What the step accepts, copied from the BPMN at sync time (the pages never load the engine).
    decisions: Mapped[list] = mapped_column(db.JSON, default=list)
    fields: Mapped[list] = mapped_column(db.JSON, default=list)
    status: Mapped[str] = mapped_column(db.String(20), default="open")  # open | done | cancelled
    claimed_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    due_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    completed_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    decision: Mapped[str | None] = mapped_column(db.String(20))
    comment: Mapped[str | None] = mapped_column(db.Text)
    # The merged agency whose part its successor carries on here (a collaborator's opinion and its head's
    # signature): two collaborators merged into one hold two runs of the same step, told apart by this.
    on_behalf_of: Mapped[str | None] = mapped_column(db.String(255))

    instance: Mapped[ProcessInstance] = relationship()
    task: Mapped[Task] = relationship()
    agency: Mapped[Agency | None] = relationship(lazy="joined")
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id], lazy="joined")
    completed_by: Mapped[User | None] = relationship(foreign_keys=[completed_by_id])
