"""The pieces of a diagram's SVG: steps, gateways, events, flows and lanes in their state, each with its tooltip,
and labels placed where they cover the least (there are no font metrics on the server, widths are estimated).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from lxml import etree

from models import ROLE_LABELS
from workflows import clock
from workflows.process.diagram_model import ACTIVITIES, DECISION_WORDS, GATEWAYS, Box, Flow, Model, Node, Progress

SVG_NS = "http://www.w3.org/2000/svg"
STATE_WORDS = {"current": "Đang xử lý", "done": "Đã đi qua", "todo": "Chưa tới"}

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


# ---------------------------------------------------------------- words

def when(moment: datetime | None) -> str:
    """A moment as people in the province read it, in local time; empty when there is none."""
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


def text_width(text: str, size: float) -> float:
    """The estimated width of ``text`` at ``size``: generous, so a box sized by it never clips."""
    return len(text) * size * CHAR_EM


# ---------------------------------------------------------------- placing labels

def _overlap(a: Box, b: Box) -> float:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


class Canvas:
    """The SVG being built, with the boxes already taken (for placing labels where they fit).

    Taken boxes are indexed in a coarse grid, so a candidate label is compared only with the boxes
    near it (a process has hundreds of boxes and each label tries dozens of places).
    """

    CELL = 100.0

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.labels: list[Box] = []
        self._grid: dict[tuple[int, int], list[tuple[Box, float]]] = {}

    def _cells(self, box: Box) -> Iterator[tuple[int, int]]:
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


# ---------------------------------------------------------------- SVG elements

def el(parent: etree._Element, tag: str, text: str | None = None, **attrs: object) -> etree._Element:
    """A child element; ``font_size=`` becomes ``font-size``, ``class_`` ``class``, and None leaves it out."""
    element = etree.SubElement(parent, tag, {k.rstrip("_").replace("_", "-"): fmt(v) for k, v in attrs.items()
                                             if v is not None})
    if text is not None:
        element.text = text
    return element


def fmt(value: object) -> str:
    """A number as SVG writes it: one decimal at most, no trailing zero."""
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def _label(parent, lines: list[str], box: Box, size: float, *, halo: bool = True, weight: str | None = None,
           fill: str = INK):
    """Centred lines of text inside ``box``, with a white halo so lines under it do not hide it."""
    x = box[0] + box[2] / 2
    top = box[1] + (box[3] - len(lines) * size * 1.2) / 2
    text = el(parent, "text", x=x, y=top + size * 0.95, font_size=size, text_anchor="middle", fill=fill,
              font_weight=weight, paint_order="stroke" if halo else None, stroke="#ffffff" if halo else None,
              stroke_width=3 if halo else None, stroke_linejoin="round" if halo else None)
    for i, line in enumerate(lines):
        el(text, "tspan", line, x=x, dy=0 if i == 0 else size * 1.2)
    return text


def _label_box(lines: list[str], size: float) -> tuple[float, float]:
    return (max((text_width(s, size) for s in lines), default=0) + 4, len(lines) * size * 1.2 + 2)


def arrow_markers(defs: etree._Element, prefix: str) -> None:
    """One arrowhead per flow state; ``prefix`` keeps the ids apart when several diagrams share a page."""
    for key, colour in (("todo", FLOW_TODO), ("done", FLOW_TAKEN), ("return", FLOW_RETURN)):
        marker = el(defs, "marker", id=f"{prefix}-arrow-{key}", viewBox="0 0 10 10", refX=9, refY=5,
                    markerWidth=9, markerHeight=9, markerUnits="userSpaceOnUse", orient="auto")
        el(marker, "path", d="M0,0 L10,5 L0,10 z", fill=colour)


# ---------------------------------------------------------------- tooltips

def _tooltip(model: Model, progress: Progress, node: Node) -> str:
    state = progress.state(node.id)
    if node.expanded:
        return f"{node.name} — {STATE_WORDS[state]}" + (" (một lượt cho mỗi đơn vị)" if node.many else "")
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
                line += f", {when(v.completed_at)}"
                if v.comment:
                    line += f"\n    {'Lý do' if v.decision == 'return' else 'Ý kiến'}: {_short(v.comment)}"
            elif v.status == "open":
                holder = v.holder or f"{v.agency or ''} ({ROLE_LABELS.get(v.role or '', v.role or '')}), chưa ai nhận"
                line = f"{prefix}Đang xử lý: {holder}, từ {when(v.created_at)}"
            else:
                line = f"{prefix}Đã hủy (quy trình chuyển hướng), {when(v.completed_at or v.created_at)}"
            if len(items) > 1 and v.agency and v.agency not in line:
                line += f" [{v.agency}]"
            lines.append(line)
    if node.kind == "startEvent" and progress.started_at and state != "todo":
        lines.append(f"Bắt đầu lúc {when(progress.started_at)}")
    if node.kind == "endEvent" and state == "done" and progress.finished_at:
        lines.append(f"Kết thúc lúc {when(progress.finished_at)}")
    if node.kind in GATEWAYS and state != "todo":
        for f in model.outgoing.get(node.id, []):
            count = progress.flow_counts.get(f.id, 0)
            target = model.nodes.get(f.target)
            lines.append(f"→ {f.name or (target.name if target else f.target) or f.target}: {count} lần")
    if node.timer:
        fired = progress.timers.get(node.id, [])
        lines[0] = f"{node.name or 'Hẹn giờ'} — " + (f"đã kích hoạt {len(fired)} lần" if fired else "hẹn giờ")
        lines += [f"Kích hoạt lúc {when(at)}" for at in fired[-5:]]
    if len(lines) > 14:
        lines = [lines[0], "… (các lượt trước: xem Lịch sử xử lý)", *lines[-12:]]
    return "\n".join(lines)


# ---------------------------------------------------------------- lanes and flows

def draw_pools(g: etree._Element, model: Model, title_size: float) -> None:
    """Pools under their lanes, each with its name turned along its left edge (on two lines at most)."""
    for pool in sorted(model.pools, key=lambda p: p.lane):
        x, y, w, h = pool.bounds
        el(g, "rect", x=x, y=y, width=w, height=h, fill="#ffffff" if pool.lane else "#f7f8fa",
           stroke="#8a939e", stroke_width=1)
    draw_pool_headers(g, model, title_size)


def draw_pool_headers(g: etree._Element, model: Model, title_size: float) -> None:
    """The name column at the left edge of each pool and lane (also pinned at the left of a cropped view)."""
    for pool in sorted(model.pools, key=lambda p: p.lane):
        x, y, w, h = pool.bounds
        el(g, "rect", x=x, y=y, width=30, height=h, fill="#e9edf2" if pool.lane else "#dde3ea",
           stroke="#8a939e", stroke_width=1)
        size = title_size
        lines = _wrap(pool.name, h - 10, size)
        while len(lines) > 2 and size > 9:
            size -= 1
            lines = _wrap(pool.name, h - 10, size)
        cx, cy = x + 15, y + h / 2
        text = el(g, "text", x=cx, y=cy, font_size=size, text_anchor="middle", fill=INK,
                  font_weight="600" if not pool.lane else None, transform=f"rotate(-90 {fmt(cx)} {fmt(cy)})")
        first = -(len(lines[:2]) - 1) * size * 0.6 + size * 0.35
        for i, line in enumerate(lines[:2]):
            el(text, "tspan", line, x=cx, dy=first if i == 0 else size * 1.2)


def draw_flow(g: etree._Element, canvas: Canvas, progress: Progress, flow: Flow) -> None:
    """A flow's line: solid and thick once taken, in the return colour when it carried a return."""
    taken = progress.flow_counts.get(flow.id, 0)
    returns = progress.return_counts.get(flow.id, 0)
    key = "return" if returns else "done" if taken else "todo"
    colour = {"return": FLOW_RETURN, "done": FLOW_TAKEN, "todo": FLOW_TODO}[key]
    group = el(g, "g", class_=f"dg-flow dg-{key}", data_element=flow.id, data_count=taken or None)
    word = (f"{flow.name}: " if flow.name else "") + (f"trả lại {returns} lần" if returns else
                                                        f"đã đi qua {taken} lần" if taken else "chưa đi qua")
    el(group, "title", word)
    points = " ".join(f"{fmt(x)},{fmt(y)}" for x, y in flow.waypoints)
    el(group, "polyline", points=points, fill="none", stroke=colour, stroke_width=3 if taken else 1.25,
       stroke_dasharray=None if taken else "5 3", stroke_linejoin="round",
       marker_end=f"url(#{canvas.prefix}-arrow-{key})")


def flow_label(g: etree._Element, canvas: Canvas, progress: Progress, flow: Flow) -> None:
    """A flow's name, with how often it carried a return; drawn after the shapes so it avoids them."""
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


# ---------------------------------------------------------------- nodes

def draw_node(g: etree._Element, canvas: Canvas, model: Model, progress: Progress, node: Node) -> None:
    """One node in its state, with its tooltip: a step with its name inside, other nodes with it beside them."""
    state = progress.state(node.id)
    if node.expanded and any(progress.state(n.id) == "current" for n in model.nodes.values() if n.inside == node.id):
        state = "current"
    count = progress.node_counts.get(node.id, 0)
    group = el(g, "g", class_=f"dg-node dg-{state}", data_element=node.id, data_state=state,
               data_count=count if node.kind in ACTIVITIES and count and not node.expanded else None)
    el(group, "title", _tooltip(model, progress, node))
    if node.expanded:
        _draw_container(group, node, state)
        return
    if node.kind in ACTIVITIES:
        _draw_activity(group, model, node, state, count)
        return
    if node.kind in GATEWAYS:
        _draw_gateway(group, node, state)
    elif node.timer and node.attached_to:  # a clock on its step's border: the tooltip names it, no label
        _draw_timer(group, node, fired=bool(progress.timers.get(node.id)))
        return
    else:
        _draw_event(group, node, state)
    if node.name:
        _name_beside(group, canvas, node, state)


def _draw_activity(group, model: Model, node: Node, state: str, count: int) -> None:
    x, y, w, h = node.bounds
    fill, stroke, width = PALETTE[state]
    el(group, "rect", x=x, y=y, width=w, height=h, rx=8, fill=fill, stroke=stroke, stroke_width=width)
    if state == "current":
        _current_band(group, node.bounds, stroke)
    elif state == "done":
        _done_tick(group, x, y, stroke)
    if count > 1:
        _count_badge(group, node.bounds, count)
    if node.kind == "subProcess":
        el(group, "rect", x=x + w / 2 - 6, y=y + h - 14, width=12, height=12, fill="none", stroke=stroke)
    _name_inside(group, model, node, state)


def _draw_container(group, node: Node, state: str) -> None:
    """A subprocess drawn open: a frame in its state's colour around its own steps, its name in its top left
    corner and, when it runs once per item (each collaborator), the three bars that say so at its bottom."""
    x, y, w, h = node.bounds
    fill, stroke, width = PALETTE[state]
    el(group, "rect", x=x, y=y, width=w, height=h, rx=10, fill="none", stroke=stroke,
       stroke_width=min(width, 2.5), stroke_dasharray=None if state != "todo" else "6 3")
    el(group, "text", node.name, x=x + 8, y=y + 14, font_size=11, font_weight="600", fill=INK)
    for dx in (-5, 0, 5) if node.many else ():
        el(group, "rect", x=x + w / 2 + dx - 1, y=y + h - 13, width=2, height=10, fill=stroke)


def _current_band(group, bounds: Box, stroke: str) -> None:
    """A band that says "ĐANG XỬ LÝ" in words across the top of the current step: not colour alone."""
    x, y, w, _ = bounds
    band = el(group, "path", fill=stroke, d=(
        f"M{fmt(x)},{fmt(y + BAND)} V{fmt(y + 8)} Q{fmt(x)},{fmt(y)} {fmt(x + 8)},{fmt(y)} "
        f"H{fmt(x + w - 8)} Q{fmt(x + w)},{fmt(y)} {fmt(x + w)},{fmt(y + 8)} V{fmt(y + BAND)} Z"))
    band.set("class", "dg-band")
    el(group, "text", "ĐANG XỬ LÝ", x=x + 8, y=y + BAND - 4, font_size=9.5, font_weight="700",
       fill="#ffffff", letter_spacing=0.3)


def _done_tick(group, x: float, y: float, stroke: str) -> None:
    """The tick in the top left corner of a step already passed."""
    el(group, "circle", cx=x + 10, cy=y + 9, r=6.5, fill=stroke)
    el(group, "path", d=f"M{fmt(x + 6.8)},{fmt(y + 9.2)} l2.2,2.3 l4,-4.6", fill="none", stroke="#ffffff",
       stroke_width=1.8, stroke_linecap="round", stroke_linejoin="round")


def _count_badge(group, bounds: Box, count: int) -> None:
    """The "×N" badge in the top right corner of a step passed more than once."""
    x, y, w, _ = bounds
    label = f"×{count}"
    bw = text_width(label, 10.5) + 8
    badge = el(group, "g", class_="dg-count")
    el(badge, "rect", x=x + w - bw - 3, y=y + 1.5, width=bw, height=14, rx=7, fill="#ffffff",
       stroke=FLOW_RETURN, stroke_width=1.5)
    el(badge, "text", label, x=x + w - 3 - bw / 2, y=y + 12.5, font_size=10.5, font_weight="700",
       text_anchor="middle", fill=FLOW_RETURN)


def _name_inside(group, model: Model, node: Node, state: str) -> None:
    """A step's name inside its box, under the band or tick and above its timers, shrunk or cut to fit."""
    x, y, w, h = node.bounds
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


def _draw_gateway(group, node: Node, state: str) -> None:
    x, y, w, h = node.bounds
    fill, stroke, width = PALETTE[state]
    cx, cy = x + w / 2, y + h / 2
    el(group, "path", d=f"M{fmt(cx)},{fmt(y)} L{fmt(x + w)},{fmt(cy)} L{fmt(cx)},{fmt(y + h)} "
                        f"L{fmt(x)},{fmt(cy)} Z", fill=fill, stroke=stroke, stroke_width=min(width, 3))
    marker = {"parallelGateway": f"M{fmt(cx)},{fmt(cy - 9)} V{fmt(cy + 9)} M{fmt(cx - 9)},{fmt(cy)} "
                                 f"H{fmt(cx + 9)}"}.get(node.kind)
    if marker:
        el(group, "path", d=marker, stroke=stroke, stroke_width=3)
    elif node.kind == "inclusiveGateway":
        el(group, "circle", cx=cx, cy=cy, r=9, fill="none", stroke=stroke, stroke_width=2.5)


def _draw_timer(group, node: Node, *, fired: bool) -> None:
    """A boundary timer as a dashed clock, in the return colour once it has fired."""
    x, y, w, h = node.bounds
    cx, cy, r = x + w / 2, y + h / 2, min(w, h) / 2
    colour = FLOW_RETURN if fired else "#8a939e"
    el(group, "circle", cx=cx, cy=cy, r=r, fill="#fff1e0" if fired else "#ffffff", stroke=colour,
       stroke_width=1.5 if fired else 1, stroke_dasharray="3 2")
    el(group, "circle", cx=cx, cy=cy, r=r * 0.7, fill="none", stroke=colour, stroke_width=1)
    hands = f"M{fmt(cx)},{fmt(cy - r * 0.5)} V{fmt(cy)} L{fmt(cx + r * 0.35)},{fmt(cy + r * 0.2)}"
    el(group, "path", d=hands, fill="none", stroke=colour, stroke_width=1.2, stroke_linecap="round")


def _draw_event(group, node: Node, state: str) -> None:
    """A start, end or intermediate event: the end's ring thick, an intermediate one doubled."""
    x, y, w, h = node.bounds
    fill, stroke, width = PALETTE[state]
    cx, cy, r = x + w / 2, y + h / 2, min(w, h) / 2
    end = node.kind == "endEvent"
    el(group, "circle", cx=cx, cy=cy, r=r, fill=fill, stroke=stroke, stroke_width=4 if end else min(width, 2.5))
    if node.kind.startswith("intermediate"):
        el(group, "circle", cx=cx, cy=cy, r=r - 4, fill="none", stroke=stroke, stroke_width=1.25)


def _name_beside(group, canvas: Canvas, node: Node, state: str) -> None:
    """A gateway's or event's name around it, where the file put it if that place is free."""
    size = 11.0
    lines = _wrap(node.name, max(node.label[2] if node.label else 90, 80), size)
    lw, lh = _label_box(lines, size)
    box = canvas.place(_around(node.bounds, lw, lh, node.label))
    _label(group, lines, box, size, fill=INK if state != "todo" else MUTED,
           weight="600" if state == "current" else None)
