"""The path of an instance's steps as a list: the steps done, the current ones, the steps to come.

What a phone shows instead of the diagram (and a screen reader reads as a list): the same model and progress as
the drawing, in words, in the order the file went. Pure, no database.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from workflows.process.diagram_model import Model, Progress, Visit


@dataclass
class StepRow:
    step_id: str
    name: str
    state: str  # done | current | todo
    count: int = 0  # passes so far
    decision: str | None = None  # the last completion's decision (done)
    actor: str | None = None  # who completed it last (done)
    at: datetime | None = None  # when (done), since when (current)
    holders: list[str] = field(default_factory=list)  # who holds it now, or the agency whose queue it waits in
    unclaimed: bool = False  # some of it waits in an agency's queue, taken by nobody yet (current)
    optional: bool = False  # to come only on some paths ("nếu cần")


def step_path(model: Model, progress: Progress) -> list[StepRow]:
    """Done steps in the order they were first done, then the current steps, then the steps to come."""
    rows = [_done(model, step_id, passes) for step_id, passes in progress.passes.items()
            if step_id not in progress.current and any(v.status == "done" for p in passes for v in p)]
    rows.sort(key=lambda r: _first_done(progress.passes[r.step_id]))
    rows += [_current(model, step_id, progress.passes.get(step_id, []))
             for step_id in sorted(progress.current, key=lambda s: _first_open(progress.passes.get(s, [])))]
    if not progress.completed:
        rows += _to_come(model, progress)
    return rows


def _first_done(passes: list[list[Visit]]) -> tuple:
    done = [v for p in passes for v in p if v.status == "done"]
    return min((v.completed_at or v.created_at, v.item_id) for v in done)


def _first_open(passes: list[list[Visit]]) -> tuple:
    return min(((v.created_at, v.item_id) for p in passes for v in p if v.status == "open"), default=(None, 0))


def _done(model: Model, step_id: str, passes: list[list[Visit]]) -> StepRow:
    last = max((v for p in passes for v in p if v.status == "done"),
               key=lambda v: (v.rank is None, v.rank or 0, v.item_id))
    return StepRow(step_id, model.nodes[step_id].name or step_id, "done", count=len(passes),
                   decision=last.decision, actor=last.actor, at=last.completed_at)


def _current(model: Model, step_id: str, passes: list[list[Visit]]) -> StepRow:
    open_items = [v for p in passes for v in p if v.status == "open"]
    holders = list(dict.fromkeys(v.holder or v.agency or "" for v in open_items))
    node = model.nodes.get(step_id)
    return StepRow(step_id, (node.name if node else "") or step_id, "current", count=len(passes),
                   at=min((v.created_at for v in open_items), default=None), holders=[h for h in holders if h],
                   unclaimed=any(v.holder is None for v in open_items))


def _forward(model: Model, sources: list[str], avoid: str | None = None) -> list[str]:
    """Nodes reachable from ``sources`` without going back (a return flow) nor through ``avoid``, in BFS order."""
    seen = set(sources)
    order = []
    queue = deque(sources)
    while queue:
        for flow in model.outgoing.get(queue.popleft(), []):
            if flow.decision == "return" or flow.target in seen or flow.target == avoid:
                continue
            seen.add(flow.target)
            order.append(flow.target)
            queue.append(flow.target)
    return order


def _in_order(model: Model, sources: list[str], reached: list[str]) -> list[str]:
    """``reached`` with every node after all the nodes that lead to it (a step after a subprocess comes after the
    subprocess's steps, however many nodes each path has); the nodes of a cycle no return flow explains keep
    their BFS order, at the end."""
    inbound = dict.fromkeys(reached, 0)
    for node in [*sources, *reached]:
        for flow in model.outgoing.get(node, []):
            if flow.decision != "return" and flow.target in inbound:
                inbound[flow.target] += 1
    ordered, queue = [], deque(sources)
    while queue:
        for flow in model.outgoing.get(queue.popleft(), []):
            if flow.decision == "return" or flow.target not in inbound or flow.target in ordered:
                continue
            inbound[flow.target] -= 1
            if inbound[flow.target] == 0:
                ordered.append(flow.target)
                queue.append(flow.target)
    return ordered + [n for n in reached if n not in ordered]


def _to_come(model: Model, progress: Progress) -> list[StepRow]:
    """The steps ahead of the current ones (of the start, before anything happened). A step that some path to
    the end avoids is marked optional: the routing (appraisal or not, opinions or not) decides it."""
    sources = sorted(progress.current) or model.starts()
    ahead = [n for n in _in_order(model, sources, _forward(model, sources)) if model.nodes.get(n)
             and model.nodes[n].is_step and n not in progress.current]
    ends = model.ends()
    rows = []
    for step_id in ahead:
        node = model.nodes[step_id]
        rows.append(StepRow(step_id, node.name or step_id, "todo", count=len(progress.passes.get(step_id, [])),
                            optional=bool(ends & set(_forward(model, sources, avoid=step_id)))))
    return rows
