"""The engine wrapper: the only module that imports SpiffWorkflow.

The rest of the product sees plain data: ``Step`` for a READY user task, JSON text for the
saved state, and dicts for task data. Who may act on a step is read from the BPMN itself
(the lane and the ``spiffworkflow:properties`` of each user task), never from step names.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.specs.event_definitions import timer as _timer_module
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask, MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.exceptions import TaskNotFoundException, WorkflowException
from SpiffWorkflow.spiff.parser import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.util.task import TaskState
from SpiffWorkflow.version import __version__ as SPIFF_VERSION

from workflows.process import sandbox

_spec_for_restore = threading.local()
Workflow = BpmnWorkflow  # what the rest of the product holds, without knowing SpiffWorkflow


class _SpeclessWorkflowConverter(BpmnWorkflowConverter):
    """Saves a workflow without its process spec, which is 60 % of the state's bytes and most of the
    cost of (de)serializing it; ``restore`` re-attaches the spec of the instance's deployed version.
    States saved with their spec (older rows) still restore as they are. The body of ``from_dict``
    follows SpiffWorkflow 3.2's ``BpmnWorkflowConverter.from_dict`` with the spec supplied."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["spec_name"] = workflow.spec.name
        dct["subprocess_specs"] = self.mapping_to_dict(workflow.subprocess_specs)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct):
        if "spec" in dct:
            return super().from_dict(dct)
        spec = getattr(_spec_for_restore, "value", None)
        if spec is None or spec.spec.name != dct.get("spec_name"):
            raise EngineError(f"State of process {dct.get('spec_name')!r} needs its deployed spec to restore")
        subprocess_specs = self.mapping_from_dict(dct.pop("subprocess_specs", {}))
        workflow = self.target_class(spec.spec, subprocess_specs or spec.subprocesses, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], uuid.UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(uuid.UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


_CONFIG = dict(SPIFF_CONFIG)
_CONFIG[BpmnWorkflow] = _SpeclessWorkflowConverter
_serializer = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))
SERIALIZER_VERSION = f"spiffworkflow-{SPIFF_VERSION}/{_serializer.VERSION}"

FIELD_TYPES = ("text", "date", "number", "user", "file")


class ModelError(Exception):
    """A BPMN/DMN document that cannot be parsed or validated (``element_id``/``line``: where, when known)."""

    def __init__(self, message: str, element_id: str = "", line: int | str = ""):
        super().__init__(message)
        self.element_id = element_id
        self.line = line


class EngineError(Exception):
    """The engine refused a step (bad state, failed expression, unknown task)."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    required: bool
    label: str
    multiline: bool = False  # a presentation hint for text fields (``text|…|label|long``)
    past: bool = False  # a date that has happened, never after today (``date|…|label|past``: an issue date)
    # a date still to come, never before today nor after the task's deadline (``date|…|label|future``: an internal
    # deadline)
    future: bool = False
    signed: bool = False  # a PDF carrying a valid digital signature (``file|…|label|signed``: an approved decision)


@dataclass(frozen=True)
class Step:
    """A READY user task as the rest of the product sees it."""

    task_id: str
    step_id: str
    step_name: str
    lane: str
    role: str
    agency: str | None
    assignee: str | None
    decisions: tuple[str, ...]
    fields: tuple[Field, ...]
    agency_id: int | None = None  # from the process data's "agency_ids", resolved when the task was created
    # who sent the file here by submitting the step before (the data's "actor" when its "decision" was "submit"):
    # they may not approve it themselves
    submitted_by: str | None = None
    # the merged agency whose part its successor carries on (a collaborator's run renamed by ``replace_agency``)
    on_behalf_of: str | None = None
    # the step's own deadline, from the data its ``due_var`` names (a head's internal deadline for the draft)
    due: date | None = None


@dataclass(frozen=True)
class StepDefinition:
    """A user task of a process model (for filters, diagrams and validation)."""

    step_id: str
    step_name: str
    lane: str
    role: str


_FUNCTIONS: dict[str, Any] = {}


def _system_now() -> datetime:
    return datetime.now(UTC)


_now_provider: Callable[[], datetime] = _system_now


def configure(functions: dict[str, Callable[..., Any]], clock: Callable[[], datetime]) -> None:
    """Set, once for the process (``create_app``), the functions BPMN expressions may call (the timers'
    ``reminder_time``, …) and the clock the timers read (aware)."""
    global _now_provider
    _FUNCTIONS.clear()
    _FUNCTIONS.update(functions)
    _now_provider = clock
    # SpiffWorkflow's timer module calls datetime.now() itself; without this, a test clock or a worker firing
    # the timers due at a given moment could not be honoured (SPIFFWORKFLOW_NOTES.md, "Traps").
    _timer_module.datetime = _EngineDatetime


class _SandboxEnvironment(TaskDataEnvironment):
    """Task data as variables, as SpiffWorkflow's environment has them, but run by the sandbox (allowlisted
    syntax, names and methods; bounded loops, sizes and time) instead of ``eval``/``exec`` with all builtins."""

    def evaluate(self, expression, context, external_context=None):
        return sandbox.evaluate(expression, {**self.globals, **(external_context or {}), **context})

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        sandbox.execute(script, context, {**self.globals, **(external_context or {})})
        return True


def _script_engine() -> PythonScriptEngine:
    # Conditions, scripts, timers and DMN cells are code deployed by administrators (README, "Security").
    return PythonScriptEngine(environment=_SandboxEnvironment(dict(_FUNCTIONS)))


DOCTYPE_REFUSED = ("Tệp có khai báo DOCTYPE (định nghĩa kiểu tài liệu, thực thể XML): tệp quy trình không được "
                   "chứa phần này vì lý do an toàn. Hãy lưu lại tệp từ trình vẽ BPMN.")


def parse_xml(text: str) -> etree._Element:
    """A BPMN/DMN text as lxml elements, with entities, DTDs and the network off; a DOCTYPE is refused
    (ModelError) so that no entity — a file of the server, a billion laughs — is ever expanded. SpiffWorkflow's
    ``add_bpmn_str`` would parse with lxml's defaults, which expand internal entities."""
    if "<!DOCTYPE" in text:  # before parsing: libxml2's own answer to entity bombs is an English error
        raise ModelError(DOCTYPE_REFUSED)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    root = etree.fromstring(text.encode("utf-8"), parser)  # XMLSyntaxError is a SyntaxError: ModelError below
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # declared in another encoding (UTF-7, …)
        raise ModelError(DOCTYPE_REFUSED)
    return root


class ProcessSpec:
    """A parsed process (and the DMN it calls), ready to start instances."""

    def __init__(self, process_id: str, bpmn: list[tuple[str, str]], dmn: list[tuple[str, str]]):
        parser = SpiffBpmnParser(validator=VALIDATOR)
        try:
            for filename, text in bpmn:
                parser.add_bpmn_xml(parse_xml(text), filename)
            for filename, text in dmn:
                parser.add_dmn_xml(parse_xml(text), filename)
            self.spec = parser.get_spec(process_id)
            self.subprocesses = parser.get_subprocess_specs(process_id)
        except ValidationException as exc:
            raise ModelError(str(exc), getattr(exc, "id", "") or "", getattr(exc, "line_number", "") or "") from exc
        except (WorkflowException, SyntaxError, ValueError) as exc:
            raise ModelError(str(exc), getattr(exc, "id", "") or "") from exc
        for process in (self.spec, *self.subprocesses.values()):
            _connect_loop_children(process)
        self.process_id = process_id
        self.name = self.spec.description or process_id
        self.steps = tuple(
            StepDefinition(
                step_id=ts.bpmn_id,
                step_name=ts.bpmn_name or ts.bpmn_id,
                lane=ts.lane or "",
                role=(ts.extensions.get("properties") or {}).get("role", ""),
            )
            for ts in _user_tasks(self.spec, self.subprocesses)
        )
        for step in self.steps:
            if step.role == "":
                raise ModelError(f"Bước '{step.step_name}' ({step.step_id}) chưa khai báo vai trò (role).")

    def start(self, data: dict[str, Any]) -> BpmnWorkflow:
        wf = BpmnWorkflow(self.spec, self.subprocesses, script_engine=_script_engine())
        wf.get_tasks(state=TaskState.READY)[0].data.update(copy.deepcopy(data))
        run(wf)
        return wf


def _connect_loop_children(process) -> None:
    """Wire each loop's child spec to its merge now, not when the loop creates a child.

    SpiffWorkflow connects a multi-instance child's ``completed_event`` to the loop's ``merge_child`` only
    in ``create_child``. A state restored on a spec parsed in another process (after a restart, or after a
    migration to another version) never had that call: its children completed without merging and the
    loop waited forever (the opinion step of approval_cycle).
    """
    for ts in process.task_specs.values():
        if isinstance(ts, LoopTask):
            child = process.task_specs.get(ts.task_spec)
            if child is not None and not child.completed_event.is_connected(ts.merge_child):
                child.completed_event.connect(ts.merge_child)


def check_model(process_id: str, filename: str, text: str, dmn: list[tuple[str, str]] | None = None) -> list[str]:
    """Parse a BPMN text as SpiffWorkflow will, without caching it; the problems found, in Vietnamese."""
    try:
        ProcessSpec(process_id, [(filename, text)], dmn or [])
    except ModelError as exc:
        where = f" ở phần tử “{exc.element_id}”" if exc.element_id else ""
        line = f" (dòng {exc.line})" if exc.line else ""
        detail = str(exc).split("\n")[0][:300]
        if str(exc).startswith(("Bước ", "Trường ", "Tệp ")):  # our own messages are Vietnamese already
            return [str(exc)]
        return [f"SpiffWorkflow không đọc được quy trình{where}{line}: {in_vietnamese(detail)}"]
    return []


# What SpiffWorkflow and the BPMN schema say most often, as an administrator reads it (the rest stays as written)
_SAID = (
    (re.compile(r"Element '(?:\{[^}]*\})?([\w.-]+)': This element is not expected\. Expected is \( (?:\{[^}]*\})?"
                r"([\w.-]+) \)\.?"), r"phần tử “\1” không được đặt ở đây (cần “\2”)"),
    (re.compile(r"Element '(?:\{[^}]*\})?([\w.-]+)': This element is not expected\.?"),
     r"phần tử “\1” không được đặt ở đây"),
    (re.compile(r"Non-default exclusive outgoing sequence flow\s+without condition\.?", re.IGNORECASE),
     "luồng ra của cổng rẽ nhánh không có điều kiện mà cũng không phải luồng mặc định"),
)


def in_vietnamese(message: str) -> str:
    """``message`` with the parts an administrator meets most often said in Vietnamese."""
    for pattern, said in _SAID:
        message = pattern.sub(said, message)
    return message


def _user_tasks(process, subprocesses: dict, seen: frozenset = frozenset()):
    """The user tasks of a process in the file's order, a subprocess's own where it stands (once, even if a
    model calls itself)."""
    for ts in process.task_specs.values():
        if isinstance(ts, UserTask) and not _is_mi_child(ts):
            yield ts
        elif isinstance(ts, SubWorkflowTask) and ts.spec in subprocesses and ts.spec not in seen:
            yield from _user_tasks(subprocesses[ts.spec], subprocesses, seen | {ts.spec})


def _is_mi_child(ts) -> bool:
    # The multi-instance wrapper and its child share the bpmn_id; keep the wrapper's child only once.
    return isinstance(ts, MultiInstanceTask)


_spec_cache: dict[tuple[str, str], ProcessSpec] = {}
_spec_lock = threading.Lock()


def cached_spec(process_id: str, cache_key: str) -> ProcessSpec | None:
    """The spec ``load_spec`` parsed for this key, if any (lets callers skip reading the sources)."""
    return _spec_cache.get((process_id, cache_key))


def load_spec(process_id: str, cache_key: str, bpmn: list[tuple[str, str]],
              dmn: list[tuple[str, str]] | None = None) -> ProcessSpec:
    """Parse a process once per (process id, content hash) and keep it for the process's life."""
    key = (process_id, cache_key)
    with _spec_lock:
        spec = _spec_cache.get(key)
        if spec is None:
            spec = _spec_cache[key] = ProcessSpec(process_id, bpmn, dmn or [])
        return spec


log = logging.getLogger(__name__)
MODEL_FAULT = ("Mô hình quy trình đang dùng có lỗi%(where)s: %(detail)s. Hồ sơ vẫn ở bước hiện tại; báo quản trị "
               "viên sửa mô hình và triển khai lại (trang Quy trình).")


def _refusal(exc: BaseException) -> EngineError:
    """The EngineError for a failure inside the engine, in Vietnamese and naming the element where it happened:
    the sandbox's reason when it refused or stopped the model's code; else the model's own fault (a name its
    expression uses that the file's data lacks), which the administrator mends — SpiffWorkflow's English
    ("Error evaluating expression … Did you mean …") goes to the log."""
    spec = getattr(exc, "task_spec", None) or getattr(getattr(exc, "task", None), "task_spec", None)
    name, element = getattr(spec, "bpmn_name", None), getattr(spec, "bpmn_id", None)
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, (sandbox.SandboxError, NameError)):
        cause = cause.__cause__ or cause.__context__
    if isinstance(cause, sandbox.SandboxError):
        where = f" Ở phần tử {f'“{name}” ' if name else ''}({element})." if element else ""
        return EngineError(f"{cause}{where}")
    log.error("process model fault at %s: %s", element or "?", " ".join(str(exc).split())[:500])
    where = f" ở phần tử {f'“{name}” ' if name else ''}({element})" if element else ""
    detail = (f"tên “{cause.name}” không có trong dữ liệu của hồ sơ" if isinstance(cause, NameError) and cause.name
              else "một biểu thức hoặc đoạn mã của mô hình không chạy được")
    return EngineError(MODEL_FAULT % {"where": where, "detail": detail})


def run(wf: BpmnWorkflow) -> None:
    """Advance the engine: gateways, scripts, decisions, until the next user task or timer."""
    try:
        wf.do_engine_steps()
    except (WorkflowException, sandbox.SandboxError) as exc:
        raise _refusal(exc) from exc


def registry():
    """The serializer's converter registry (SpiffWorkflow's diff of a workflow against another spec needs it)."""
    return _serializer.registry


def serialize(wf: BpmnWorkflow) -> str:
    return _serializer.serialize_json(wf)


def restore(state: str, spec: ProcessSpec | None = None) -> BpmnWorkflow:
    """Rebuild a workflow from its saved state and the spec of the version it runs on."""
    _spec_for_restore.value = spec
    try:
        wf = _serializer.deserialize_json(state)
    finally:
        _spec_for_restore.value = None
    wf.script_engine = _script_engine()  # not serialized: attach after every restore
    return wf


def is_completed(wf: BpmnWorkflow) -> bool:
    return wf.is_completed()


def result_data(wf: BpmnWorkflow) -> dict[str, Any]:
    return copy.deepcopy(wf.data)


def _lookup(data: dict[str, Any], path: str | None) -> Any:
    if not path:
        return None
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _parse_fields(props: dict[str, str]) -> tuple[Field, ...]:
    fields = []
    for key, spec in props.items():
        if not key.startswith("field."):
            continue
        ftype, req, label, hint = (spec.split("|", 3) + ["", "", ""])[:4]
        if ftype not in FIELD_TYPES:
            raise ModelError(f"Trường '{key}' có kiểu không hợp lệ: {ftype}")
        fields.append(Field(key[len("field."):], ftype, req == "required", label or key, hint == "long",
                            ftype == "date" and hint == "past", ftype == "date" and hint == "future",
                            ftype == "file" and hint == "signed"))
    return tuple(fields)


def _step(task) -> Step:
    ts = task.task_spec
    props = ts.extensions.get("properties") or {}
    decisions = tuple(d.strip() for d in props.get("decisions", "submit").split(",") if d.strip())
    agency = _lookup(task.data, props.get("agency_var"))
    assignee = _lookup(task.data, props.get("assignee_var"))
    agency_id = (task.data.get("agency_ids") or {}).get(agency) if isinstance(agency, str) else None
    collaborator = task.data.get("collaborator")
    formerly = collaborator.get("formerly") if isinstance(collaborator, dict) and collaborator.get("agency") == agency \
        else None
    return Step(
        task_id=str(task.id),
        step_id=ts.bpmn_id,
        step_name=ts.bpmn_name or ts.bpmn_id,
        lane=ts.lane or "",
        role=props.get("role", ""),
        agency=agency if isinstance(agency, str) else None,
        assignee=assignee if isinstance(assignee, str) and assignee else None,
        decisions=decisions,
        fields=_parse_fields(props),
        agency_id=agency_id if isinstance(agency_id, int) else None,
        submitted_by=task.data.get("actor") if task.data.get("decision") == "submit" else None,
        on_behalf_of=formerly if isinstance(formerly, str) else None,
        due=_date(_lookup(task.data, props.get("due_var"))),
    )


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def ready_steps(wf: BpmnWorkflow) -> list[Step]:
    """The READY user tasks, in a stable order."""
    return [_step(t) for t in wf.get_tasks(state=TaskState.READY, manual=True)]


def step(wf: BpmnWorkflow, task_id: str) -> Step | None:
    task = _ready_task(wf, task_id)
    return _step(task) if task else None


def _ready_task(wf: BpmnWorkflow, task_id: str):
    try:
        task = wf.get_task_from_id(uuid.UUID(task_id))
    except (ValueError, KeyError, TypeError, TaskNotFoundException):
        return None
    if task is None or task.state != TaskState.READY or not task.task_spec.manual:
        return None
    return task


def complete(wf: BpmnWorkflow, task_id: str, data: dict[str, Any]) -> None:
    """Run one READY user task with (deep-copied) data, then advance the engine."""
    task = _ready_task(wf, task_id)
    if task is None:
        raise EngineError(f"Task {task_id} is not a ready user task")
    task.data.update(copy.deepcopy(data))
    try:
        task.run()
    except (WorkflowException, sandbox.SandboxError) as exc:
        raise _refusal(exc) from exc
    run(wf)


# ---------------------------------------------------------------- timers

@dataclass(frozen=True)
class WaitingTimer:
    task_id: str
    step_name: str  # the user task the timer is attached to
    action: str  # remind | escalate (spiffworkflow:properties of the boundary event)
    notify: str  # holder | agency_head | coordinator
    fire_at: datetime  # aware
    step_task_id: str = ""  # the engine id of that step's task (one per collaborator in an opinion round)


def _timer_tasks(wf: BpmnWorkflow, state: TaskState):
    for task in wf.get_tasks(state=state):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            yield task


def waiting_timers(wf: BpmnWorkflow) -> list[WaitingTimer]:
    """The timers now waiting, with the moment each will fire (expressions evaluated once, on entry)."""
    timers = []
    for task in _timer_tasks(wf, TaskState.WAITING):
        value = task._get_internal_data("event_value")
        if value is None:
            try:
                value = wf.script_engine.evaluate(task, task.task_spec.event_definition.expression)
            except (WorkflowException, sandbox.SandboxError) as exc:
                raise _refusal(exc) from exc
            task._set_internal_data(event_value=value)
        fire_at = datetime.fromisoformat(value)
        props = task.task_spec.extensions.get("properties") or {}
        # the boundary event's siblings under the split: the one that is not an event is the step itself
        attached = next((c for c in task.parent.children
                         if getattr(c.task_spec, "event_definition", None) is None), None)
        timers.append(WaitingTimer(str(task.id), getattr(attached.task_spec, "bpmn_name", "") if attached else "",
                                   props.get("action", "remind"), props.get("notify", "holder"), fire_at,
                                   str(attached.id) if attached else ""))
    return timers


_now_override = threading.local()


class _EngineDatetime(datetime):
    """``datetime`` as SpiffWorkflow's timer module sees it: ``now()`` is the application's clock."""

    @classmethod
    def now(cls, tz=None):
        moment = getattr(_now_override, "value", None) or _now_provider()
        return cls.fromisoformat(moment.astimezone(tz or UTC).isoformat())


def fire_timers(wf: BpmnWorkflow, now: datetime) -> list[WaitingTimer]:
    """Fire every timer due at ``now`` (aware), advance the engine, and return the timers fired."""
    before = {t.task_id: t for t in waiting_timers(wf)}
    _now_override.value = now + timedelta(microseconds=1)  # Spiff fires when moment < now, strictly
    try:
        wf.refresh_timers()
        run(wf)
    finally:
        _now_override.value = None
    # each timer by its id: a state filter on ``get_tasks`` does not reach the finished tasks of a subprocess
    return [timer for task_id, timer in before.items() if _state(wf, task_id) == TaskState.COMPLETED]


def _state(wf: BpmnWorkflow, task_id: str) -> TaskState | None:
    try:
        task = wf.get_task_from_id(uuid.UUID(task_id))
    except TaskNotFoundException:
        return None
    return task.state if task is not None else None


def set_due_date(wf: BpmnWorkflow, due_date: str | None) -> None:
    """A new due date for the running instance: its steps and waiting timers follow it; so do the timers of its
    open steps that fired for an earlier date (a file reminded and escalated, then given more time, is reminded
    again before the new date and escalated after it, not left silent)."""
    for step in wf.get_tasks(state=TaskState.READY, manual=True) if due_date is not None else ():
        for timer in step.parent.children:  # a boundary event's siblings under its split: the step and its timers
            if (timer.state == TaskState.COMPLETED and isinstance(getattr(timer.task_spec, "event_definition", None),
                                                                  TimerEventDefinition)
                    and (timer.data.get("due_date") or due_date) < due_date):
                timer.reset_branch({**copy.deepcopy(timer.parent.data), "due_date": due_date})  # WAITING again
    for task in wf.get_tasks(state=TaskState.READY | TaskState.WAITING):
        task.data["due_date"] = due_date
    for task in _timer_tasks(wf, TaskState.WAITING):
        task._set_internal_data(event_value=None)
    waiting_timers(wf)  # evaluated again from the new date now, so that the saved state holds the new moments


def replace_agency(wf: BpmnWorkflow, old: str, new: str, new_id: int) -> None:
    """An agency merged into another: every step still to come names the successor (its name in the process
    data, among the collaborators, and its id in ``agency_ids``)."""
    for task in [*wf.get_tasks(state=TaskState.READY | TaskState.WAITING)]:
        _rename_in(task.data, old, new, new_id)
    _rename_in(wf.data, old, new, new_id)


def _rename_in(data: dict[str, Any], old: str, new: str, new_id: int) -> None:
    for key, value in list(data.items()):
        if value == old and key != "agency_ids":
            data[key] = new
    # the one a collaborator's own steps (its opinion, its head's) are for; it remembers whose part it was
    collaborator = data.get("collaborator")
    if isinstance(collaborator, dict) and collaborator.get("agency") == old:
        data["collaborator"] = {"formerly": old, **collaborator, "agency": new}
    collaborators = data.get("collaborators")
    if isinstance(collaborators, list):  # renamed, then once each, and never the lead (merged into a collaborator)
        lead, kept, at = data.get("lead_agency"), [], {}
        for collaborator in collaborators:
            if isinstance(collaborator, dict) and collaborator.get("agency") == old:
                collaborator.setdefault("formerly", old)
                collaborator["agency"] = new
            name = collaborator.get("agency") if isinstance(collaborator, dict) else None
            if name is not None and name == lead:
                continue
            if name is None or name not in at:
                at[name] = len(kept)
                kept.append(collaborator)
            elif "formerly" in kept[at[name]] and "formerly" not in collaborator:
                kept[at[name]] = collaborator  # the successor's own part, not the merged one's, when it has one
        data["collaborators"] = kept
    ids = data.get("agency_ids")
    if isinstance(ids, dict) and old in ids:
        ids.pop(old)
        ids[new] = new_id


def decide_route(spec: ProcessSpec, data: dict[str, Any]) -> dict[str, Any]:
    """Run the routing process (a DMN decision) and return its outputs."""
    wf = spec.start(data)
    if not wf.is_completed():
        raise EngineError("Routing process did not complete")
    return copy.deepcopy(wf.data)
