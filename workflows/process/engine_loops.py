"""A file sent back does not make the state grow: a re-entered step continues from its first pass.

SpiffWorkflow keeps every pass of a loop in the task tree (about 9 KB of state and seven levels of depth per
return), and every later step restores and serializes all of it — a file returned twenty times costs nearly three
times as much to move on. The audit table and the work items already keep the history (the diagram's loop counts
are drawn from them), so the live state need not: when a step becomes ready again, the workflow is reset to that
step's first pass, given the data it has now, and the passes in between are dropped. From there it runs exactly
as the loop would have: the same step, the same data, new boundary timers.

With ``engine.py`` and ``engine_migration.py``, the only modules that import SpiffWorkflow.
"""

from __future__ import annotations

import copy

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.control import BoundaryEventSplit
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.util.task import TaskState

from workflows.process.engine import run


def fold_passes(wf: BpmnWorkflow) -> bool:
    """If the one ready user step has run before in this workflow (the file came back to it), reset the
    workflow to that step's first pass with the data of now; True when it did.

    Only the plain case is touched — a single ready step of the top-level process, outside any multi-instance
    activity — so that no parallel branch or subprocess is ever cut.
    """
    ready = wf.get_tasks(state=TaskState.READY, manual=True)
    if len(ready) != 1 or ready[0].workflow is not wf or isinstance(ready[0].parent.task_spec, MultiInstanceTask):
        return False
    step = ready[0]
    passes = wf.get_tasks(state=TaskState.COMPLETED, spec_name=step.task_spec.name)
    if not passes:
        return False
    first = min(passes, key=lambda t: t.depth)
    # the step sits under the split of its boundary timers: reset the split, so the timers are new as well
    target = first.parent if isinstance(first.parent.task_spec, BoundaryEventSplit) else first
    wf.reset_from_task_id(target.id, data=copy.deepcopy(step.data))
    # SpiffWorkflow 3.2 drops the reset branch's waiting timers from the tree but not from its event manager,
    # which would then update tasks that no longer have a parent
    for task in [t for t in wf.event_manager.tasks.values() if t.id not in wf.tasks]:
        wf.event_manager.remove_task(task)
    run(wf)
    return True
