"""Moving running instances to another version of their process, in bulk, with a dry run first.

Only administrators act here (checked in every use case). Each moved instance leaves an audit event.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from models import ProcessInstance, ProcessModel, User, WorkItem, db
from workflows import audit
from workflows.errors import Invalid
from workflows.process import catalog, engine, engine_migration, runtime
from workflows.process.deploy import require_admin
from workflows.tasks import lifecycle
from workflows.tx import RACES, lost_race, transaction

# ---------------------------------------------------------------- moving running instances

@dataclass
class PlanRow:
    instance: ProcessInstance
    steps: str  # where it waits (step names of its open work items)
    movable: bool
    reasons: tuple[str, ...] = ()


@dataclass
class MigrationPlan:
    source: ProcessModel
    target: ProcessModel
    rows: list[PlanRow]

    @property
    def movable(self) -> list[PlanRow]:
        return [r for r in self.rows if r.movable]

    @property
    def blocked(self) -> list[PlanRow]:
        return [r for r in self.rows if not r.movable]


@dataclass
class MigrationResult:
    source: ProcessModel
    target: ProcessModel
    moved: list[int] = field(default_factory=list)  # instance ids
    left: dict[int, tuple[str, ...]] = field(default_factory=dict)  # instance id → reasons
    tasks: dict[int, tuple[int, str, str]] = field(default_factory=dict)  # instance id → task id, code, title


def _check_pair(source: ProcessModel, target: ProcessModel) -> None:
    if source.kind != "bpmn" or target.kind != "bpmn" or source.process_id != target.process_id:
        raise Invalid("Chỉ chuyển được giữa hai phiên bản của cùng một quy trình BPMN.",
                      {"target": "Chọn một phiên bản của cùng quy trình."})
    if source.id == target.id:
        raise Invalid("Phiên bản đích trùng phiên bản hiện tại.", {"target": "Chọn một phiên bản khác."})


def _running(source: ProcessModel, instance_ids: list[int] | None = None) -> list[ProcessInstance]:
    query = select(ProcessInstance).where(ProcessInstance.process_model_id == source.id,
                                          ProcessInstance.status == "running").order_by(ProcessInstance.id)
    query = query.options(joinedload(ProcessInstance.task))
    if instance_ids is not None:
        query = query.where(ProcessInstance.id.in_(instance_ids))
    return list(db.session.scalars(query))


def _waiting_at(instance_id: int) -> str:
    names = db.session.scalars(select(WorkItem.step_name).where(
        WorkItem.instance_id == instance_id, WorkItem.status == "open").order_by(WorkItem.id))
    return ", ".join(dict.fromkeys(names))


def plan_migration(admin: User, source: ProcessModel, target: ProcessModel) -> MigrationPlan:
    """The dry run: for every running instance of ``source``, whether it can move to ``target`` and why not.

    Nothing is changed.
    """
    require_admin(admin)
    _check_pair(source, target)
    source_spec, target_spec = catalog.spec_for(source), catalog.spec_for(target)
    rows = []
    for instance in _running(source):
        check = engine_migration.check_migration(instance.state, source_spec, target_spec)
        rows.append(PlanRow(instance, _waiting_at(instance.id), check.movable, check.reasons))
    return MigrationPlan(source, target, rows)


def migrate(admin: User, source: ProcessModel, target: ProcessModel,
            instance_ids: list[int] | None = None) -> MigrationResult:
    """Move the running instances of ``source`` (or those of ``instance_ids``) that can move to ``target``.

    One transaction per instance, so one that cannot move — or that someone changed meanwhile — never
    holds back the others; those stay on ``source`` and are reported with the reason. Each moved
    instance keeps its open work items (same steps, same holders; names and forms follow the new
    version) and gets an audit event on its task.
    """
    require_admin(admin)
    _check_pair(source, target)
    source_id, target_id = source.id, target.id
    result = MigrationResult(source, target)
    running = _running(source, instance_ids)
    result.tasks = {i.id: (i.task_id, i.task.code or "", i.task.title) for i in running}
    ids = [i.id for i in running]
    for instance_id in ids:
        try:
            with transaction():
                reasons = _migrate_one(admin, instance_id, source_id, target_id)
        except RACES as exc:
            if not lost_race(exc):
                raise
            reasons = ("Hồ sơ vừa được người khác cập nhật trong lúc chuyển; hãy chạy lại.",)
        if reasons:
            result.left[instance_id] = reasons
        else:
            result.moved.append(instance_id)
    return result


def _migrate_one(admin: User, instance_id: int, source_id: int, target_id: int) -> tuple[str, ...]:
    """Move one instance (the caller holds the transaction); the reasons it stays, or () when moved."""
    instance = db.session.scalar(
        select(ProcessInstance).where(ProcessInstance.id == instance_id)
        .with_for_update(of=ProcessInstance).execution_options(populate_existing=True))
    if instance is None or instance.status != "running" or instance.process_model_id != source_id:
        return ("Hồ sơ đã kết thúc hoặc đã được chuyển phiên bản trong lúc chạy.",)
    source, target = instance.process_model, db.session.get(ProcessModel, target_id)
    try:
        moved = runtime.Instance(instance, engine_migration.migrate(runtime.load(instance).workflow,
                                                                    catalog.spec_for(target)))
    except engine.EngineError as exc:
        return (str(exc),)
    task = instance.task
    steps = moved.ready_steps()
    items = [i for i in runtime.open_items_of_task(task.id) if i.instance_id == instance.id]
    waiting = lifecycle.step_names(items)
    by_engine_id = {s.task_id: s for s in steps}
    unmatched = [s for s in steps if s.task_id not in {i.engine_task_id for i in items}]
    for item in items:
        step = by_engine_id.get(item.engine_task_id)
        if step is None:  # the engine gave the step a new id: the same step at the same agency is this item
            step = next((s for s in unmatched if s.step_id == item.step_id
                         and (s.agency or "") == (item.agency.name if item.agency else "")), None)
            if step is None:
                continue  # (the save closes it)
            unmatched.remove(step)
            item.engine_task_id = step.task_id
        item.step_name, item.lane, item.role = step.step_name, step.lane, step.role
        item.decisions = list(step.decisions)
        item.fields = [asdict(f) for f in step.fields]
    instance.process_model = target
    saved = runtime.save(moved, task)
    lifecycle.after_save(moved, task, saved)
    audit.record("migrate", admin, task, from_step=waiting or None,
                 to_step=lifecycle.step_names([i for i in saved.open if i.instance_id == instance.id]) or None,
                 comment=f"Chuyển quy trình “{source.process_id}” từ phiên bản {source.version} "
                         f"sang phiên bản {target.version}.",
                 data={"process": source.process_id, "instance_id": instance.id,
                       "from_version": source.version, "to_version": target.version})
    return ()
