"""Running instances: start one, load one, save one — the one path by which engine state reaches the database.

``save`` writes the state, makes the ``work_item`` rows match the engine's READY user tasks and mirrors
the waiting timers, then returns what changed (``Saved``). It decides nothing else: the callers in
``workflows.tasks`` dispatch what follows (notifications, closing the task, a decided extension, an accepted
indicator value) from that result.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from models import Agency, ProcessInstance, ProcessModel, Task, User, WorkItem, db
from workflows import clock
from workflows.errors import Invalid
from workflows.process import catalog, engine, timers


@dataclass
class Instance:
    """A process instance as a use case holds it: its row and its restored engine workflow."""

    row: ProcessInstance
    workflow: engine.Workflow
    fired: list[engine.WaitingTimer] = field(default_factory=list)  # timers fired since it was loaded

    @property
    def kind(self) -> str:
        return self.row.kind

    def ready_steps(self) -> list[engine.Step]:
        return engine.ready_steps(self.workflow)

    def step(self, engine_task_id: str) -> engine.Step | None:
        """The READY user task of that id, or None (done meanwhile, or never one)."""
        return engine.step(self.workflow, engine_task_id)

    def complete(self, engine_task_id: str, data: dict[str, Any]) -> None:
        """Run one READY user task with (deep-copied) data and advance the engine; EngineError if refused."""
        engine.complete(self.workflow, engine_task_id, data)

    def fire_timers(self, now: datetime) -> list[engine.WaitingTimer]:
        """Fire the timers due at ``now`` (aware) and advance the engine; the timers fired."""
        fired = engine.fire_timers(self.workflow, now)
        self.fired += fired
        return fired

    def set_due_date(self, due: date | None) -> None:
        engine.set_due_date(self.workflow, due.isoformat() if due else None)

    def is_completed(self) -> bool:
        return engine.is_completed(self.workflow)

    def result_data(self) -> dict[str, Any]:
        return engine.result_data(self.workflow)


@dataclass
class Saved:
    """What one save changed."""

    created: list[WorkItem] = field(default_factory=list)  # items of the steps that became ready
    cancelled: list[WorkItem] = field(default_factory=list)  # open items whose step is gone (a parallel branch)
    open: list[WorkItem] = field(default_factory=list)  # every open item of the task after the save
    completed: bool = False  # the instance finished with this save


def start(task: Task, model: ProcessModel, data: dict[str, Any], kind: str = "main") -> Instance:
    """A new instance of ``model`` for ``task`` with ``data``, run to its first user task; flushed, not saved."""
    workflow = catalog.spec_for(model).start(data)
    now = clock.now()
    row = ProcessInstance(task=task, process_model=model, kind=kind, state=engine.serialize(workflow),
                          serializer_version=engine.SERIALIZER_VERSION, created_at=now, updated_at=now)
    db.session.add(row)
    db.session.flush()
    return Instance(row, workflow)


def load(row: ProcessInstance) -> Instance:
    """The instance of a row (the caller holds its lock), on the process version it runs on."""
    return Instance(row, engine.restore(row.state, catalog.spec_for(row.process_model)))


def open_items_of_task(task_id: int) -> list[WorkItem]:
    return list(db.session.scalars(select(WorkItem).where(WorkItem.task_id == task_id, WorkItem.status == "open")
                                   .order_by(WorkItem.id)))


def save(instance: Instance, task: Task, *, back_to_holders: bool = False,
         open_items: list[WorkItem] | None = None) -> Saved:
    """Save the engine state, make the open work items match the READY user tasks, mirror the timers.

    ``open_items`` are the task's open items as read under the instance lock, when the caller already has
    them. With ``back_to_holders`` (a return), an item goes to whoever did that step last, not the queue.
    """
    row, now = instance.row, clock.now()
    saved = Saved(completed=instance.is_completed())
    with db.session.no_autoflush:  # one flush below instead of one before every query
        row.state = engine.serialize(instance.workflow)
        row.serializer_version = engine.SERIALIZER_VERSION
        row.updated_at = now
        if saved.completed:
            row.status = "completed"
        steps = instance.ready_steps()
        # (the item just completed is still "open" in the database until the flush)
        task_items = [i for i in (open_items if open_items is not None else open_items_of_task(task.id))
                      if i.status == "open"]
        existing = {i.engine_task_id: i for i in task_items if i.instance_id == row.id}
        new_steps = [s for s in steps if s.task_id not in existing]
        agencies = _agencies({s.agency for s in new_steps if s.agency})
        for step in new_steps:
            item = _new_item(row, task, step, agencies, back_to_holders, now)
            db.session.add(item)
            saved.created.append(item)
    ready = {s.task_id for s in steps}
    for engine_id, item in existing.items():
        if engine_id not in ready:
            item.status, item.completed_at = "cancelled", now
            saved.cancelled.append(item)
    db.session.flush()  # the instance's version check runs here, before any other write
    timers.sync(row, instance.workflow, task, {t.task_id for t in instance.fired})
    saved.open = [i for i in task_items if i.status == "open"] + saved.created
    return saved


def _agencies(names: set[str]) -> dict[str, Agency]:
    if not names:
        return {}
    return {a.name: a for a in db.session.scalars(select(Agency).where(Agency.name.in_(names)))}


def _new_item(row: ProcessInstance, task: Task, step: engine.Step, agencies: dict[str, Agency],
              back_to_holders: bool, now: datetime) -> WorkItem:
    agency = agencies.get(step.agency or "")
    if agency is None:
        raise Invalid("Bước “%(step)s” cần đơn vị “%(agency)s” "
                      "nhưng đơn vị này chưa có trong danh mục. Vui lòng bổ sung đơn vị.",
                      step=step.step_name, agency=step.agency or "(chưa xác định)")
    assignee = None
    if step.assignee:
        assignee = db.session.scalar(select(User).where(
            User.username == step.assignee, User.agency_id == agency.id, User.active.is_(True)))
    elif back_to_holders:  # a file sent back goes to whoever did that step, not the queue
        assignee = _previous_holder(row.id, step.step_id, agency.id)
    return WorkItem(instance_id=row.id, task_id=task.id, engine_task_id=step.task_id,
                    step_id=step.step_id, step_name=step.step_name, lane=step.lane,
                    agency_id=agency.id, agency=agency, role=step.role, status="open",
                    decisions=list(step.decisions), fields=[asdict(f) for f in step.fields],
                    claimed_by_id=assignee.id if assignee else None, claimed_by=assignee,
                    created_at=now, due_at=due_at(task))


def _previous_holder(instance_id: int, step_id: str, agency_id: int) -> User | None:
    """Who held the last completed visit of ``step_id`` in the instance, if still active in that agency."""
    holder = db.session.scalar(select(User).join(WorkItem, WorkItem.claimed_by_id == User.id).where(
        WorkItem.instance_id == instance_id, WorkItem.step_id == step_id, WorkItem.status == "done",
        WorkItem.agency_id == agency_id).order_by(WorkItem.completed_at.desc(), WorkItem.id.desc()).limit(1))
    return holder if holder is not None and holder.active and holder.agency_id == agency_id else None


def due_at(task: Task) -> datetime | None:
    """The moment a task's work items are due (the due date's midnight), or None."""
    if task.due_date is None:
        return None
    return datetime.combine(task.due_date, datetime.min.time())
