"""Timers the worker fires, notifications, the mail outbox and out-of-office delegations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import db
from models.people import User


class Timer(db.Model):
    """A timer that fired (a reminder or an escalation): the worker's record of what it did and when.

    Waiting timers live in the engine state; ``ProcessInstance.next_timer_at`` says when the next one is due.
    """

    # once per moment: a timer of an open step fires again for a new due date (``engine.set_due_date``)
    __table_args__ = (db.UniqueConstraint("instance_id", "engine_task_id", "fire_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(db.ForeignKey("process_instance.id"), index=True)
    task_id: Mapped[int] = mapped_column(db.ForeignKey("task.id"), index=True)
    engine_task_id: Mapped[str] = mapped_column(db.String(36))
    step_name: Mapped[str | None] = mapped_column(db.String(255))
    action: Mapped[str] = mapped_column(db.String(20))  # remind | escalate
    notify: Mapped[str] = mapped_column(db.String(30))  # holder | agency_head | coordinator
    fire_at: Mapped[datetime] = mapped_column()  # when it was due
    fired_at: Mapped[datetime | None] = mapped_column()  # when the worker fired it


class Notification(db.Model):
    __table_args__ = (db.Index("ix_notification_user_unread", "user_id", "read_at"),
                      db.Index("ix_notification_user_created", "user_id", "created_at", "id"))  # a page of them
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    # new_item | returned | reminder | escalation | extension | comment | mention | reassigned
    kind: Mapped[str] = mapped_column(db.String(30))
    title: Mapped[str] = mapped_column(db.String(500))
    body: Mapped[str | None] = mapped_column(db.Text)
    link: Mapped[str | None] = mapped_column(db.String(500))
    task_id: Mapped[int | None] = mapped_column(db.ForeignKey("task.id"))
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    read_at: Mapped[datetime | None] = mapped_column()
    emailed: Mapped[bool] = mapped_column(default=False)

    user: Mapped[User] = relationship()


class OutboxMail(db.Model):
    """A mail waiting to be sent; a failing server never blocks a workflow step."""

    __table_args__ = (db.Index("ix_outbox_mail_pending", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    to_address: Mapped[str] = mapped_column(db.String(255))
    subject: Mapped[str] = mapped_column(db.String(500))
    body: Mapped[str] = mapped_column(db.Text)
    status: Mapped[str] = mapped_column(db.String(20), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    last_error: Mapped[str | None] = mapped_column(db.Text)
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    sent_at: Mapped[datetime | None] = mapped_column()


class Delegation(db.Model):
    """While a user is away, the delegate of the same agency acts on their behalf."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"), index=True)
    delegate_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"), index=True)
    starts_on: Mapped[date] = mapped_column()
    ends_on: Mapped[date] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    delegate: Mapped[User] = relationship(foreign_keys=[delegate_id])
