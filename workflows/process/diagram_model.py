"""What a diagram is made of: a BPMN file's own drawing (shapes, flows, lanes) read into a ``Model``, and the
``Progress`` of an instance laid over it. Pure, no database: ``workflows.process.diagram`` fills the progress.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

# The audit actions that complete a work item, and how the tooltips name them.
DECISION_WORDS = {"submit": "Chuyển tiếp", "approve": "Đồng ý", "return": "Trả lại"}

ACTIVITIES = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
DECISION_CONDITION = re.compile(r"""^\s*decision\s*==\s*["']([\w-]+)["']\s*$""")


# ---------------------------------------------------------------- the file's drawing

Box = tuple[float, float, float, float]  # x, y, width, height


@dataclass(frozen=True)
class Node:
    id: str
    kind: str  # the BPMN tag: userTask, exclusiveGateway, startEvent, …
    name: str
    bounds: Box | None
    label: Box | None = None
    attached_to: str | None = None
    props: tuple[tuple[str, str], ...] = ()
    timer: bool = False
    inside: str | None = None  # the subprocess it is drawn in, if any
    expanded: bool = False  # a subprocess drawn open, its own steps inside it
    many: bool = False  # run once per item of a collection (multi-instance)

    @property
    def is_step(self) -> bool:
        """A step people act on: it has work items, and paths between steps stop there."""
        return self.kind in ("userTask", "manualTask")


@dataclass(frozen=True)
class Flow:
    id: str
    name: str
    source: str
    target: str
    waypoints: tuple[tuple[float, float], ...]
    label: Box | None
    decision: str | None  # the decision it is taken on (``decision == "return"``), if any


@dataclass(frozen=True)
class Pool:
    id: str
    name: str
    bounds: Box
    lane: bool


@dataclass
class Model:
    name: str
    nodes: dict[str, Node]
    flows: dict[str, Flow]
    pools: list[Pool]
    # the flows a token follows from each node; a subprocess leads into its start, its end out of the subprocess
    outgoing: dict[str, list[Flow]] = field(default_factory=dict)

    def starts(self) -> list[str]:
        """The process's own start events (not a subprocess's, nor a boundary event)."""
        return [n.id for n in self.nodes.values() if n.kind == "startEvent" and n.attached_to is None
                and n.inside is None and not any(f.target == n.id for f in self.flows.values())]

    def ends(self) -> set[str]:
        """The process's own end events (reaching a subprocess's end goes on after the subprocess)."""
        return {n.id for n in self.nodes.values() if n.kind == "endEvent" and n.inside is None}


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def _local(tag) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _bounds(element) -> Box | None:
    b = element.find(_q(DC_NS, "Bounds")) if element is not None else None
    if b is None:
        return None
    return tuple(float(b.get(k, 0)) for k in ("x", "y", "width", "height"))


@lru_cache(maxsize=32)
def parse(source: str) -> Model:
    """The nodes, flows, lanes and their drawing from a BPMN file's text."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(source.encode("utf-8"), parser)
    processes = root.findall(_q(BPMN_NS, "process"))
    shapes, edges, expanded = {}, {}, set()
    diagram = root.find(_q(BPMNDI_NS, "BPMNDiagram"))
    if diagram is not None:
        for s in diagram.iter(_q(BPMNDI_NS, "BPMNShape")):
            shapes[s.get("bpmnElement")] = (_bounds(s), _bounds(s.find(_q(BPMNDI_NS, "BPMNLabel"))))
            if s.get("isExpanded") == "true":
                expanded.add(s.get("bpmnElement"))
        for e in diagram.iter(_q(BPMNDI_NS, "BPMNEdge")):
            points = tuple((float(p.get("x", 0)), float(p.get("y", 0))) for p in e.findall(_q(DI_NS, "waypoint")))
            edges[e.get("bpmnElement")] = (points, _bounds(e.find(_q(BPMNDI_NS, "BPMNLabel"))))

    nodes: dict[str, Node] = {}
    flows: dict[str, Flow] = {}
    pools: list[Pool] = []
    for participant in root.iter(_q(BPMN_NS, "participant")):
        bounds = shapes.get(participant.get("id"), (None, None))[0]
        if bounds:
            pools.append(Pool(participant.get("id"), participant.get("name") or "", bounds, lane=False))
    for process in processes:
        for lane in process.iter(_q(BPMN_NS, "lane")):
            bounds = shapes.get(lane.get("id"), (None, None))[0]
            if bounds:
                pools.append(Pool(lane.get("id"), lane.get("name") or "", bounds, lane=True))
        for el in process.iter():
            kind = _local(el.tag)
            if el.getparent() is not None and _local(el.getparent().tag) == "laneSet":
                continue
            if kind == "sequenceFlow":
                points, label = edges.get(el.get("id"), ((), None))
                condition = el.findtext(_q(BPMN_NS, "conditionExpression")) or ""
                match = DECISION_CONDITION.match(condition)
                flows[el.get("id")] = Flow(el.get("id"), el.get("name") or "", el.get("sourceRef"),
                                           el.get("targetRef"), points, label, match.group(1) if match else None)
            elif kind in ACTIVITIES or kind in GATEWAYS or kind in EVENTS:
                bounds, label = shapes.get(el.get("id"), (None, None))
                own = el.find(_q(BPMN_NS, "extensionElements")) if kind == "subProcess" else el  # not its steps' own
                props = () if own is None else tuple((p.get("name"), p.get("value") or "")
                                                     for p in own.iter(_q(SPIFF_NS, "property")))
                parent = next((a for a in el.iterancestors() if _local(a.tag) == "subProcess"), None)
                nodes[el.get("id")] = Node(el.get("id"), kind, el.get("name") or "", bounds, label,
                                           el.get("attachedToRef"), props,
                                           el.find(_q(BPMN_NS, "timerEventDefinition")) is not None,
                                           parent.get("id") if parent is not None else None,
                                           el.get("id") in expanded,
                                           el.find(_q(BPMN_NS, "multiInstanceLoopCharacteristics")) is not None)
    name = next((p.get("name") or p.get("id") for p in processes), "") or ""
    model = Model(name, nodes, flows, pools)
    outgoing = defaultdict(list)
    for f in flows.values():
        outgoing[f.source].append(f)
    _enter_subprocesses(nodes, outgoing)
    model.outgoing = dict(outgoing)
    return model


def _enter_subprocesses(nodes: dict[str, Node], outgoing: dict[str, list[Flow]]) -> None:
    """A token reaching an embedded subprocess goes on at its start event; one reaching its end leaves by the
    subprocess's own outgoing flows (the link in, drawn by no line, is a flow without waypoints)."""
    for sub in [n for n in nodes.values() if n.kind == "subProcess"]:
        starts = [n.id for n in nodes.values() if n.inside == sub.id and n.kind == "startEvent" and not n.attached_to]
        if not starts:
            continue
        leaving = outgoing.get(sub.id, [])
        outgoing[sub.id] = [Flow(f"{sub.id}>{start}", "", sub.id, start, (), None, None) for start in starts]
        for end in (n.id for n in nodes.values() if n.inside == sub.id and n.kind == "endEvent"):
            outgoing[end] = [*outgoing.get(end, []), *leaving]


# ---------------------------------------------------------------- progress (computed by workflows.process.diagram)

@dataclass(frozen=True)
class Visit:
    """One work item as the diagram sees it."""

    item_id: int
    step_id: str
    status: str  # open | done | cancelled
    created_at: datetime
    completed_at: datetime | None = None
    rank: int | None = None  # order of completion (audit event order)
    decision: str | None = None
    comment: str | None = None
    actor: str | None = None  # who completed it, with their agency
    on_behalf_of: str | None = None
    holder: str | None = None  # who holds an open item
    agency: str | None = None
    role: str | None = None


@dataclass
class Progress:
    """What the diagram shows of an instance: the steps passed and how often, the open ones, the flows taken."""

    started_at: datetime | None = None
    completed: bool = False
    finished_at: datetime | None = None
    current: set[str] = field(default_factory=set)
    visited: set[str] = field(default_factory=set)
    passes: dict[str, list[list[Visit]]] = field(default_factory=dict)  # step → passes → items
    node_counts: dict[str, int] = field(default_factory=dict)
    flow_counts: dict[str, int] = field(default_factory=dict)
    return_counts: dict[str, int] = field(default_factory=dict)  # flow → returns it carried
    returns: dict[tuple[str, str], int] = field(default_factory=dict)  # (from step, back to step) → times
    timers: dict[str, list[datetime]] = field(default_factory=dict)  # boundary event → fired at

    def state(self, node_id: str) -> str:
        if node_id in self.current:
            return "current"
        return "done" if node_id in self.visited else "todo"
