"""A BPMN file's own drawing (bpmndi shapes, edges, labels, lanes) rendered as SVG, with progress.

Pure: no database. ``parse`` reads the file's text; ``render`` draws it with a ``Progress`` (what was
passed, what is open, how often) that ``workflows.diagram`` computes from the tables. Built with
lxml's element API, so every text is escaped, and styled with presentation attributes only (the CSP
forbids inline styles). Colour is never the only signal: the current step carries an "ĐANG XỬ LÝ"
band and a thick border, passed steps a tick, loops a "×N" badge, returns a "Trả lại · N lần" label.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from lxml import etree

from models import ROLE_LABELS
from workflows import clock

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
SVG_NS = "http://www.w3.org/2000/svg"

DECISION_WORDS = {"submit": "Chuyển tiếp", "approve": "Đồng ý", "return": "Trả lại"}
STATE_WORDS = {"current": "Đang xử lý", "done": "Đã đi qua", "todo": "Chưa tới"}

ACTIVITIES = {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "businessRuleTask", "sendTask",
              "receiveTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
DECISION_CONDITION = re.compile(r"""^\s*decision\s*==\s*["']([\w-]+)["']\s*$""")

FONT = "'Noto Sans', 'Segoe UI', Roboto, 'Helvetica Neue', Arial, 'Liberation Sans', sans-serif"
CHAR_EM = 0.56  # average advance of a character of FONT, in em (a little generous: no clipping)
INK = "#1b1f24"
MUTED = "#545c66"
PALETTE = {  # fill, stroke, stroke width of a step in each state
    "current": ("#dbe9f8", "#0b4f8a", 4.0),
    "done": ("#e3f2e6", "#1e6b30", 2.0),
    "todo": ("#ffffff", "#8a939e", 1.25),
}
FLOW_TAKEN = "#1e6b30"
FLOW_RETURN = "#a34a00"
FLOW_TODO = "#9aa3ad"
BAND = 16  # height of the "Đang xử lý" band at the top of a current step


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
    outgoing: dict[str, list[Flow]] = field(default_factory=dict)


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
    shapes, edges = {}, {}
    diagram = root.find(_q(BPMNDI_NS, "BPMNDiagram"))
    if diagram is not None:
        for s in diagram.iter(_q(BPMNDI_NS, "BPMNShape")):
            shapes[s.get("bpmnElement")] = (_bounds(s), _bounds(s.find(_q(BPMNDI_NS, "BPMNLabel"))))
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
                props = tuple((p.get("name"), p.get("value") or "") for p in el.iter(_q(SPIFF_NS, "property")))
                nodes[el.get("id")] = Node(el.get("id"), kind, el.get("name") or "", bounds, label,
                                           el.get("attachedToRef"), props,
                                           el.find(_q(BPMN_NS, "timerEventDefinition")) is not None)
    name = next((p.get("name") or p.get("id") for p in processes), "") or ""
    model = Model(name, nodes, flows, pools)
    outgoing = defaultdict(list)
    for f in flows.values():
        outgoing[f.source].append(f)
    model.outgoing = dict(outgoing)
    return model


# ---------------------------------------------------------------- progress (computed by workflows.diagram)

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


# ---------------------------------------------------------------- drawing

def _when(moment: datetime | None) -> str:
    return clock.to_local(moment).strftime("%d/%m/%Y %H:%M") if moment else ""


def _short(text: str | None, limit: int = 160) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _wrap(text: str, width: float, size: float) -> list[str]:
    """Greedy word wrap by an estimated character width (no font metrics on the server)."""
    lines = _greedy(text, max(1, int(width / (size * CHAR_EM))))
    while len(lines) > 1:  # as narrow as the same number of lines allows: no lone last word
        narrower = _greedy(text, max(len(s) for s in lines) - 1)
        if len(narrower) != len(lines) or max(map(len, narrower)) < 4:
            break
        lines = narrower
    return lines


def _greedy(text: str, per_line: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        while len(word) > per_line:  # a word longer than the line: cut it
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:per_line])
            word = word[per_line:]
        candidate = f"{line} {word}".strip()
        if len(candidate) <= per_line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _text_width(text: str, size: float) -> float:
    return len(text) * size * CHAR_EM


def _overlap(a: Box, b: Box) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


class _Canvas:
    """The SVG being built, with the boxes already taken (for placing labels where they fit).

    Taken boxes are indexed in a coarse grid, so a candidate label is compared only with the boxes
    near it (a process has hundreds of boxes and each label tries dozens of places).
    """

    CELL = 100.0

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.labels: list[Box] = []
        self._grid: dict[tuple[int, int], list[tuple[Box, float]]] = {}

    def _cells(self, box: Box):
        x, y, w, h = box
        for cx in range(int(x // self.CELL), int((x + w) // self.CELL) + 1):
            for cy in range(int(y // self.CELL), int((y + h) // self.CELL) + 1):
                yield cx, cy

    def block(self, box: Box, weight: float = 1.0) -> None:
        """Keep labels away from ``box`` (a label placed earlier weighs 4: labels must not cover labels)."""
        entry = (box, weight)
        for cell in self._cells(box):
            self._grid.setdefault(cell, []).append(entry)

    def _cost(self, box: Box) -> float:
        near = {id(entry): entry for cell in self._cells(box) for entry in self._grid.get(cell, ())}
        return sum(weight * _overlap(box, other) for other, weight in near.values())

    def place(self, candidates: list[Box]) -> Box:
        """The first candidate box that overlaps nothing, else the one overlapping least."""
        costs = [self._cost(box) for box in candidates]
        best = min(range(len(candidates)), key=lambda i: (costs[i] > 0, costs[i], i))
        box = candidates[best]
        self.labels.append(box)
        self.block(box, 4.0)
        return box


def _el(parent, tag: str, text: str | None = None, **attrs):
    element = etree.SubElement(parent, tag, {k.rstrip("_").replace("_", "-"): _fmt(v) for k, v in attrs.items()
                                             if v is not None})
    if text is not None:
        element.text = text
    return element


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def _label(parent, lines: list[str], box: Box, size: float, *, halo: bool = True, weight: str | None = None,
           fill: str = INK):
    """Centred lines of text inside ``box``, with a white halo so lines under it do not hide it."""
    x = box[0] + box[2] / 2
    top = box[1] + (box[3] - len(lines) * size * 1.2) / 2
    text = _el(parent, "text", x=x, y=top + size * 0.95, font_size=size, text_anchor="middle", fill=fill,
               font_weight=weight, paint_order="stroke" if halo else None, stroke="#ffffff" if halo else None,
               stroke_width=3 if halo else None, stroke_linejoin="round" if halo else None)
    for i, line in enumerate(lines):
        _el(text, "tspan", line, x=x, dy=0 if i == 0 else size * 1.2)
    return text


def _label_box(lines: list[str], size: float) -> tuple[float, float]:
    return (max((_text_width(s, size) for s in lines), default=0) + 4, len(lines) * size * 1.2 + 2)


def _around(bounds: Box, w: float, h: float, given: Box | None) -> list[Box]:
    """Where a label may go around a shape: its own label position first, then below, above, right, left."""
    x, y, bw, bh = bounds
    cx = x + bw / 2
    boxes = [(given[0] + given[2] / 2 - w / 2, given[1], w, h)] if given else []
    middle = y + bh / 2 - h / 2
    return boxes + [(cx - w / 2, y + bh + 4, w, h), (cx - w / 2, y - h - 4, w, h), (x + bw + 4, middle, w, h),
                    (x - w - 4, middle, w, h), (x + bw + 2, y + bh + 2, w, h), (x - w - 2, y + bh + 2, w, h),
                    (x + bw + 2, y - h - 2, w, h), (x - w - 2, y - h - 2, w, h)]


def _along(points: tuple[tuple[float, float], ...], w: float, h: float, given: Box | None) -> list[Box]:
    """Where a flow's label may go: its own label position, then beside its segments from the start."""
    boxes = [(given[0] + given[2] / 2 - w / 2, given[1], w, h)] if given else []
    for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
        length = abs(x2 - x1) + abs(y2 - y1)
        for t in (min(18.0, length / 2), length / 2, max(length - 18, 0)):
            if length == 0:
                continue
            px, py = x1 + (x2 - x1) * t / length, y1 + (y2 - y1) * t / length
            if abs(x2 - x1) >= abs(y2 - y1):  # horizontal segment: above or below
                left = px if t < length / 2 else px - w
                if x2 < x1:
                    left = px - w if t < length / 2 else px
                boxes += [(left, py - h - 2, w, h), (left, py + 2, w, h)]
            else:  # vertical segment: right or left
                top = py if (y2 > y1) == (t < length / 2) else py - h
                boxes += [(px + 4, top, w, h), (px - w - 4, top, w, h)]
    return boxes


def _tooltip(model: Model, progress: Progress, node: Node) -> str:
    state = progress.state(node.id)
    passes = progress.passes.get(node.id, [])
    head = node.name or {"startEvent": "Bắt đầu", "endEvent": "Kết thúc"}.get(node.kind, "Điểm rẽ/hợp nhánh")
    lines = [f"{head} — {STATE_WORDS[state]}" + (f" (lần {len(passes)})" if state == "current" and len(passes) > 1
                                                  else f" ({len(passes)} lần)" if len(passes) > 1 else "")]
    for number, items in enumerate(passes, 1):
        prefix = f"Lần {number}: " if len(passes) > 1 else ""
        for v in items:
            if v.status == "done":
                act = DECISION_WORDS.get(v.decision or "", v.decision or "Hoàn thành")
                line = f"{prefix}{act} — {v.actor or 'không rõ'}"
                if v.on_behalf_of:
                    line += f", thay mặt {v.on_behalf_of}"
                line += f", {_when(v.completed_at)}"
                if v.comment:
                    line += f"\n    {'Lý do' if v.decision == 'return' else 'Ý kiến'}: {_short(v.comment)}"
            elif v.status == "open":
                holder = v.holder or f"{v.agency or ''} ({ROLE_LABELS.get(v.role or '', v.role or '')}), chưa ai nhận"
                line = f"{prefix}Đang xử lý: {holder}, từ {_when(v.created_at)}"
            else:
                line = f"{prefix}Đã hủy (quy trình chuyển hướng), {_when(v.completed_at or v.created_at)}"
            if len(items) > 1 and v.agency and v.agency not in line:
                line += f" [{v.agency}]"
            lines.append(line)
    if node.kind == "startEvent" and progress.started_at and state != "todo":
        lines.append(f"Bắt đầu lúc {_when(progress.started_at)}")
    if node.kind == "endEvent" and state == "done" and progress.finished_at:
        lines.append(f"Kết thúc lúc {_when(progress.finished_at)}")
    if node.kind in GATEWAYS and state != "todo":
        for f in model.outgoing.get(node.id, []):
            count = progress.flow_counts.get(f.id, 0)
            target = model.nodes.get(f.target)
            lines.append(f"→ {f.name or (target.name if target else f.target) or f.target}: {count} lần")
    if node.timer:
        fired = progress.timers.get(node.id, [])
        lines[0] = f"{node.name or 'Hẹn giờ'} — " + (f"đã kích hoạt {len(fired)} lần" if fired else "hẹn giờ")
        lines += [f"Kích hoạt lúc {_when(at)}" for at in fired[-5:]]
    if len(lines) > 14:
        lines = [lines[0], "… (các lượt trước: xem Lịch sử xử lý)", *lines[-12:]]
    return "\n".join(lines)


def _arrow_markers(defs, prefix: str) -> None:
    for key, colour in (("todo", FLOW_TODO), ("done", FLOW_TAKEN), ("return", FLOW_RETURN)):
        marker = _el(defs, "marker", id=f"{prefix}-arrow-{key}", viewBox="0 0 10 10", refX=9, refY=5,
                     markerWidth=9, markerHeight=9, markerUnits="userSpaceOnUse", orient="auto")
        _el(marker, "path", d="M0,0 L10,5 L0,10 z", fill=colour)


def _draw_pools(g, model: Model, title_size: float) -> None:
    for pool in sorted(model.pools, key=lambda p: p.lane):
        x, y, w, h = pool.bounds
        _el(g, "rect", x=x, y=y, width=w, height=h, fill="#ffffff" if pool.lane else "#f7f8fa",
            stroke="#8a939e", stroke_width=1)
        _el(g, "rect", x=x, y=y, width=30, height=h, fill="#e9edf2" if pool.lane else "#dde3ea",
            stroke="#8a939e", stroke_width=1)
        size = title_size
        lines = _wrap(pool.name, h - 10, size)
        while len(lines) > 2 and size > 9:
            size -= 1
            lines = _wrap(pool.name, h - 10, size)
        cx, cy = x + 15, y + h / 2
        text = _el(g, "text", x=cx, y=cy, font_size=size, text_anchor="middle", fill=INK,
                   font_weight="600" if not pool.lane else None, transform=f"rotate(-90 {_fmt(cx)} {_fmt(cy)})")
        first = -(len(lines[:2]) - 1) * size * 0.6 + size * 0.35
        for i, line in enumerate(lines[:2]):
            _el(text, "tspan", line, x=cx, dy=first if i == 0 else size * 1.2)


def _draw_flow(g, canvas: _Canvas, progress: Progress, flow: Flow) -> None:
    taken = progress.flow_counts.get(flow.id, 0)
    returns = progress.return_counts.get(flow.id, 0)
    key = "return" if returns else "done" if taken else "todo"
    colour = {"return": FLOW_RETURN, "done": FLOW_TAKEN, "todo": FLOW_TODO}[key]
    group = _el(g, "g", class_=f"dg-flow dg-{key}", data_element=flow.id, data_count=taken or None)
    word = (f"{flow.name}: " if flow.name else "") + (f"trả lại {returns} lần" if returns else
                                                        f"đã đi qua {taken} lần" if taken else "chưa đi qua")
    _el(group, "title", word)
    points = " ".join(f"{_fmt(x)},{_fmt(y)}" for x, y in flow.waypoints)
    _el(group, "polyline", points=points, fill="none", stroke=colour, stroke_width=3 if taken else 1.25,
        stroke_dasharray=None if taken else "5 3", stroke_linejoin="round",
        marker_end=f"url(#{canvas.prefix}-arrow-{key})")


def _flow_label(g, canvas: _Canvas, progress: Progress, flow: Flow) -> None:
    returns = progress.return_counts.get(flow.id, 0)
    text = flow.name + (f" · {returns} lần" if returns else "")
    if not text.strip() or len(flow.waypoints) < 2:
        return
    size = 11.0
    lines = _wrap(text, 110, size)
    w, h = _label_box(lines, size)
    box = canvas.place(_along(flow.waypoints, w, h, flow.label))
    colour = FLOW_RETURN if returns else (INK if progress.flow_counts.get(flow.id) else MUTED)
    _label(g, lines, box, size, weight="700" if returns else None, fill=colour)


def _draw_node(g, canvas: _Canvas, model: Model, progress: Progress, node: Node) -> None:
    x, y, w, h = node.bounds
    state = progress.state(node.id)
    fill, stroke, width = PALETTE[state]
    count = progress.node_counts.get(node.id, 0)
    group = _el(g, "g", class_=f"dg-node dg-{state}", data_element=node.id, data_state=state,
                data_count=count if node.kind in ACTIVITIES and count else None)
    _el(group, "title", _tooltip(model, progress, node))
    if node.kind in ACTIVITIES:
        _el(group, "rect", x=x, y=y, width=w, height=h, rx=8, fill=fill, stroke=stroke, stroke_width=width)
        if state == "current":  # a band that says it in words, not only in colour
            band = _el(group, "path", fill=stroke, d=(
                f"M{_fmt(x)},{_fmt(y + BAND)} V{_fmt(y + 8)} Q{_fmt(x)},{_fmt(y)} {_fmt(x + 8)},{_fmt(y)} "
                f"H{_fmt(x + w - 8)} Q{_fmt(x + w)},{_fmt(y)} {_fmt(x + w)},{_fmt(y + 8)} V{_fmt(y + BAND)} Z"))
            band.set("class", "dg-band")
            _el(group, "text", "ĐANG XỬ LÝ", x=x + 8, y=y + BAND - 4, font_size=9.5, font_weight="700",
                fill="#ffffff", letter_spacing=0.3)
        elif state == "done":
            _el(group, "circle", cx=x + 10, cy=y + 9, r=6.5, fill=stroke)
            _el(group, "path", d=f"M{_fmt(x + 6.8)},{_fmt(y + 9.2)} l2.2,2.3 l4,-4.6", fill="none", stroke="#ffffff",
                stroke_width=1.8, stroke_linecap="round", stroke_linejoin="round")
        if count > 1:
            label = f"×{count}"
            bw = _text_width(label, 10.5) + 8
            badge = _el(group, "g", class_="dg-count")
            _el(badge, "rect", x=x + w - bw - 3, y=y + 1.5, width=bw, height=14, rx=7, fill="#ffffff",
                stroke=FLOW_RETURN, stroke_width=1.5)
            _el(badge, "text", label, x=x + w - 3 - bw / 2, y=y + 12.5, font_size=10.5, font_weight="700",
                text_anchor="middle", fill=FLOW_RETURN)
        if node.kind == "subProcess":
            _el(group, "rect", x=x + w / 2 - 6, y=y + h - 14, width=12, height=12, fill="none", stroke=stroke)
        timers = any(n.attached_to == node.id for n in model.nodes.values())
        top = y + (BAND + 1 if state != "todo" else 4)
        room = y + h - (12 if timers else 4) - top
        for size in (12.0, 11.5, 11.0, 10.5, 10.0, 9.5, 9.0):
            lines = _wrap(node.name, w - 12, size)
            if len(lines) * size * 1.2 <= room:
                break
        else:
            fit = max(1, int(room / (size * 1.2)))
            lines = lines[:fit - 1] + [lines[fit - 1][:-1] + "…"] if len(lines) > fit else lines
        _label(group, lines, (x, top, w, room), size, halo=False,
               weight="600" if state == "current" else None, fill=INK if state != "todo" else "#3d454f")
        return
    if node.kind in GATEWAYS:
        cx, cy = x + w / 2, y + h / 2
        _el(group, "path", d=f"M{_fmt(cx)},{_fmt(y)} L{_fmt(x + w)},{_fmt(cy)} L{_fmt(cx)},{_fmt(y + h)} "
                             f"L{_fmt(x)},{_fmt(cy)} Z", fill=fill, stroke=stroke, stroke_width=min(width, 3))
        marker = {"parallelGateway": f"M{_fmt(cx)},{_fmt(cy - 9)} V{_fmt(cy + 9)} M{_fmt(cx - 9)},{_fmt(cy)} "
                                     f"H{_fmt(cx + 9)}"}.get(node.kind)
        if marker:
            _el(group, "path", d=marker, stroke=stroke, stroke_width=3)
        elif node.kind == "inclusiveGateway":
            _el(group, "circle", cx=cx, cy=cy, r=9, fill="none", stroke=stroke, stroke_width=2.5)
    else:  # events
        cx, cy, r = x + w / 2, y + h / 2, min(w, h) / 2
        end = node.kind == "endEvent"
        if node.timer and node.attached_to:
            fired = bool(progress.timers.get(node.id))
            colour = FLOW_RETURN if fired else "#8a939e"
            _el(group, "circle", cx=cx, cy=cy, r=r, fill="#fff1e0" if fired else "#ffffff", stroke=colour,
                stroke_width=1.5 if fired else 1, stroke_dasharray="3 2")
            _el(group, "circle", cx=cx, cy=cy, r=r * 0.7, fill="none", stroke=colour, stroke_width=1)
            hands = f"M{_fmt(cx)},{_fmt(cy - r * 0.5)} V{_fmt(cy)} L{_fmt(cx + r * 0.35)},{_fmt(cy + r * 0.2)}"
            _el(group, "path", d=hands, fill="none", stroke=colour, stroke_width=1.2, stroke_linecap="round")
            return
        _el(group, "circle", cx=cx, cy=cy, r=r, fill=fill, stroke=stroke, stroke_width=4 if end else min(width, 2.5))
        if node.kind.startswith("intermediate"):
            _el(group, "circle", cx=cx, cy=cy, r=r - 4, fill="none", stroke=stroke, stroke_width=1.25)
    if node.name:
        size = 11.0
        lines = _wrap(node.name, max(node.label[2] if node.label else 90, 80), size)
        lw, lh = _label_box(lines, size)
        box = canvas.place(_around(node.bounds, lw, lh, node.label))
        _label(group, lines, box, size, fill=INK if state != "todo" else MUTED,
               weight="600" if state == "current" else None)


LEGEND = (("current", "Đang xử lý (viền đậm)"), ("done", "Đã đi qua (dấu ✓)"), ("todo", "Chưa tới"),
          ("count", "Số lần đi qua bước"), ("return", "Nhánh trả lại, kèm số lần"))


def _swatch(g, key: str, x: float, prefix: str) -> None:
    """The mark of one legend entry, 34 wide, 24 high, at ``x``."""
    if key in PALETTE:
        fill, stroke, width = PALETTE[key]
        _el(g, "rect", x=x + 1, y=3, width=32, height=18, rx=4, fill=fill, stroke=stroke, stroke_width=min(width, 3))
        if key == "current":
            _el(g, "rect", x=x + 1, y=3, width=32, height=6, fill=stroke)
        if key == "done":
            _el(g, "path", d=f"M{_fmt(x + 11)},12 l4,4 l8,-8", fill="none", stroke=stroke, stroke_width=2)
    elif key == "count":
        _el(g, "rect", x=x + 3, y=4, width=28, height=16, rx=8, fill="#ffffff", stroke=FLOW_RETURN, stroke_width=1.5)
        _el(g, "text", "×N", x=x + 17, y=16.5, font_size=11, font_weight="700", text_anchor="middle",
            fill=FLOW_RETURN)
    else:
        _el(g, "line", x1=x + 1, y1=12, x2=x + 28, y2=12, stroke=FLOW_RETURN, stroke_width=3,
            marker_end=f"url(#{prefix}-arrow-return)")


def _legend(parent, prefix: str, left: float, top: float) -> tuple[float, float]:
    """The key under a standalone drawing; returns its width and height."""
    g = _el(parent, "g", class_="dg-legend", transform=f"translate({_fmt(left)} {_fmt(top)})")
    x = 0.0
    for key, word in LEGEND:
        _swatch(g, key, x, prefix)
        _el(g, "text", word, x=x + 40, y=17, font_size=13, fill=INK)
        x += 40 + _text_width(word, 13) + 18
    return x, 26.0


def legend() -> list[tuple[str, str]]:
    """The key for a page: (SVG mark, words) per entry; the marks are decorative, the words say it."""
    out = []
    for key, word in LEGEND:
        svg = etree.Element(_q(SVG_NS, "svg"), nsmap={None: SVG_NS})
        for name, value in (("viewBox", "0 0 34 24"), ("width", "34"), ("height", "24"), ("aria-hidden", "true"),
                            ("focusable", "false"), ("font-family", FONT)):
            svg.set(name, value)
        if key == "return":
            _arrow_markers(_el(svg, "defs"), f"dglegend-{key}")
        _swatch(svg, key, 0, f"dglegend-{key}")
        out.append((etree.tostring(svg, encoding="unicode"), word))
    return out


def render(model: Model, progress: Progress | None = None, *, prefix: str = "dg", title: str | None = None,
           description: str | None = None, standalone: bool = False, legend: bool | None = None) -> str:
    """The SVG text of ``model`` with ``progress`` (None: the model alone).

    ``standalone`` adds the XML declaration (a file of its own); ``legend`` (default: when standalone)
    draws the key under the diagram.
    """
    progress = progress or Progress()
    nodes = [n for n in model.nodes.values() if n.bounds]
    flows = [f for f in model.flows.values() if len(f.waypoints) >= 2]
    svg = etree.Element(_q(SVG_NS, "svg"), nsmap={None: SVG_NS})
    canvas = _Canvas(prefix)
    _el(svg, "title", title or f"Sơ đồ quy trình: {model.name}", id=f"{prefix}-title")
    _el(svg, "desc", description or _describe(model, progress), id=f"{prefix}-desc")
    _arrow_markers(_el(svg, "defs"), prefix)
    body = _el(svg, "g", class_="dg-body")
    background = _el(body, "rect", fill="#ffffff")
    boxes: list[Box] = [p.bounds for p in model.pools] + [n.bounds for n in nodes] + [
        (x, y, 0, 0) for f in flows for x, y in f.waypoints]
    if not boxes:
        _el(body, "text", "Tệp quy trình này không có sơ đồ (bpmndi) để hiển thị.", x=20, y=45, font_size=14,
            fill=INK)
        boxes = [(0, 0, 600, 80)]
    else:
        _draw_pools(_el(body, "g", class_="dg-lanes"), model, 13)
        for node in nodes:  # shapes, flows and lane borders keep labels away from them
            canvas.block(node.bounds)
        for pool in model.pools:
            px, py, pw, ph = pool.bounds
            for edge in ((px, py - 1, pw, 2), (px, py + ph - 1, pw, 2), (px, py, 30, ph)):
                canvas.block(edge)
        for f in flows:
            for (ax, ay), (bx, by) in zip(f.waypoints, f.waypoints[1:], strict=False):
                canvas.block((min(ax, bx) - 2, min(ay, by) - 2, abs(bx - ax) + 4, abs(by - ay) + 4))
        edges = _el(body, "g", class_="dg-flows")
        ordered = sorted(flows, key=lambda f: (bool(progress.return_counts.get(f.id)), f.id in progress.flow_counts))
        for f in ordered:  # taken flows above the others, returns on top
            _draw_flow(edges, canvas, progress, f)
        shapes = _el(body, "g", class_="dg-nodes")
        big_first = sorted(nodes, key=lambda n: (n.attached_to is not None, -(n.bounds[2] * n.bounds[3])))
        for node in big_first:
            _draw_node(shapes, canvas, model, progress, node)
        labels = _el(body, "g", class_="dg-flow-labels")
        for f in sorted(flows, key=lambda f: not progress.return_counts.get(f.id)):
            _flow_label(labels, canvas, progress, f)
        boxes += canvas.labels
    left = min(b[0] for b in boxes) - 12
    top = min(b[1] for b in boxes) - 12
    right = max(b[0] + b[2] for b in boxes) + 12
    bottom = max(b[1] + b[3] for b in boxes) + 12
    for key, value in (("x", left), ("y", top), ("width", right - left), ("height", bottom - top)):
        background.set(key, _fmt(float(value)))
    if (standalone if legend is None else legend):
        width, height = _legend(svg, prefix, left + 8, bottom)
        right = max(right, left + width + 16)
        bottom += height + 8
    for key, value in (("viewBox", f"{_fmt(left)} {_fmt(top)} {_fmt(right - left)} {_fmt(bottom - top)}"),
                       ("width", _fmt(right - left)), ("height", _fmt(bottom - top)), ("role", "img"),
                       ("aria-labelledby", f"{prefix}-title"), ("aria-describedby", f"{prefix}-desc"),
                       ("class", "diagram-svg"), ("font-family", FONT), ("preserveAspectRatio", "xMinYMin meet")):
        svg.set(key, value)
    text = etree.tostring(svg, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n' if standalone else text


def _describe(model: Model, progress: Progress) -> str:
    """The diagram in words (what a screen reader says instead of the picture)."""
    def name(node_id: str) -> str:
        node = model.nodes.get(node_id)
        return (node.name if node else "") or node_id

    steps = [n for n in model.nodes.values() if n.kind in ACTIVITIES]
    parts = [f"Quy trình “{model.name}” gồm {len(steps)} bước."]
    if progress.current:
        now = []
        for step_id in sorted(progress.current, key=name):
            open_items = [v for p in progress.passes.get(step_id, []) for v in p if v.status == "open"]
            holders = "; ".join(dict.fromkeys(v.holder or f"{v.agency or ''}, chưa ai nhận" for v in open_items))
            since = min((v.created_at for v in open_items), default=None)
            now.append(f"{name(step_id)} ({holders}{', từ ' + _when(since) if since else ''})")
        parts.append("Đang xử lý: " + "; ".join(now) + ".")
    passed = [n for n in steps if n.id in progress.visited and n.id not in progress.current]
    if passed:
        parts.append("Đã đi qua: " + ", ".join(
            n.name + (f" ({progress.node_counts[n.id]} lần)" if progress.node_counts.get(n.id, 0) > 1 else "")
            for n in passed) + ".")
    for (source, target), count in progress.returns.items():
        parts.append(f"Trả lại {count} lần ở bước “{name(source)}” về “{name(target)}”.")
    if progress.completed:
        parts.append(f"Quy trình đã kết thúc lúc {_when(progress.finished_at)}." if progress.finished_at
                     else "Quy trình đã kết thúc.")
    elif not progress.current and progress.started_at is None:
        parts.append("Chưa có tiến trình nào.")
    return " ".join(parts)
