"""The live diagram of a process instance, for the task page and ``/tasks/<id>/diagram.svg``.

The drawing is the BPMN file of the version the instance runs on (``ProcessInstance.process_model
.source``, drawn by ``workflows.process.svg``); the progress comes from the instance's WorkItem and
AuditEvent rows only (DESIGN.md: reads never deserialize engine state).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import AuditEvent, ProcessInstance, ProcessModel, Task, WorkItem, db
from workflows import clock
from workflows.errors import N_, NotFound
from workflows.process.diagram_model import DECISION_WORDS, Flow, Model, Progress, Visit, parse
from workflows.process.diagram_steps import StepRow, step_path
from workflows.process.svg import render

__all__ = ["Diagram", "compute", "instance_svg", "model_svg", "task_diagrams", "task_svg"]
PROCESS_KIND_WORDS = {"main": "Quy trình chính", "extension": "Đề nghị gia hạn"}


# ---------------------------------------------------------------- replaying the work items over the model

def _allowed(model: Model, node_id: str, decision: str | None) -> list[Flow]:
    """The outgoing flows a token may take from ``node_id`` after ``decision``.

    A flow conditioned on a decision is taken only on that decision; when one matches, the
    gateway's default and other flows are not taken. Other conditions are unknown here: allowed.
    """
    outs = model.outgoing.get(node_id, [])
    matching = [f for f in outs if f.decision is not None and f.decision == decision]
    return matching or [f for f in outs if f.decision is None]


def _path(model: Model, sources: list[str], target, decision: str | None) -> list[Flow] | None:
    """The shortest chain of flows from one of ``sources`` to ``target`` (a node id, or a predicate)
    through nodes nobody acts on (gateways, events, scripts), or None."""
    reached = target if callable(target) else (lambda n: n == target)
    queue = deque((s, ()) for s in sources)
    seen = set(sources)
    while queue:
        node_id, trail = queue.popleft()
        for flow in _allowed(model, node_id, decision):
            nxt = model.nodes.get(flow.target)
            if nxt is None:
                continue
            if reached(nxt.id):
                return [*trail, flow]
            if nxt.is_step or nxt.id in seen:
                continue
            seen.add(nxt.id)
            queue.append((nxt.id, (*trail, flow)))
    return None


def compute(model: Model, visits: list[Visit], completed: bool = False, started_at: datetime | None = None,
            timers: dict[str, list[datetime]] | None = None) -> Progress:
    """Replay the work items over the model: passes per step, flows taken, returns, the current steps.

    Each item was created by the latest completion before it from which the model leads to its step
    without passing another step (or by the start); items of one step created by the same completion
    are one pass (a multi-instance step), and a pass re-created after a cancellation stays one pass.
    """
    progress = Progress(started_at=started_at, completed=completed, timers=dict(timers or {}))
    replay = _Replay(model, progress, visits)
    for visit in replay.visits:
        if visit.step_id in model.nodes:
            replay.place(visit)
    for step_id, step_passes in progress.passes.items():
        progress.node_counts[step_id] = len(step_passes)
    if completed:
        replay.finish()
    return progress


class _Replay:
    """One replay in progress: the model, the progress it fills, and the paths already searched (a step
    passed many times asks for the same path again and again)."""

    def __init__(self, model: Model, progress: Progress, visits: list[Visit]):
        self.model = model
        self.progress = progress
        self.starts, self.ends = model.starts(), model.ends()
        self.lineage: dict[int, int | None] = {}  # item → the completion its pass is counted from
        progress.visited.update(self.starts)
        self.visits = sorted(visits, key=lambda v: v.item_id)
        self.done = sorted((v for v in self.visits if v.status == "done"),
                           key=lambda v: (v.rank is None, v.rank, v.item_id))
        self.pass_of: dict[tuple[str, int | None], list[Visit]] = {}
        self._paths: dict[tuple, list[Flow] | None] = {}

    def path(self, source: str | None, target: str | Callable[[str], bool], decision: str | None) -> list[Flow] | None:
        """``_path`` from ``source`` (None: the start), remembered."""
        key = (source, target if isinstance(target, str) else "end", decision)
        if key not in self._paths:
            self._paths[key] = _path(self.model, [source] if source else self.starts, target, decision)
        return self._paths[key]

    def walk(self, trail: list[Flow], decision: str | None, loop: bool = True) -> None:
        """Count the flows of ``trail`` and the nodes they pass; a return flow taken first counts a return."""
        progress = self.progress
        for i, flow in enumerate(trail):
            progress.flow_counts[flow.id] = progress.flow_counts.get(flow.id, 0) + 1
            if (loop and decision == "return" and flow.decision == "return"
                    and all(f.decision is None for f in trail[:i])):
                progress.return_counts[flow.id] = progress.return_counts.get(flow.id, 0) + 1
            if i < len(trail) - 1 or not self.model.nodes[flow.target].is_step:
                progress.visited.add(flow.target)
                progress.node_counts[flow.target] = progress.node_counts.get(flow.target, 0) + 1

    def trigger(self, visit: Visit) -> tuple[Visit | None, list[Flow] | None]:
        """The completion that created ``visit`` and the flows from it, or (None, None) for the start."""
        for earlier in reversed(self.done):
            if earlier.item_id >= visit.item_id or (earlier.completed_at and earlier.completed_at > visit.created_at):
                continue
            trail = self.path(earlier.step_id, visit.step_id, earlier.decision)
            if trail is not None:
                return earlier, trail
        return None, None

    def place(self, visit: Visit) -> None:
        """Add ``visit`` to its pass; a new pass walks the flows that led to it and counts a return."""
        progress = self.progress
        trigger, trail = self.trigger(visit)
        key = (visit.step_id, self._lineage(visit, trigger))
        if key not in self.pass_of:
            self.pass_of[key] = []
            progress.passes.setdefault(visit.step_id, []).append(self.pass_of[key])
            self.walk(trail if trigger else (self.path(None, visit.step_id, None) or []),
                      trigger.decision if trigger else None)
            if trigger and trigger.decision == "return":
                back = (trigger.step_id, visit.step_id)
                progress.returns[back] = progress.returns.get(back, 0) + 1
        self.pass_of[key].append(visit)
        (progress.current if visit.status == "open" else progress.visited).add(visit.step_id)

    def _lineage(self, visit: Visit, trigger: Visit | None) -> int | None:
        """What ``visit``'s pass is counted from: its trigger, or inside a subprocess run once per collaborator,
        what led into the subprocess (each collaborator's head signing after its officer is one pass, not one
        per collaborator) — unless the trigger returned it, which starts a new pass."""
        if trigger is None:
            lineage = None
        else:
            inside = self.model.nodes[visit.step_id].inside
            same = inside is not None and self.model.nodes[trigger.step_id].inside == inside
            lineage = self.lineage.get(trigger.item_id) if same and trigger.decision != "return" else trigger.item_id
        self.lineage[visit.item_id] = lineage
        return lineage

    def finish(self) -> None:
        """A completed instance: walk from the last completion to an end event, which sets the end time."""
        last = self.done[-1] if self.done else None
        trail = self.path(last.step_id if last else None, self._is_end, last.decision if last else None)
        if trail:
            self.walk(trail, last.decision if last else None, loop=False)
        self.progress.finished_at = last.completed_at if last else None

    def _is_end(self, node_id: str) -> bool:
        return node_id in self.ends


def _who(user) -> str | None:
    if user is None:
        return None
    return f"{user.full_name} ({user.agency.name})" if user.agency else user.full_name


def instance_progress(instance: ProcessInstance, model: Model) -> Progress:
    """The progress of one instance, from its WorkItem and AuditEvent rows."""
    items = list(db.session.scalars(select(WorkItem).where(WorkItem.instance_id == instance.id)
                                    .options(selectinload(WorkItem.completed_by)).order_by(WorkItem.id)))
    events = {}
    if items:
        for e in db.session.scalars(select(AuditEvent).options(selectinload(AuditEvent.on_behalf_of)).where(
                AuditEvent.work_item_id.in_([i.id for i in items]),
                AuditEvent.action.in_(tuple(DECISION_WORDS))).order_by(AuditEvent.id)):
            events.setdefault(e.work_item_id, e)
    visits = []
    for item in items:
        event = events.get(item.id)
        visits.append(Visit(
            item_id=item.id, step_id=item.step_id, status=item.status, created_at=item.created_at,
            completed_at=item.completed_at, rank=event.id if event else None, decision=item.decision,
            comment=item.comment, actor=_who(item.completed_by),
            on_behalf_of=event.on_behalf_of.full_name if event and event.on_behalf_of else None,
            holder=_who(item.claimed_by), agency=item.agency.name if item.agency else None, role=item.role))
    return compute(model, visits, instance.status == "completed", instance.created_at,
                   _fired_timers(instance, model, items))


def _fired_timers(instance: ProcessInstance, model: Model, items: list[WorkItem]) -> dict[str, list[datetime]]:
    """Boundary timers that fired (reminders, escalations), matched by step name, action and notify."""
    names = {i.step_name for i in items}
    if not names:
        return {}
    fired: dict[str, list[datetime]] = {}
    for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.task_id == instance.task_id, AuditEvent.action.in_(("remind", "escalate")),
            AuditEvent.from_step.in_(names), AuditEvent.at >= instance.created_at).order_by(AuditEvent.id)):
        step_ids = {i.step_id for i in items if i.step_name == e.from_step}
        for node in model.nodes.values():
            props = dict(node.props)
            if (node.attached_to in step_ids and props.get("action") == e.action
                    and props.get("notify") == (e.data or {}).get("notify", props.get("notify"))):
                fired.setdefault(node.id, []).append(e.at)
    return fired


# ---------------------------------------------------------------- for the pages

@dataclass
class Diagram:
    instance: ProcessInstance
    heading: str
    svg: str
    focusable: bool = False  # wider than the page with a current step: it can open on that step
    focused: bool = False  # it does; the whole process is one click away
    steps: list[StepRow] = field(default_factory=list)  # the path in words (the phone's view)


def instance_svg(instance: ProcessInstance, *, standalone: bool = False, focus: bool = False, whole: bool = False,
                 progress: Progress | None = None) -> str:
    """The instance's diagram; ``focus``: opened on its current steps when it is wider than the page (with
    ``whole``: able to, opened on the whole)."""
    model = parse(instance.process_model.source)
    progress = progress or instance_progress(instance, model)
    pm = instance.process_model
    title = (f"Sơ đồ quy trình “{model.name}” (phiên bản {pm.version}) — "
             f"{instance.task.code or ''} {PROCESS_KIND_WORDS.get(instance.kind, '')}".strip())
    return render(model, progress, prefix=f"dg{instance.id}", title=title, standalone=standalone, focus=focus,
                  whole=whole)


def model_svg(process_model: ProcessModel, *, standalone: bool = False) -> str:
    """A deployed process version alone, with no progress."""
    model = parse(process_model.source)
    return render(model, prefix=f"pm{process_model.id}", standalone=standalone,
                  title=f"Sơ đồ quy trình “{model.name}” (phiên bản {process_model.version})")


def instances(task: Task) -> list[ProcessInstance]:
    """The task's process instances: the main one first, then the others (extension requests)."""
    return list(db.session.scalars(select(ProcessInstance).where(ProcessInstance.task_id == task.id).order_by(
        ProcessInstance.kind != "main", ProcessInstance.id)))


def task_diagrams(task: Task, *, focus: bool = True) -> list[Diagram]:
    """One diagram per process instance of the task, for the task page, each with its path of steps in words;
    ``focus``: each opens on its current steps (False: the whole process, as asked for)."""
    out = []
    for instance in instances(task):
        pm = instance.process_model
        model = parse(pm.source)
        kind = PROCESS_KIND_WORDS.get(instance.kind, instance.kind)
        heading = f"{kind}: {model.name} (phiên bản {pm.version})"
        if instance.kind != "main":
            heading += f", gửi ngày {clock.to_local(instance.created_at):%d/%m/%Y}"
        progress = instance_progress(instance, model)
        svg = instance_svg(instance, focus=True, whole=not focus, progress=progress)
        focusable = " data-focus-viewbox=" in svg[:svg.index(">")]  # the root's attributes
        out.append(Diagram(instance, heading, svg, focusable=focusable, focused=focusable and focus,
                           steps=step_path(model, progress)))
    return out


def task_svg(task: Task, instance_id: int | None = None) -> str:
    """The standalone SVG of one instance of ``task`` (its main instance by default)."""
    found = instances(task)
    instance = next((i for i in found if i.id == instance_id), None) if instance_id else (found[0] if found else None)
    if instance is None:
        raise NotFound(N_("Nhiệm vụ này không có quy trình để vẽ sơ đồ.") if not instance_id
                       else N_("Không tìm thấy quy trình này của nhiệm vụ."))
    return instance_svg(instance, standalone=True)
