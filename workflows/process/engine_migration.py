"""Moving a running workflow onto another version of its process: the engine side of a migration.

With ``engine.py`` the only module that imports SpiffWorkflow (tests/test_architecture.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.util.diff import diff_workflow
from SpiffWorkflow.util.task import TaskState

from workflows.process.engine import EngineError, ProcessSpec, registry, restore, run, serialize


@dataclass(frozen=True)
class MigrationCheck:
    """Whether a running workflow can move to another version, and why not (Vietnamese, for the report)."""

    movable: bool
    current_steps: tuple[str, ...]  # the step ids the instance waits at
    reasons: tuple[str, ...]


def _spec_label(ts) -> str:
    name = getattr(ts, "bpmn_name", None) or getattr(ts, "bpmn_id", None) or ts.name
    return f"“{name}” ({getattr(ts, 'bpmn_id', None) or ts.name})"


def _diff(wf: BpmnWorkflow, target: ProcessSpec):
    top, subprocesses = diff_workflow(registry(), wf, target.spec, target.subprocesses)
    reasons = []
    # a READY/WAITING task must have a counterpart with the same id and type: its work item keeps its step
    for task in wf.get_tasks(state=TaskState.READY | TaskState.WAITING | TaskState.STARTED, skip_subprocesses=True):
        new = top.alignment.get(task)
        ts = task.task_spec
        if ts.name.endswith(("BoundaryEventSplit", "BoundaryEventJoin")) or isinstance(ts, MultiInstanceTask):
            ts_type_ok = new is not None
        else:
            ts_type_ok = new is not None and type(new) is type(ts) and new.name == ts.name
        if not ts_type_ok:
            if task.task_spec.manual:
                reasons.append(f"Đang chờ ở bước {_spec_label(ts)} mà phiên bản mới không còn "
                               "(hoặc đã đổi mã, đổi loại).")
            elif not any(r.startswith("Đang chờ") for r in reasons):
                reasons.append(f"Đang chờ ở {_spec_label(ts)} mà phiên bản mới không còn.")
    # what was passed must still exist: the saved history refers to every task's spec by id
    gone = [t.task_spec for t in wf.get_tasks(state=TaskState.FINISHED_MASK, skip_subprocesses=True)
            if top.alignment.get(t) is None]
    for ts in dict.fromkeys(ts for ts in gone if ts.manual):
        reasons.append(f"Đã đi qua bước {_spec_label(ts)} mà phiên bản mới đã bỏ.")
    if gone and not reasons:
        ids = ", ".join(dict.fromkeys(getattr(ts, "bpmn_id", None) or ts.name for ts in gone))
        reasons.append(f"Đã đi qua phần tử mà phiên bản mới đã bỏ: {ids}.")
    if any(sub is None or sub.removed for sub in subprocesses.values()):
        reasons.append("Quy trình con đang chạy không còn trong phiên bản mới.")
    return top, tuple(dict.fromkeys(reasons))


def check_migration(state: str, source: ProcessSpec, target: ProcessSpec) -> MigrationCheck:
    """Whether the saved ``state`` (running on ``source``) can continue on ``target``.

    A dry run: the migration is done on a throwaway copy, so the answer is the one ``migrate`` will give.
    """
    wf = restore(state, source)
    current = tuple(dict.fromkeys(t.task_spec.bpmn_id for t in wf.get_tasks(state=TaskState.READY, manual=True)))
    _, reasons = _diff(wf, target)
    if not reasons:
        try:
            migrate(wf, target)
        except EngineError as exc:
            reasons = (str(exc),)
    return MigrationCheck(not reasons, current, reasons)


def migrate(wf: BpmnWorkflow, target: ProcessSpec) -> BpmnWorkflow:
    """Move ``wf`` onto ``target`` and return it restored from its new state, ready to run on the new version.

    Uses SpiffWorkflow's ``diff_workflow`` to align the task specs by id, then does what its
    ``migrate_workflow`` does — re-point every task to the new spec and re-predict the branches below the
    READY/WAITING tasks — except that each reset task keeps its own data and internal data
    (``migrate_workflow`` resets them to its parent's data and nothing, which loses a multi-instance child's
    item: the collaborator of an opinion step, and the merge of its opinion when it completes).
    The READY tasks keep their engine ids. Raises EngineError when the instance cannot move.
    """
    top, reasons = _diff(wf, target)
    if reasons:
        raise EngineError(" ".join(reasons))
    wf.spec = target.spec
    wf.subprocess_specs = target.subprocesses
    for task in wf.tasks.values():
        new = top.alignment.get(task)
        if new is not None:
            task.task_spec = new
    for task in list(wf.get_tasks(state=TaskState.READY | TaskState.WAITING, skip_subprocesses=True)):
        if task.id in wf.tasks:  # (an earlier reset may have dropped it)
            internal = copy.deepcopy(task.internal_data)  # e.g. a multi-instance child's item and index
            task.reset_branch(copy.deepcopy(task.data))
            task.internal_data = {**internal, **task.internal_data}
    if wf.last_task not in wf.tasks:
        wf.last_task = None
    run(wf)
    try:  # what will be saved must restore on the new version alone
        return restore(serialize(wf), target)
    except Exception as exc:  # noqa: BLE001 - any failure here means "cannot move", never a half-moved state
        raise EngineError(f"Không khôi phục được hồ sơ trên phiên bản mới: {exc}") from exc
