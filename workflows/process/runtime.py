"""Running instances: start one, load one, save one — the one path by which engine state reaches the database.

``save`` writes the state and the moment its next timer fires, makes the ``work_item`` rows match the engine's
READY user tasks, records the timers that fired, and returns what changed (``Saved``). It decides nothing else:
the callers in ``workflows.tasks`` dispatch what follows (notifications, closing the task, a decided extension,
an accepted indicator value) from that result. It writes its rows at once, one Core statement each
(``workflows.rows``): the instance's versioned UPDATE first, so a lost race stops the action before the rest.

A workflow saved by a committed transaction stays restored in this process, keyed by its instance and the
version and moment the save gave the row (``_Cache``): the next action on the same instance here skips the
restore. A row saved meanwhile by another process has another version, and a row put back by a restore of a
backup (or a test's fresh database) another moment, so a stale workflow is never used; a workflow is taken out
of the cache while an action uses it, so two actions never share one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, event, inspect, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from models import Agency, ProcessInstance, ProcessModel, Task, User, WorkItem, db
from workflows import clock, rows
from workflows.errors import N_, Invalid
from workflows.process import catalog, engine, engine_loops, timers


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
        """Run one READY user task with (deep-copied) data and advance the engine; EngineError if refused.
        A step the file came back to continues from its first pass (``engine_loops``): the state stays small."""
        engine.complete(self.workflow, engine_task_id, data)
        engine_loops.fold_passes(self.workflow)

    def fire_timers(self, now: datetime) -> list[engine.WaitingTimer]:
        """Fire the timers due at ``now`` (aware) and advance the engine; the timers fired."""
        fired = engine.fire_timers(self.workflow, now)
        self.fired += fired
        return fired

    def waiting_timers(self) -> list[engine.WaitingTimer]:
        return engine.waiting_timers(self.workflow)

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


# The process data that name agencies (BPMN steps read them through their ``agency_var``).
AGENCY_KEYS = ("lead_agency", "coordinating_agency", "appraising_agency", "competent_authority",
               "assigning_authority")
UNKNOWN_AGENCY = N_("Quy trình cần đơn vị “%(agency)s” nhưng đơn vị này chưa có trong danh mục. "
                    "Vui lòng bổ sung đơn vị.")


def agency_names(data: dict[str, Any]) -> list[str]:
    """Every agency the process data names, in order, once."""
    names = [data.get(k) for k in AGENCY_KEYS] + [c.get("agency") for c in data.get("collaborators") or ()]
    return list(dict.fromkeys(n for n in names if isinstance(n, str) and n.strip()))


def start(task: Task, model: ProcessModel, data: dict[str, Any], kind: str = "main") -> Instance:
    """A new instance of ``model`` for ``task`` with ``data``, run to its first user task (not saved yet).

    Every agency the data names is resolved now — Invalid if one is not in the registry, rather than a file
    stopped later at the step that needs it — and the process carries their ids (``agency_ids``)."""
    names = agency_names(data)
    ids = dict(db.session.execute(select(Agency.name, Agency.id).where(Agency.name.in_(names))).all())
    missing = [n for n in names if n not in ids]
    if missing:
        raise Invalid(UNKNOWN_AGENCY, agency=missing[0])
    try:
        workflow = catalog.spec_for(model).start({**data, "agency_ids": ids})
    except engine.EngineError as exc:  # the model's code refused (its sandbox, a failing condition)
        raise Invalid("Quy trình không khởi động được: %(reason)s", reason=str(exc)) from exc
    now = clock.now()
    row = ProcessInstance(task=task, process_model=model, kind=kind, state="", status="running",
                          serializer_version=engine.SERIALIZER_VERSION, created_at=now, updated_at=now)
    db.session.add(row)
    db.session.flush()  # (its id: the work items refer to it)
    return Instance(row, workflow)


def load(row: ProcessInstance) -> Instance:
    """The instance of a row (the caller holds its lock), on the process version it runs on."""
    workflow = _cache.take(row)
    if workflow is None:
        workflow = engine.restore(_state(row), catalog.spec_for(row.process_model))
    return Instance(row, workflow)


def _state(row: ProcessInstance) -> str:
    """The row's state as of its version: read with the row, or else now at that version (the column is deferred,
    and on SQLite, without row locks, another writer may have saved the row since it was read)."""
    state = inspect(row).dict.get("state")
    if state is None:
        state = db.session.scalar(select(ProcessInstance.state).where(ProcessInstance.id == row.id,
                                                                      ProcessInstance.version == row.version))
    if state is None:
        raise StaleDataError(f"process_instance {row.id} was saved meanwhile (read at version {row.version})")
    return state


def changed_hands(row: ProcessInstance) -> None:
    """An item of the instance changes hands (claimed, handed over, released) and its state does not: the row's
    version moves on all the same, so that an action that read the items before — a completion racing the
    hand-over — is a lost race, not a step done by someone who no longer holds it. The workflow this process
    keeps for the instance moves to the new version with it."""
    workflow = _cache.take(row)
    rows.update_row(row, expect_version=row.version, updated_at=clock.now())
    if workflow is not None:
        _cache.keep_after_commit(row, workflow)


def open_items_of_task(task_id: int) -> list[WorkItem]:
    return list(db.session.scalars(select(WorkItem).where(WorkItem.task_id == task_id, WorkItem.status == "open")
                                   .order_by(WorkItem.id)))


def save(instance: Instance, task: Task, *, back_to_holders: bool = False,
         open_items: list[WorkItem] | None = None) -> Saved:
    """Save the engine state, make the open work items match the READY user tasks, note the next timer.

    ``open_items`` are the task's open items as read under the instance lock, when the caller already has
    them. With ``back_to_holders`` (a return), an item goes to whoever did that step last, not the queue.
    """
    row, now = instance.row, clock.now()
    saved = Saved(completed=instance.is_completed())
    with db.session.no_autoflush:  # (what the action changed through the ORM is flushed once, at its commit)
        # the timers' moments are evaluated before the state is serialized, so that the state holds them
        next_timer_at = None if saved.completed else timers.next_moment(instance.waiting_timers())
        rows.update_row(row, expect_version=row.version, state=engine.serialize(instance.workflow),
                        serializer_version=engine.SERIALIZER_VERSION, updated_at=now, next_timer_at=next_timer_at,
                        status="completed" if saved.completed else row.status)
        timers.record_fired(row, task, instance.fired)
        steps = instance.ready_steps()
        task_items = [i for i in (open_items if open_items is not None else open_items_of_task(task.id))
                      if i.status == "open"]
        existing = {i.engine_task_id: i for i in task_items if i.instance_id == row.id}
        new_steps = [s for s in steps if s.task_id not in existing]
        agencies = _agencies(new_steps)
        new_items = [_new_item(row, task, step, agencies, back_to_holders, now) for step in new_steps]
        saved.created = rows.insert_rows(WorkItem, [values for values, _ in new_items],
                                         [related for _, related in new_items], distinct="engine_task_id")
        ready = {s.task_id for s in steps}
        for engine_id, item in existing.items():
            if engine_id not in ready:
                rows.update_row(item, status="cancelled", completed_at=now)
                saved.cancelled.append(item)
    saved.open = [i for i in task_items if i.status == "open"] + saved.created
    if not saved.completed:
        _cache.keep_after_commit(row, instance.workflow)
    return saved


def _agencies(steps: list[engine.Step]) -> dict[str, Agency]:
    """The agencies the steps name, by the name the step gives: by the ids the process data carries (resolved when
    the task was created, so a renamed agency is still found), else by name (instances started before those ids).
    Those the action has read already (the items' agencies, the task's lead) are taken from the session; the
    others in one query."""
    found = {}
    for step in steps:
        kept = db.session.identity_map.get(identity_key(Agency, step.agency_id)) if step.agency_id else None
        if kept is not None and not inspect(kept).expired:
            found[step.agency] = kept
    missing = [s for s in steps if s.agency and s.agency not in found]
    ids = {s.agency_id for s in missing if s.agency_id}
    names = {s.agency for s in missing}
    if missing:
        by_id, by_name = {}, {}
        for agency in db.session.scalars(_AGENCIES_QUERY, {"ids": list(ids), "names": list(names)}):
            by_id[agency.id], by_name[agency.name] = agency, agency
        for step in missing:
            agency = by_id.get(step.agency_id) or by_name.get(step.agency)
            if agency is not None:
                found[step.agency] = agency
    return found


_AGENCIES_QUERY = select(Agency).where(or_(Agency.id.in_(bindparam("ids", expanding=True)),
                                           Agency.name.in_(bindparam("names", expanding=True))))


def _new_item(row: ProcessInstance, task: Task, step: engine.Step, agencies: dict[str, Agency],
              back_to_holders: bool, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """The work item row of a step that became ready, and the objects it refers to."""
    agency = agencies.get(step.agency or "")
    if agency is None and not step.agency:  # (an agency_var naming nothing in the file's data: the model's typo)
        raise Invalid("Bước “%(step)s”: mô hình quy trình đang dùng không chỉ ra đơn vị thực hiện (biến đơn vị của "
                      "bước không có trong dữ liệu của hồ sơ). Đây là lỗi của mô hình quy trình: báo quản trị viên sửa "
                      "và triển khai lại (trang Quy trình).", step=step.step_name)
    if agency is None:
        raise Invalid("Bước “%(step)s” cần đơn vị “%(agency)s” "
                      "nhưng đơn vị này chưa có trong danh mục. Vui lòng bổ sung đơn vị.",
                      step=step.step_name, agency=step.agency or "(chưa xác định)")
    assignee = None
    if step.assignee:
        assignee = db.session.scalar(select(User).where(User.username == step.assignee, User.agency_id == agency.id,
                                                        User.active.is_(True)))
        if assignee is not None and not assignee.has_role(step.role):  # (no longer an officer: the queue)
            assignee = None
    elif back_to_holders:  # a file sent back goes to whoever did that step, not the queue
        assignee = _previous_holder(row.id, step.step_id, agency.id, step.role)
    values = dict(instance_id=row.id, task_id=task.id, engine_task_id=step.task_id, step_id=step.step_id,
                  step_name=step.step_name, lane=step.lane, agency_id=agency.id, role=step.role, status="open",
                  decisions=list(step.decisions), fields=[asdict(f) for f in step.fields],
                  claimed_by_id=assignee.id if assignee else None, created_at=now, due_at=due_at(task, step, now),
                  completed_at=None, completed_by_id=None, decision=None, comment=None,
                  on_behalf_of=step.on_behalf_of)
    return values, {"instance": row, "task": task, "agency": agency, "claimed_by": assignee, "completed_by": None}


def _previous_holder(instance_id: int, step_id: str, agency_id: int, role: str) -> User | None:
    """Who held the last completed visit of ``step_id`` in the instance, if still active in that agency with the
    step's role (else the queue: nobody may act on an item held by someone without it)."""
    holder = db.session.scalar(select(User).join(WorkItem, WorkItem.claimed_by_id == User.id).where(
        WorkItem.instance_id == instance_id, WorkItem.step_id == step_id, WorkItem.status == "done",
        WorkItem.agency_id == agency_id).order_by(WorkItem.completed_at.desc(), WorkItem.id.desc()).limit(1))
    return holder if holder is not None and holder.active and holder.agency_id == agency_id \
        and holder.has_role(role) else None


def due_at(task: Task, step: engine.Step | None = None, opened: datetime | None = None) -> datetime | None:
    """The moment a task's work item is due (the day's midnight), or None: the task's due date, or the step's own
    deadline (``due_var``: the internal deadline a head gave for the draft) when it is earlier — and not before the
    item was ``opened``: a draft returned after that day is due with the task."""
    due = task.due_date
    if step is not None and step.due is not None and (due is None or step.due < due) \
            and (opened is None or step.due >= clock.to_local(opened).date()):
        due = step.due
    return None if due is None else datetime.combine(due, datetime.min.time())


# ---------------------------------------------------------------- the restored workflows of this process

class _Cache:
    """Workflows saved by committed transactions, by (instance id, row version, row moment); least recently used
    out."""

    SIZE = 64
    PENDING = "runtime.pending"  # Session.info key: workflows saved by the session's current transaction

    def __init__(self) -> None:
        self._workflows: OrderedDict[tuple, engine.Workflow] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(row: ProcessInstance) -> tuple | None:
        """The row's key as last written or read; None when its version is not known (expired)."""
        state = inspect(row)
        values = state.dict
        return (state.identity[0], values["version"], values.get("updated_at")) if "version" in values else None

    def take(self, row: ProcessInstance) -> engine.Workflow | None:
        with self._lock:
            return self._workflows.pop(self.key(row), None)

    def keep_after_commit(self, row: ProcessInstance, workflow: engine.Workflow) -> None:
        # the key this save gave the row; a later flush of other changes to the row changes it (``flushed``)
        db.session.info.setdefault(self.PENDING, {})[row.id] = [row, workflow, self.key(row)]

    def flushed(self, session: Session, _context) -> None:
        for entry in session.info.get(self.PENDING, {}).values():
            entry[2] = self.key(entry[0])

    def committed(self, session: Session) -> None:
        pending = session.info.pop(self.PENDING, {})
        with self._lock:
            for _row, workflow, key in pending.values():
                if key is not None:
                    self._workflows[key] = workflow
            while len(self._workflows) > self.SIZE:
                self._workflows.popitem(last=False)

    def rolled_back(self, session: Session, _previous=None) -> None:
        session.info.pop(self.PENDING, None)

    def clear(self) -> None:
        with self._lock:
            self._workflows.clear()


_cache = _Cache()


def _flushed(session: Session, context) -> None:
    _cache.flushed(session, context)


def _committed(session: Session) -> None:
    _cache.committed(session)


def _rolled_back(session: Session, previous) -> None:
    _cache.rolled_back(session, previous)


def listen() -> None:
    """Keep the workflows committed transactions saved (once per process, from ``create_app``)."""
    for name, handler in (("after_flush_postexec", _flushed), ("after_commit", _committed),
                          ("after_soft_rollback", _rolled_back)):
        if not event.contains(Session, name, handler):
            event.listen(Session, name, handler)


def forget_restored() -> None:
    """Drop every kept workflow (benchmarks that time a cold restore; tests)."""
    _cache.clear()
