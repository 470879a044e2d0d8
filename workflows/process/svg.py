"""A process diagram as SVG: the BPMN file's own layout with an instance's progress, its key and its words.

Built with lxml's element API, so every text is escaped, and styled with presentation attributes only (the CSP
forbids inline styles). Colour is never the only signal: the current step carries an "ĐANG XỬ LÝ" band and a
thick border, passed steps a tick, loops a "×N" badge, returns a "Trả lại · N lần" label.
"""

from __future__ import annotations

from lxml import etree

from workflows.process.diagram_model import ACTIVITIES, Box, Flow, Model, Node, Progress
from workflows.process.svg_shapes import (
    FLOW_RETURN,
    FONT,
    INK,
    PALETTE,
    SVG_NS,
    Canvas,
    arrow_markers,
    draw_flow,
    draw_node,
    draw_pool_headers,
    draw_pools,
    el,
    flow_label,
    fmt,
    text_width,
    when,
)

LEGEND = (("current", "Đang xử lý (viền đậm)"), ("done", "Đã đi qua (dấu ✓)"), ("todo", "Chưa tới"),
          ("count", "Số lần đi qua bước"), ("return", "Nhánh trả lại, kèm số lần"))
MARGIN = 12  # around the drawing, so the thickest border is not cut
FOCUS_WIDTH = 1100.0  # what the task page opens on: the width of its card at 1280 px, at the natural size
FOCUS_AT = 0.55  # where the current steps stand in that window: the way there on the left, what follows on the right


def render(model: Model, progress: Progress | None = None, *, prefix: str = "dg", title: str | None = None,
           description: str | None = None, standalone: bool = False, legend: bool | None = None,
           focus: bool = False, whole: bool = False) -> str:
    """The SVG text of ``model`` with ``progress`` (None: the model alone).

    ``standalone`` adds the XML declaration (a file of its own); ``legend`` (default: when standalone)
    draws the key under the diagram; ``focus`` opens a drawing wider than the page on its current steps
    (``focus_window``), the lane names pinned at its left, the whole drawing's box kept in ``data-whole-*`` and
    the window's in ``data-focus-*`` (the page's switch between them); with ``whole`` too it opens on the whole.
    """
    progress = progress or Progress()
    svg = _svg_root()
    el(svg, "title", title or f"Sơ đồ quy trình: {model.name}", id=f"{prefix}-title")
    el(svg, "desc", description or _describe(model, progress), id=f"{prefix}-desc")
    arrow_markers(el(svg, "defs"), prefix)
    body = el(svg, "g", class_="dg-body")
    background = el(body, "rect", fill="#ffffff")
    boxes = _draw_body(body, model, progress, prefix)
    left = min(b[0] for b in boxes) - MARGIN
    top = min(b[1] for b in boxes) - MARGIN
    right = max(b[0] + b[2] for b in boxes) + MARGIN
    bottom = max(b[1] + b[3] for b in boxes) + MARGIN
    for key, value in (("x", left), ("y", top), ("width", right - left), ("height", bottom - top)):
        background.set(key, fmt(float(value)))
    if (standalone if legend is None else legend):
        width, height = _legend(svg, prefix, left + 8, bottom)
        right = max(right, left + width + 16)
        bottom += height + 8
    _set_viewport(svg, prefix, left, top, right - left, bottom - top)
    window = focus_window(model, progress, left, right) if focus else None
    if window:
        _focus(svg, model, window, (left, top, right - left, bottom - top), whole)
    text = etree.tostring(svg, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n' if standalone else text


def _svg_root() -> etree._Element:
    return etree.Element(f"{{{SVG_NS}}}svg", nsmap={None: SVG_NS})


def _draw_body(body, model: Model, progress: Progress, prefix: str) -> list[Box]:
    """Lanes, flows, nodes and flow labels, in that order (later ones on top); returns every box drawn."""
    nodes = [n for n in model.nodes.values() if n.bounds]
    flows = [f for f in model.flows.values() if len(f.waypoints) >= 2]
    boxes: list[Box] = [p.bounds for p in model.pools] + [n.bounds for n in nodes] + [
        (x, y, 0, 0) for f in flows for x, y in f.waypoints]
    if not boxes:
        el(body, "text", "Tệp quy trình này không có sơ đồ (bpmndi) để hiển thị.", x=20, y=45, font_size=14,
           fill=INK)
        return [(0, 0, 600, 80)]
    canvas = Canvas(prefix)
    draw_pools(el(body, "g", class_="dg-lanes"), model, 13)
    _keep_labels_off(canvas, model, nodes, flows)
    edges = el(body, "g", class_="dg-flows")
    ordered = sorted(flows, key=lambda f: (bool(progress.return_counts.get(f.id)), f.id in progress.flow_counts))
    for f in ordered:  # taken flows above the others, returns on top
        draw_flow(edges, canvas, progress, f)
    shapes = el(body, "g", class_="dg-nodes")
    big_first = sorted(nodes, key=lambda n: (n.attached_to is not None, -(n.bounds[2] * n.bounds[3])))
    for node in big_first:
        draw_node(shapes, canvas, model, progress, node)
    labels = el(body, "g", class_="dg-flow-labels")
    for f in sorted(flows, key=lambda f: not progress.return_counts.get(f.id)):  # return counts get the best place
        flow_label(labels, canvas, progress, f)
    return boxes + canvas.labels


def _keep_labels_off(canvas: Canvas, model: Model, nodes: list[Node], flows: list[Flow]) -> None:
    """Shapes, flow segments and lane borders keep labels away from them."""
    for node in nodes:  # an open subprocess only by its name: the labels of its own flows go inside it
        canvas.block(node.bounds if not node.expanded else (*node.bounds[:2], node.bounds[2], 20))
    for pool in model.pools:
        px, py, pw, ph = pool.bounds
        for edge in ((px, py - 1, pw, 2), (px, py + ph - 1, pw, 2), (px, py, 30, ph)):
            canvas.block(edge)
    for f in flows:
        for (ax, ay), (bx, by) in zip(f.waypoints, f.waypoints[1:], strict=False):
            canvas.block((min(ax, bx) - 2, min(ay, by) - 2, abs(bx - ax) + 4, abs(by - ay) + 4))


def _set_viewport(svg, prefix: str, left: float, top: float, width: float, height: float) -> None:
    """The root's size and accessible name; it scales down to the page's width from the top left."""
    for key, value in (("viewBox", f"{fmt(left)} {fmt(top)} {fmt(width)} {fmt(height)}"),
                       ("width", fmt(width)), ("height", fmt(height)), ("role", "img"),
                       ("aria-labelledby", f"{prefix}-title"), ("aria-describedby", f"{prefix}-desc"),
                       ("class", "diagram-svg"), ("font-family", FONT), ("preserveAspectRatio", "xMinYMin meet")):
        svg.set(key, value)


# ---------------------------------------------------------------- opening on the current step

def focus_window(model: Model, progress: Progress, left: float, right: float) -> tuple[float, float] | None:
    """The stretch of the drawing (from, to) the task page opens on: the current steps with the way to them,
    or None when the whole drawing fits the page or no step is current (a finished process shows it all)."""
    boxes = [model.nodes[s].bounds for s in progress.current if s in model.nodes and model.nodes[s].bounds]
    if not boxes or right - left <= FOCUS_WIDTH:
        return None
    first, last = min(b[0] for b in boxes), max(b[0] + b[2] for b in boxes)
    pinned = _pinned_width(model)
    width = max(FOCUS_WIDTH, last - first + pinned + 4 * MARGIN)  # parallel steps far apart: all of them
    start = (first + last) / 2 - width * FOCUS_AT
    start = min(start, first - pinned - 2 * MARGIN)  # never under the pinned lane names
    start = max(left, min(start, right - width))
    return start, min(right, start + width)


def _pinned_width(model: Model) -> float:
    """How wide the pools' and lanes' name columns are (drawn again at the window's left edge)."""
    if not model.pools:
        return 0.0
    return max(p.bounds[0] for p in model.pools) + 30 - min(p.bounds[0] for p in model.pools)


def _focus(svg, model: Model, window: tuple[float, float], box: tuple[float, float, float, float],
           whole: bool) -> None:
    """Crop the root to ``window`` (unless ``whole``), keeping both boxes for the page's switch between them; the
    lane names are drawn again at the window's left edge, so the lane of the current step stays named."""
    left, top, width, height = box
    start, end = window
    focus_box = f"{fmt(start)} {fmt(top)} {fmt(end - start)} {fmt(height)}"
    for key, value in (("data-whole-viewbox", svg.get("viewBox")), ("data-whole-width", fmt(width)),
                       ("data-focus-viewbox", focus_box), ("data-focus-width", fmt(end - start))):
        svg.set(key, value)
    if whole:
        svg.set("class", "diagram-svg is-whole")
    else:
        svg.set("viewBox", focus_box)
        svg.set("width", fmt(end - start))
    pools_left = min((p.bounds[0] for p in model.pools), default=start)
    if model.pools and start > pools_left:
        pinned = el(svg, "g", class_="dg-pinned", transform=f"translate({fmt(start - pools_left)} 0)")
        pinned.set("aria-hidden", "true")
        draw_pool_headers(pinned, model, 13)


# ---------------------------------------------------------------- the key

def _swatch(g, key: str, x: float, prefix: str) -> None:
    """The mark of one legend entry, 34 wide, 24 high, at ``x``."""
    if key in PALETTE:
        fill, stroke, width = PALETTE[key]
        el(g, "rect", x=x + 1, y=3, width=32, height=18, rx=4, fill=fill, stroke=stroke, stroke_width=min(width, 3))
        if key == "current":
            el(g, "rect", x=x + 1, y=3, width=32, height=6, fill=stroke)
        if key == "done":
            el(g, "path", d=f"M{fmt(x + 11)},12 l4,4 l8,-8", fill="none", stroke=stroke, stroke_width=2)
    elif key == "count":
        el(g, "rect", x=x + 3, y=4, width=28, height=16, rx=8, fill="#ffffff", stroke=FLOW_RETURN, stroke_width=1.5)
        el(g, "text", "×N", x=x + 17, y=16.5, font_size=11, font_weight="700", text_anchor="middle",
           fill=FLOW_RETURN)
    else:
        el(g, "line", x1=x + 1, y1=12, x2=x + 28, y2=12, stroke=FLOW_RETURN, stroke_width=3,
           marker_end=f"url(#{prefix}-arrow-return)")


def _legend(parent, prefix: str, left: float, top: float) -> tuple[float, float]:
    """The key under a standalone drawing; returns its width and height."""
    g = el(parent, "g", class_="dg-legend", transform=f"translate({fmt(left)} {fmt(top)})")
    x = 0.0
    for key, word in LEGEND:
        _swatch(g, key, x, prefix)
        el(g, "text", word, x=x + 40, y=17, font_size=13, fill=INK)
        x += 40 + text_width(word, 13) + 18
    return x, 26.0


def legend() -> list[tuple[str, str]]:
    """The key for a page: (SVG mark, words) per entry; the marks are decorative, the words say it."""
    out = []
    for key, word in LEGEND:
        svg = _svg_root()
        for name, value in (("viewBox", "0 0 34 24"), ("width", "34"), ("height", "24"), ("aria-hidden", "true"),
                            ("focusable", "false"), ("font-family", FONT)):
            svg.set(name, value)
        if key == "return":
            arrow_markers(el(svg, "defs"), f"dglegend-{key}")
        _swatch(svg, key, 0, f"dglegend-{key}")
        out.append((etree.tostring(svg, encoding="unicode"), word))
    return out


# ---------------------------------------------------------------- the words

def _describe(model: Model, progress: Progress) -> str:
    """The diagram in words (what a screen reader says instead of the picture)."""
    def name(node_id: str) -> str:
        node = model.nodes.get(node_id)
        return (node.name if node else "") or node_id

    steps = [n for n in model.nodes.values() if n.kind in ACTIVITIES and not n.expanded]
    parts = [f"Quy trình “{model.name}” gồm {len(steps)} bước."]
    if progress.current:
        now = []
        for step_id in sorted(progress.current, key=name):
            open_items = [v for p in progress.passes.get(step_id, []) for v in p if v.status == "open"]
            holders = "; ".join(dict.fromkeys(v.holder or f"{v.agency or ''}, chưa ai nhận" for v in open_items))
            since = min((v.created_at for v in open_items), default=None)
            now.append(f"{name(step_id)} ({holders}{', từ ' + when(since) if since else ''})")
        parts.append("Đang xử lý: " + "; ".join(now) + ".")
    passed = [n for n in steps if n.id in progress.visited and n.id not in progress.current]
    if passed:
        parts.append("Đã đi qua: " + ", ".join(
            n.name + (f" ({progress.node_counts[n.id]} lần)" if progress.node_counts.get(n.id, 0) > 1 else "")
            for n in passed) + ".")
    for (source, target), count in progress.returns.items():
        parts.append(f"Trả lại {count} lần ở bước “{name(source)}” về “{name(target)}”.")
    if progress.completed:
        parts.append(f"Quy trình đã kết thúc lúc {when(progress.finished_at)}." if progress.finished_at
                     else "Quy trình đã kết thúc.")
    elif not progress.current and progress.started_at is None:
        parts.append("Chưa có tiến trình nào.")
    return " ".join(parts)
