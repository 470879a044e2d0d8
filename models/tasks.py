"""Directives (assigning documents) and the tasks they assign."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.db import db
from models.people import Agency, AgencyGroup, User

OUTPUT_TYPES = {
    "plan": "Kế hoạch, chương trình, đề án, nghị quyết, quy chế",
    "decision": "Quyết định",
    "project": "Dự án",
    "submission": "Tờ trình",
    "report": "Báo cáo",
    "letter": "Văn bản, hướng dẫn, ý kiến",
    "coordination": "Phối hợp thực hiện",
    "result": "Hoàn thành, sự kiện, bài viết",
}

task_collaborators = db.Table(
    "task_collaborator",
    db.Column("task_id", db.ForeignKey("task.id", ondelete="CASCADE"), primary_key=True),
    db.Column("agency_id", db.ForeignKey("agency.id"), primary_key=True),
    db.Index("ix_task_collaborator_agency_task", "agency_id", "task_id"),  # an agency's tasks (access.involved_clause)
)


class Directive(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(db.String(120), index=True)
    issued_on: Mapped[date | None] = mapped_column()
    issuer: Mapped[str | None] = mapped_column(db.String(255))
    title: Mapped[str | None] = mapped_column(db.Text)
    sha256: Mapped[str | None] = mapped_column(db.String(64), index=True)  # of the imported source


class Task(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(db.String(40), unique=True)
    title: Mapped[str] = mapped_column(db.Text)
    section: Mapped[str | None] = mapped_column(db.String(500))
    appendix: Mapped[str | None] = mapped_column(db.String(500))
    stt: Mapped[str | None] = mapped_column(db.String(20))
    # Identity inside its directive (normalized appendix + title): re-importing finds the same task.
    import_key: Mapped[str | None] = mapped_column(db.String(64), index=True)
    # Periodic reports are tasks of their own, one per period: kind "period_report" (for an ongoing
    # task, parent_id set) or "agency_report" (an agency's report for the period).
    kind: Mapped[str] = mapped_column(db.String(20), default="task", server_default="task", index=True)
    parent_id: Mapped[int | None] = mapped_column(db.ForeignKey("task.id"), index=True)
    period: Mapped[str | None] = mapped_column(db.String(20))  # 2026-03, 2026-Q1, 2026-H1, 2026
    period_key: Mapped[str | None] = mapped_column(db.String(80), unique=True)  # makes generation idempotent
    # kind "indicator_report": an agency reports the value of this indicator for ``period`` (a year).
    indicator_id: Mapped[int | None] = mapped_column(db.ForeignKey("indicator.id"), index=True)
    original_due: Mapped[date | None] = mapped_column()  # the first due date, kept for statistics
    directive_id: Mapped[int | None] = mapped_column(db.ForeignKey("directive.id"), index=True)
    source_document: Mapped[str | None] = mapped_column(db.Text)
    # None only for a task owed by a group (kind "group"): its members' tasks (kind "task", parent_id) have leads
    lead_agency_id: Mapped[int | None] = mapped_column(db.ForeignKey("agency.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(db.ForeignKey("agency_group.id"), index=True)
    expected_output: Mapped[str | None] = mapped_column(db.Text)
    output_type: Mapped[str] = mapped_column(db.String(20))
    deadline_text: Mapped[str | None] = mapped_column(db.Text)
    nominal_due: Mapped[date | None] = mapped_column()
    due_date: Mapped[date | None] = mapped_column(index=True)  # effective due date
    recurrence: Mapped[str | None] = mapped_column(db.String(20))
    # The recurrence's rule as the document states it: its own day of the month ("trước ngày 10 hằng tháng";
    # of the quarter's last month for a quarter), its weekday (1 = Monday … 7 = Sunday) and its start ("Từ Quý
    # III/2026"); periodic reports follow them.
    recurrence_day: Mapped[int | None] = mapped_column()
    recurrence_weekday: Mapped[int | None] = mapped_column()
    recurrence_starts: Mapped[date | None] = mapped_column()
    milestones: Mapped[list] = mapped_column(db.JSON, default=list)
    done_at_issue: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(db.Text)
    # Lifecycle: "active" while a process runs, "done" when it completed.
    state: Mapped[str] = mapped_column(db.String(20), default="active", index=True)
    started_at: Mapped[datetime | None] = mapped_column()  # first action by a person
    completed_at: Mapped[datetime | None] = mapped_column()
    completed_on: Mapped[date | None] = mapped_column()  # local date, compared with due_date
    # Cached from the work items after every engine save (the list never touches engine state).
    current_step: Mapped[str | None] = mapped_column(db.String(255), index=True)
    current_holder: Mapped[str | None] = mapped_column(db.String(255))
    step_since: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    # The short texts people recorded at the steps (the number of the approved decision, of the report
    # sent), " | "-separated: someone looking for "Nghị quyết 15/2026/NQ-HĐND" finds the task by it.
    recorded_refs: Mapped[str | None] = mapped_column(db.Text)
    # The one-time key of the form that created the task: the same form sent twice creates one task.
    submission: Mapped[str | None] = mapped_column(db.String(64), unique=True)
    # The central bodies (ministries, central offices) that lead the task nationally, as the document names them:
    # context shown beside the province's own lead, never an agency of the registry.
    central_agencies: Mapped[list] = mapped_column(db.JSON, default=list)
    # The agencies that led the task before it passed to its lead by a merge or a split, oldest first: the task is
    # still found, and told apart, by the name people knew it under.
    former_leads: Mapped[list] = mapped_column(db.JSON, default=list)
    # Likewise the collaborating agencies that merged into another (their successor collaborates in their place).
    former_collaborators: Mapped[list] = mapped_column(db.JSON, default=list)
    # Code, title, section, agencies (former ones too), directive number and recorded_refs folded (no accents)
    # for search; kept up to date by workflows.tasks.search on every flush.
    search_text: Mapped[str | None] = mapped_column(db.Text)

    directive: Mapped[Directive | None] = relationship()
    lead_agency: Mapped[Agency | None] = relationship(lazy="joined")
    group: Mapped[AgencyGroup | None] = relationship()
    parent: Mapped[Task | None] = relationship(remote_side=[id])
    collaborating_agencies: Mapped[list[Agency]] = relationship(
        secondary=task_collaborators, order_by=Agency.name)

    @property
    def lead_name(self) -> str:
        """Who leads it, as lists show it: the lead agency, or the group a group's task is owed by."""
        if self.lead_agency is not None:
            return self.lead_agency.name
        return self.group.name if self.group is not None else ""

    @property
    def output_type_label(self) -> str:
        return OUTPUT_TYPES.get(self.output_type, self.output_type)

    @hybrid_property
    def period_due(self) -> date | None:
        """The day that puts the task in a reporting period: its deadline as written ("Tháng 8/2025": 31/08/2025),
        not the working day it moved to (03/09/2025 after the 2/9 holidays), which is what lateness is judged by."""
        return self.nominal_due or self.due_date

    @period_due.inplace.expression
    @classmethod
    def _period_due(cls):
        return func.coalesce(cls.nominal_due, cls.due_date)


class TaskExplanation(db.Model):
    """The lead agency's explanation (giải trình) of an overdue task and the date it now expects to finish: what
    reports to the province quote (never a return note, which stays inside the agency)."""

    __table_args__ = (db.Index("ix_task_explanation_task_created", "task_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(db.ForeignKey("task.id"))
    text: Mapped[str] = mapped_column(db.Text)
    expected_on: Mapped[date | None] = mapped_column()
    author_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)

    author: Mapped[User | None] = relationship()
