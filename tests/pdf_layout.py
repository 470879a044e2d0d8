"""Real documents laid out as PDF in the tests, as a document-management system prints them: the fixture's text,
its tables drawn with ruling lines (reportlab), the header row repeated on every page, a row that does not fit cut
at the page break and carried on over the next page. Nothing of the fixture is edited: each line and cell is set
as the product's own text reader splits it."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from workflows.importing.file_formats import text_items

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"  # Debian fonts-dejavu-core (make chromium installs it)
pdfmetrics.registerFont(TTFont("DejaVuSans", FONT))
BODY = ParagraphStyle("body", fontName="DejaVuSans", fontSize=9, leading=11.5, spaceAfter=3)
# every line of the text one after another at one leading, no space between paragraphs, blank lines dropped (a PDF
# printed that way reads as a few long paragraphs: "… V/v … Kính gửi:", "… ./. Nơi nhận:")
EVEN = ParagraphStyle("even", fontName="DejaVuSans", fontSize=11, leading=14, spaceAfter=0)
CELL = ParagraphStyle("cell", fontName="DejaVuSans", fontSize=7.5, leading=9)


def _para(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _table(rows: list[list[str]], width: float, columns: int | None = None, ruled: bool = True) -> Table:
    columns = columns or max(len(r) for r in rows)
    rows = [r + [""] * (columns - len(r)) for r in rows]
    # the number column narrow, the title wide, the others shared
    widths = [10 * mm] + [width * 0.34] + [(width - 10 * mm - width * 0.34) / max(1, columns - 2)] * (columns - 2)
    table = Table([[_para(c, CELL) for c in r] for r in rows], colWidths=widths[:columns], repeatRows=1)
    style = [("GRID", (0, 0), (-1, -1), 0.5, colors.black)] if ruled else []
    style += [("VALIGN", (0, 0), (-1, -1), "TOP")]
    # a section row ("II. KHOA HỌC, CÔNG NGHỆ …", its text alone in the first cell) spans the table, as printed
    style += [("SPAN", (0, n), (-1, n)) for n, r in enumerate(rows) if n and r[0].strip() and not any(
        c.strip() for c in r[1:])]
    table.setStyle(TableStyle(style))
    return table


def _cut(rows: list[list[str]], at: int, width: float) -> list:
    """The table with a page break inside data row ``at``, as a word processor prints a row too tall for the
    page: the first half of its title at the foot of the page, the rest on the next page under the repeated
    header, in a row with no STT and its other cells empty."""
    row = rows[at]
    words = row[1].split(" ")
    half = max(1, len(words) // 2)
    head = [row[0], " ".join(words[:half])] + row[2:]
    rest = ["", " ".join(words[half:])] + [""] * (len(row) - 2)
    columns = max(len(r) for r in rows)
    return [_table(rows[:at] + [head], width, columns), PageBreak(),
            _table([rows[0], rest] + rows[at + 1:], width, columns)]


def layout(text: str, cut_row: int | None = None, even: bool = False, ruled: bool = True) -> bytes:
    """The text export ``text`` as a landscape A4 PDF. A table whose header repeats the previous one's starts a
    new page (the source broke the page there); with ``cut_row``, the data row of that number (1-based, below the
    header) of the first table that has it is cut by a page break; ``even``: the text's lines evenly spaced;
    ``ruled``: the tables drawn with their lines (without, the columns stand apart by their spacing only)."""
    out = io.BytesIO()
    doc = SimpleDocTemplate(out, pagesize=landscape(A4), leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm)
    flow, rows, header = [], [], None
    for item in text_items(text) + [None]:
        if item is not None and item.kind == "row":
            rows.append(item.cells)
            continue
        if rows:
            if rows[0] == header:
                flow.append(PageBreak())
            header = rows[0]
            if cut_row is not None and len(rows) > cut_row + 1:
                flow.extend(_cut(rows, cut_row, doc.width))
                cut_row = None
            else:
                flow.append(_table(rows, doc.width, ruled=ruled))
            rows = []
        if item is not None and item.kind == "text":
            flow.append(_para(item.text, EVEN if even else BODY))
        elif item is not None and item.kind == "blank" and not even:
            flow.append(Spacer(1, 2))
    doc.build(flow)
    return out.getvalue()
