"""Charts drawn on the server as inline SVG: no JavaScript, readable in print, with text for everyone.

Every chart is an ``<svg role="img">`` whose ``<title>`` and ``<desc>`` say in words what it shows;
every bar carries its own ``<title>`` (shown on hover) with its figures, and its value is written at
its end. Series differ by a pattern as well as a colour and the legend names them, so colour is
never the only signal, on screen or on a black-and-white printout. Presentation attributes only
(no ``style``): the Content-Security-Policy forbids inline styles.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 760
LABEL_WIDTH = 236
VALUE_WIDTH = 64
ROW = 26
BAR = 16
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', Arial, sans-serif"
TEXT = "#1b1f24"
MUTED = "#545c66"
GRID = "#c9ced6"
CHAR_WIDTH = 6.6  # average width of a 12px character, to fit labels without measuring
# The legend wraps within the part of a chart a phone shows before one scrolls sideways: the figure keeps at
# least 540 px (style.css) and a 320 px screen shows about 265 px of it, 265 / 540 × 760 ≈ 370 units.
LEGEND_WIDTH = 370


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    colour: str
    pattern: str = "solid"  # solid | hatch | backhatch | cross | dots | vertical


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    title: str | None = None  # the bar's tooltip; default "label: value"
    value_text: str | None = None  # written at the bar's end; default the value


@dataclass(frozen=True)
class StackedBar:
    label: str
    values: Mapping[str, float]  # by series key
    title: str | None = None


def number_vn(value: float | int | None, decimals: int = 0) -> str:
    """A number as Vietnamese readers write it: 1.234,5."""
    if value is None:
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _id(chart_id: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", chart_id.lower()) or "chart"


def _fit(label: str, width: float) -> str:
    limit = max(4, int(width / CHAR_WIDTH))
    return label if len(label) <= limit else label[:limit - 1].rstrip() + "…"


def _ticks(maximum: float) -> list[float]:
    """Round axis steps (1, 2 or 5 × 10ⁿ) covering 0..maximum, at most about five of them."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    step = max(step, 1) if maximum >= 1 else step
    count = math.ceil(maximum / step)
    return [round(i * step, 6) for i in range(count + 1)]


def _open(cid: str, height: float, title: str, description: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{cid}" role="img" '
        f'aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {WIDTH} {height:g}" width="100%" '
        f'preserveAspectRatio="xMinYMin meet" font-family="{escape(FONT)}" font-size="12" fill="{TEXT}">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{escape(description)}</desc>',
    ]


_LINE = '<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/>'
# pattern name: (patternTransform, what is drawn in white over the colour)
_PATTERNS = {
    "hatch": ("rotate(45)", _LINE),
    "backhatch": ("rotate(-45)", _LINE),
    "vertical": ("", _LINE),
    "cross": ("rotate(45)", _LINE + '<line x1="0" y1="0" x2="6" y2="0" stroke="#ffffff" stroke-width="2"/>'),
    "dots": ("", '<circle cx="3" cy="3" r="1.3" fill="#ffffff"/>'),
}


def _pattern(cid: str, s: Series) -> str:
    transform, marks = _PATTERNS[s.pattern]
    transform_attr = f' patternTransform="{transform}"' if transform else ""
    return (f'<pattern id="{cid}-p-{_id(s.key)}" width="6" height="6" patternUnits="userSpaceOnUse"{transform_attr}>'
            f'<rect width="6" height="6" fill="{escape(s.colour)}"/>{marks}</pattern>')


def _fill(cid: str, s: Series) -> str:
    return escape(s.colour) if s.pattern == "solid" else f"url(#{cid}-p-{_id(s.key)})"


def _axis(top: float, bottom: float, x0: float, span: float, ticks: list[float], unit: str) -> list[str]:
    out = []
    for t in ticks:
        x = x0 + span * t / ticks[-1]
        dash = "" if t == 0 else ' stroke-dasharray="3 3"'
        out.append(f'<line x1="{x:.1f}" y1="{top:g}" x2="{x:.1f}" y2="{bottom:g}" stroke="{GRID}" '
                   f'stroke-width="1"{dash}/>')
        out.append(f'<text x="{x:.1f}" y="{bottom + 14:g}" text-anchor="middle" fill="{MUTED}">'
                   f"{escape(number_vn(t, 0 if float(t).is_integer() else 1))}</text>")
    if unit:
        out.append(f'<text x="{x0 + span:.1f}" y="{bottom + 28:g}" text-anchor="end" fill="{MUTED}">'
                   f"{escape(unit)}</text>")
    return out


def bar_chart(bars: Sequence[Bar], *, chart_id: str, title: str, description: str,
              colour: str = "#0b4f8a", unit: str = "") -> Markup:
    """Horizontal bars, one per item, the label on the left and the value at the bar's end."""
    if not bars:
        return Markup("")
    cid = _id(chart_id)
    ticks = _ticks(max(b.value for b in bars))
    x0, span = LABEL_WIDTH + 8, WIDTH - LABEL_WIDTH - 8 - VALUE_WIDTH
    top = 6
    bottom = top + ROW * len(bars)
    height = bottom + (34 if unit else 22)
    out = _open(cid, height, title, description)
    out += _axis(top, bottom, x0, span, ticks, unit)
    for i, b in enumerate(bars):
        y = top + i * ROW + (ROW - BAR) / 2
        width = span * b.value / ticks[-1] if b.value > 0 else 0
        value = b.value_text if b.value_text is not None else number_vn(b.value)
        tip = b.title or f"{b.label}: {value}"
        out.append(f'<g class="bar"><title>{escape(tip)}</title>')
        out.append(f'<text x="{LABEL_WIDTH:g}" y="{y + BAR - 4:g}" text-anchor="end">'
                   f"{escape(_fit(b.label, LABEL_WIDTH))}</text>")
        out.append(f'<rect x="{x0:g}" y="{y:g}" width="{width:.1f}" height="{BAR}" fill="{escape(colour)}"/>')
        out.append(f'<text x="{x0 + width + 5:.1f}" y="{y + BAR - 4:g}" font-weight="600">{escape(value)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


def _legend(cid: str, series: Sequence[Series], top: float) -> tuple[list[str], float]:
    """The legend in rows across ``LEGEND_WIDTH``; returns its elements and its height."""
    out, x, y = [], 0.0, top
    for s in series:
        width = 20 + len(s.label) * CHAR_WIDTH + 16
        if x and x + width - 16 > LEGEND_WIDTH:
            x, y = 0.0, y + 20
        out.append(f'<g class="legend-item"><rect x="{x:.1f}" y="{y:g}" width="14" height="14" fill="{_fill(cid, s)}" '
                   f'stroke="{TEXT}" stroke-width="0.5"/>'
                   f'<text x="{x + 20:.1f}" y="{y + 11:g}">{escape(s.label)}</text></g>')
        x += width
    return out, y - top + 20


def stacked_bar_chart(bars: Sequence[StackedBar], series: Sequence[Series], *, chart_id: str, title: str,
                      description: str, unit: str = "") -> Markup:
    """Horizontal stacked bars: one bar per item, one segment per series, the total at the bar's end."""
    if not bars:
        return Markup("")
    cid = _id(chart_id)
    totals = [sum(b.values.get(s.key, 0) for s in series) for b in bars]
    ticks = _ticks(max(totals))
    x0, span = LABEL_WIDTH + 8, WIDTH - LABEL_WIDTH - 8 - VALUE_WIDTH
    legend, legend_height = _legend(cid, series, 4)
    top = 4 + legend_height + 8
    bottom = top + ROW * len(bars)
    height = bottom + (34 if unit else 22)
    out = _open(cid, height, title, description)
    out.append("<defs>" + "".join(_pattern(cid, s) for s in series if s.pattern != "solid") + "</defs>")
    out += legend
    out += _axis(top, bottom, x0, span, ticks, unit)
    for i, (b, total) in enumerate(zip(bars, totals, strict=True)):
        y = top + i * ROW + (ROW - BAR) / 2
        parts = [f"{s.label} {number_vn(b.values.get(s.key, 0))}" for s in series if b.values.get(s.key, 0)]
        tip = b.title or f"{b.label} — tổng {number_vn(total)}: {', '.join(parts) or 'không có'}"
        out.append(f'<g class="bar"><title>{escape(tip)}</title>')
        out.append(f'<text x="{LABEL_WIDTH:g}" y="{y + BAR - 4:g}" text-anchor="end">'
                   f"{escape(_fit(b.label, LABEL_WIDTH))}</text>")
        x = float(x0)
        for s in series:
            value = b.values.get(s.key, 0)
            if value <= 0:
                continue
            width = span * value / ticks[-1]
            out.append(f'<rect x="{x:.1f}" y="{y:g}" width="{width:.1f}" height="{BAR}" fill="{_fill(cid, s)}" '
                       f'stroke="#ffffff" stroke-width="0.75"><title>{escape(b.label)}: {escape(s.label)} '
                       f"{escape(number_vn(value))}</title></rect>")
            x += width
        out.append(f'<text x="{x + 5:.1f}" y="{y + BAR - 4:g}" font-weight="600">{escape(number_vn(total))}</text>')
        out.append("</g>")
    out.append("</svg>")
    return Markup("".join(out))


# ---------------------------------------------------------------- the progress dashboard's charts

# DOMAIN.md: red overdue, orange due soon or done late, green done on time, blue in progress, grey
# not started; ongoing in teal. The two oranges differ by their pattern.
STATUS_SERIES = (
    Series("done_on_time", "Hoàn thành đúng hạn", "#1e7b34"),
    Series("done_late", "Hoàn thành quá hạn", "#9a5200", "dots"),
    Series("in_progress", "Đang thực hiện", "#0b4f8a"),
    Series("not_started", "Chưa bắt đầu", "#8a919b", "vertical"),
    Series("due_soon", "Sắp đến hạn", "#c26a00", "hatch"),
    Series("overdue", "Quá hạn", "#b3261e", "cross"),
    Series("ongoing", "Thường xuyên", "#0f766e", "backhatch"),
)


def status_by_agency(rows: Sequence, limit: int = 30) -> Markup:
    """Tasks of each lead agency by status (the first ``limit`` rows of the agency table, in its order)."""
    shown = rows[:limit]
    more = f" Biểu đồ chỉ vẽ {len(shown)} đơn vị đầu theo thứ tự của bảng." if len(rows) > len(shown) else ""
    return stacked_bar_chart(
        [StackedBar(r.agency, {s.key: getattr(r, s.key) for s in STATUS_SERIES}) for r in shown],
        STATUS_SERIES, chart_id="chart-agencies", unit="nhiệm vụ",
        title="Nhiệm vụ của từng đơn vị chủ trì theo trạng thái",
        description=f"Biểu đồ thanh ngang xếp chồng: mỗi thanh là một đơn vị chủ trì, mỗi đoạn là số nhiệm vụ "
                    f"ở một trạng thái, phân biệt bằng màu và hoa văn như chú giải.{more} "
                    f"Số liệu đầy đủ ở bảng “Tiến độ theo đơn vị chủ trì”.")


def waiting_by_step(rows: Sequence) -> Markup:
    """How many work items wait at each step (the step board's rows, in its order)."""
    return bar_chart(
        [Bar(r.step_name, r.waiting,
             title=f"{r.step_name}: {number_vn(r.waiting)} việc đang chờ; trung vị {number_vn(r.median_wait_days, 1)} "
                   f"ngày, lâu nhất {number_vn(r.longest_wait_days, 1)} ngày")
         for r in rows],
        chart_id="chart-steps", unit="việc đang chờ",
        title="Số việc đang chờ ở từng bước",
        description="Biểu đồ thanh ngang: mỗi thanh là một bước của quy trình, độ dài là số việc đang chờ xử lý "
                    "ở bước đó. Thời gian chờ và đơn vị đang giữ ở bảng “Các bước đang có việc chờ”.")
