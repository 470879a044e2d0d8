"""The building blocks of a .docx laid out per Nghị định 30/2020/NĐ-CP: A4, margins 20/20/30/15 mm, Times New
Roman, the two-column heading (issuing agency / national motto), the number, place and date line, the title,
tables, "Nơi nhận" and the signature block. The reports assemble their documents from these."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

from workflows import settings, text
from workflows.reporting.exporting import FONT, xml_safe

BODY_PT = 14
TABLE_PT = 12
USABLE_MM = 210 - 30 - 15  # A4 width less the left and right margins
CELL_MARGIN_TWIPS = 70  # 1.2 mm each side of a table cell (Word's default is 1.9 mm)
CENTER, LEFT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT
# What may follow w:pBdr inside w:pPr (ECMA-376 order; Word refuses elements out of order).
_AFTER_PBDR = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
               "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
               "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc",
               "w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
               "w:rPr", "w:sectPr", "w:pPrChange")


# ---------------------------------------------------------------- the words of the heading

def agency_code(name: str) -> str:
    """The abbreviation used in document numbers: "Sở Khoa học và Công nghệ" → "SKHCN"."""
    words = [w for w in name.replace("-", " ").split() if w.lower() not in ("và", "các")]
    return "".join(text.ascii(w)[0].upper() for w in words if w and text.ascii(w)[0].isalnum())


def vn_date_line(place: str, day: date) -> str:
    """"Thanh Hóa, ngày 05 tháng 02 năm 2026": a zero before days below 10 and months 1 and 2 (NĐ 30/2020)."""
    day_text = f"{day.day:02d}"
    month_text = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day_text} tháng {month_text} năm {day.year}"


def recipients() -> list[str]:
    """"Nơi nhận": the configured lines, else the assigning authority, the steering committee, the lead
    agencies and the archive."""
    configured = settings.get("REPORT_RECIPIENTS")
    if configured:
        return [*configured]
    authority = settings.get("ASSIGNING_AUTHORITY")
    return [f"{authority} (để b/c);", "Ban Chỉ đạo cấp tỉnh (để b/c);", "Các đơn vị chủ trì thực hiện nhiệm vụ;",
            "Lưu: VT."]


# How the signer signs (NĐ 30/2020, Phụ lục I, mục II.8): in their own right, "KT." for the head (a deputy),
# "TL." by the head's order (a unit chief), "Q." acting head.
SIGNING_PREFIXES = ("", "KT.", "TL.", "Q.")
PREFIXES_WITH_POSITION = ("KT.", "TL.")  # the signer's own position goes on the line below
_PREFIX = re.compile(r"(KT|TL|Q)\.\s*(.*)", re.IGNORECASE)


@dataclass(frozen=True)
class Signer:
    """Who signs an exported document, for whom, and where it goes ("Nơi nhận")."""

    authority: str  # the head's title: GIÁM ĐỐC
    prefix: str = ""  # one of SIGNING_PREFIXES
    position: str = ""  # the signer's own position under "KT."/"TL.": PHÓ GIÁM ĐỐC
    name: str = ""  # printed under the signature; blank leaves the line to the signer
    recipients: tuple[str, ...] = ()

    def title_lines(self) -> list[str]:
        """The capitalised lines above the signature: "KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"."""
        lines = [f"{self.prefix} {self.authority}".strip(), *self.position.split("\n")]
        return [" ".join(line.split()).upper() for line in lines if line.strip()]


def configured_signer() -> Signer:
    """The signer the settings name (REPORT_SIGNER_TITLE, e.g. "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC"; REPORT_SIGNER_NAME)
    and the configured "Nơi nhận": what an export uses when its user has chosen nothing."""
    first, *rest = [line.strip() for line in settings.get("REPORT_SIGNER_TITLE").split("\n") if line.strip()] or [""]
    prefix, authority = "", first
    match = _PREFIX.fullmatch(first)
    if match:
        prefix, authority = f"{match[1].upper()}.", match[2]
    return Signer(authority=authority, prefix=prefix, position="\n".join(rest),
                  name=settings.get("REPORT_SIGNER_NAME") or "", recipients=tuple(recipients()))


# ---------------------------------------------------------------- the document and its text

def new_document() -> DocxDocument:
    """An empty A4 document with the decree's margins, fonts and page numbers."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance, section.footer_distance = Mm(10), Mm(10)
    normal = document.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY_PT)
    _east_asian(normal.element.get_or_add_rPr())
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.0
    table_style = document.styles["Table Grid"]
    table_style.font.name = FONT
    _east_asian(table_style.element.get_or_add_rPr())
    # Page numbers centred in the top margin, from the second page on (NĐ 30/2020).
    section.different_first_page_header_footer = True
    number = section.header.paragraphs[0]
    number.alignment = CENTER
    _page_number(number)
    document.core_properties.author = settings.get("COORDINATING_AGENCY")
    return document


def save(document: DocxDocument) -> bytes:
    out = BytesIO()
    document.save(out)
    return out.getvalue()


def _east_asian(rpr) -> None:
    # Word picks the font of Vietnamese letters from the East Asian and complex-script slots too.
    fonts = rpr.get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)


def _run(paragraph, words: str, size: float | None = None, bold: bool = False, italic: bool = False):
    run = paragraph.add_run(xml_safe(words))
    run.font.name = FONT
    _east_asian(run._element.get_or_add_rPr())
    run.font.size = Pt(size or BODY_PT)
    run.bold = bold or None
    run.italic = italic or None
    return run


def para(container: DocxDocument | _Cell, words: str = "", *, size: float | None = None, bold: bool = False,
         italic: bool = False, align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent: bool = True, after: float = 6,
         before: float = 0, keep: bool = False, first: bool = False) -> Paragraph:
    """A paragraph of body text; ``first`` reuses a table cell's empty first paragraph."""
    paragraph = container.paragraphs[0] if first else container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.alignment = align
    fmt.first_line_indent = Mm(10) if indent else None
    fmt.space_after, fmt.space_before = Pt(after), Pt(before)
    fmt.keep_with_next = keep or None
    if words:
        _run(paragraph, words, size, bold, italic)
    return paragraph


def section_title(document: DocxDocument, words: str) -> None:
    para(document, words, bold=True, indent=True, before=6, keep=True)


def rule(container: DocxDocument | _Cell, length_mm: float, width_mm: float, after: float = 0) -> None:
    """A centred line ``length_mm`` long (under the agency name, the motto and the title).

    Drawn as the bottom border of an empty, 2-point-high paragraph indented from both sides of a
    ``width_mm`` wide container, so that it needs no drawing object.
    """
    paragraph = container.add_paragraph()
    fmt = paragraph.paragraph_format
    fmt.left_indent = fmt.right_indent = Mm((width_mm - length_mm) / 2)
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(2), Pt(after), Pt(2)
    p_pr = paragraph._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "auto")):
        bottom.set(qn(key), value)
    border.append(bottom)
    p_pr.insert_element_before(border, *_AFTER_PBDR)


def _page_number(paragraph: Paragraph) -> None:
    run = _run(paragraph, "", size=BODY_PT)
    for kind, field_text in (("begin", None), (None, "PAGE"), ("separate", None), (None, "1"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        elif field_text == "PAGE":
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = "PAGE"
        else:
            element = OxmlElement("w:t")
            element.text = field_text
        run._r.append(element)


# ---------------------------------------------------------------- tables

def _no_split(row: _Row, header: bool = False) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))  # repeated at the top of every page


def _shade(cell: _Cell, fill: str) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    for key, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", fill)):
        shading.set(qn(key), value)
    tc_pr.insert_element_before(shading, "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
                                "w:hideMark", "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange")


def table(document: DocxDocument, widths_mm: list[float], grid: bool = True) -> Table:
    """A centred table of fixed column widths, with narrow cell margins."""
    new = document.add_table(rows=0, cols=len(widths_mm))
    if grid:
        new.style = document.styles["Table Grid"]
    new.alignment = WD_TABLE_ALIGNMENT.CENTER
    new.autofit = False  # a fixed layout: the widths below hold
    margins = OxmlElement("w:tblCellMar")
    for side in ("w:left", "w:right"):
        margin = OxmlElement(side)
        margin.set(qn("w:w"), str(CELL_MARGIN_TWIPS))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    new._tbl.tblPr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription", "w:tblPrChange")
    for column, width in zip(new.columns, widths_mm, strict=True):
        column.width = Mm(width)
    return new


def row(grid: Table, values: list, widths_mm: list[float], *, bold: bool = False, header: bool = False,
        align: list | None = None, size: float = TABLE_PT, fill: str | None = None) -> _Row:
    """A row that never splits across pages; a header row is shaded and repeated on every page."""
    added = grid.add_row()
    _no_split(added, header)
    for i, (cell, value) in enumerate(zip(added.cells, values, strict=True)):
        cell.width = Mm(widths_mm[i])
        cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
        how = CENTER if header else (align[i] if align else LEFT)
        lines = str(value if value is not None else "").split("\n")
        for j, line in enumerate(lines):
            para(cell, line, size=size, bold=bold or header, align=how, indent=False, after=0, first=j == 0)
        if fill or header:
            _shade(cell, fill or "E7EAEE")
    return added


# ---------------------------------------------------------------- heading and signature

def number_line(number: str = "") -> str:
    """"Số: 125/BC-SKHCN", or "Số:        /BC-SKHCN" for the văn thư to fill in when the document is issued."""
    code = settings.get("REPORT_NUMBER_CODE") or agency_code(settings.get("COORDINATING_AGENCY"))
    return f"Số: {number}/BC-{code}" if number else f"Số:        /BC-{code}"


def heading_block(document: DocxDocument, title: str, subtitle: str, today: date, numbered: bool = True,
                  number: str = "") -> None:
    """The NĐ 30/2020 heading: agency / motto, number / place and date, then the title."""
    agency = settings.get("COORDINATING_AGENCY")
    place = settings.get("REPORT_PLACE")
    parent = settings.get("REPORT_PARENT_AGENCY") or f"UBND tỉnh {place}"
    widths = [76, 99]  # 10 mm wider than the text: centred, it reaches 5 mm into each side margin
    grid = table(document, widths, grid=False)
    top = grid.add_row()
    left, right = top.cells
    para(left, parent.upper(), size=12, align=CENTER, indent=False, after=0, first=True)
    para(left, agency.upper(), size=12, bold=True, align=CENTER, indent=False, after=0)
    rule(left, 25, widths[0])
    para(right, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True, align=CENTER, indent=False, after=0,
         first=True)
    para(right, "Độc lập - Tự do - Hạnh phúc", size=13, bold=True, align=CENTER, indent=False, after=0)
    rule(right, 60, widths[1])
    bottom = grid.add_row()
    left, right = bottom.cells
    para(left, number_line(number) if numbered else "", size=13, align=CENTER, indent=False, after=0,
         before=6, first=True)
    para(right, vn_date_line(place, today), size=14, italic=True, align=CENTER, indent=False, after=0,
         before=6, first=True)
    for added in (top, bottom):
        for cell, width in zip(added.cells, widths, strict=True):
            cell.width = Mm(width)
    para(document, title, bold=True, align=CENTER, indent=False, after=0, before=18, keep=True)
    para(document, subtitle, bold=True, align=CENTER, indent=False, after=0, keep=True)
    rule(document, 40, USABLE_MM, after=18)


def note_heading(document: DocxDocument, title: str, subtitle: str, remark: str) -> None:
    """The top of an internal note: the agency's name, the title and a line saying what the note is; no
    motto, number, "Nơi nhận" or signature (it is not a document that is issued)."""
    para(document, settings.get("COORDINATING_AGENCY").upper(), size=12, bold=True, align=LEFT, indent=False,
         after=12)
    para(document, title, bold=True, align=CENTER, indent=False, after=0, keep=True)
    para(document, subtitle, bold=True, align=CENTER, indent=False, after=0, keep=True)
    para(document, remark, size=13, italic=True, align=CENTER, indent=False, after=0, before=3, keep=True)
    rule(document, 40, USABLE_MM, after=18)


def signature(document: DocxDocument, signer: Signer) -> None:
    """"Nơi nhận" on the left; on the right the signer's title ("KT. GIÁM ĐỐC" / "PHÓ GIÁM ĐỐC"), room to sign
    and seal, and the signer's name (left blank for the signer when none was chosen)."""
    widths = [80, USABLE_MM - 80]
    grid = table(document, widths, grid=False)
    added = grid.add_row()
    _no_split(added)
    left, right = added.cells
    for cell, width in zip(added.cells, widths, strict=True):
        cell.width = Mm(width)
    para(left, "Nơi nhận:", size=12, bold=True, italic=True, align=LEFT, indent=False, after=0, before=12,
         first=True)
    for line in signer.recipients:
        para(left, f"- {line}", size=11, align=LEFT, indent=False, after=0)
    for i, line in enumerate(signer.title_lines()):
        para(right, line, size=14, bold=True, align=CENTER, indent=False, after=0, before=12 if i == 0 else 0,
             first=i == 0)
    # room for the signature and the seal, then the name
    para(right, "", size=14, bold=True, align=CENTER, indent=False, after=66)
    if signer.name:
        para(right, " ".join(signer.name.split()), size=14, bold=True, align=CENTER, indent=False, after=0)
