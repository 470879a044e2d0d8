"""The appendix-table readers: the three real documents as they are, the same table in every format,
and input that is no table at all.

Row counts were established by reading the fixtures (`cat -A`), not by running the reader:

- 000: one appendix, rows STT "1." and 2–11 = 11; the header repeats at line 53 (page break).
- 002 Phụ lục I (indicators, lines 524–618): numbered rows 1–12 and 15–79 (13 and 14 are missing) = 77,
  plus the row at line 542 whose STT was lost (a complete indicator, HDI) = 78; line 618 holds only the
  responsible agency of row 79 (a row cut by a page break) and is merged into it.
- 002 Phụ lục II (lines 631–659): numbered rows 1–24 = 24 (row 12 has only its STT), plus the complete
  row at line 639 without STT ("Xây dựng chương trình chuyên biệt …") = 25.
- 002 Phụ lục III (lines 668–814, its heading has no "Phụ lục III" label): numbered rows 1–116 = 116,
  plus two rows at lines 752–753 whose cells slipped one column left ("" | "" | "Công an tỉnh, …" and
  "" | "Sở Y tế" | …): they fit no neighbour, so they are kept as rows and flagged = 118. Line 784 is the
  left-shifted rest of row 93 (whose last three cells are empty) and is moved into it; the cells on the
  section row VIII (line 798) belong to row 105 (whose cells are empty) and are moved into it.
- 003: rows 1–14 = 14; five continuation rows at page breaks (lines 15, 21, 32, 46, 51) merged.
"""

from __future__ import annotations

import io
import random
import re
import textwrap
from datetime import date, datetime

import pytest
from docx import Document
from openpyxl import Workbook

from tests.conftest import FIXTURES
from workflows.importing.parsed import COLUMNS, ImportFormatError, ParsedDocument
from workflows.importing.readers import read_any, read_docx, read_markdown, read_text, read_xlsx
from workflows.text import fold_words


def fixture(prefix: str) -> str:
    return next(FIXTURES.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def numbered_lines(text: str, first: int, last: int) -> int:
    """Lines in [first, last] whose first tab-separated cell is a number: a count independent of the reader."""
    lines = text.split("\n")[first - 1:last]
    return sum(1 for line in lines if re.match(r"^\d+\.?\t", line))


def check_accounting(doc: ParsedDocument) -> None:
    for appendix in doc.appendices:
        assert appendix.rows_in_source == len(appendix.rows)
        assert [r.number for r in appendix.rows] == list(range(1, len(appendix.rows) + 1))
        title_key = "name" if appendix.kind == "indicators" else "title"
        for row in appendix.rows:
            if not row.cells[title_key].strip():
                assert any(w.startswith(("Tên nhiệm vụ trống", "Tên chỉ tiêu trống")) for w in row.warnings), row
            if not row.stt:
                assert "Thiếu STT." in row.warnings
            for value in list(row.cells.values()) + list(row.extra.values()):
                assert "<" not in value and "&lt;" not in value


# ---------------------------------------------------------------- 000: a letter with one appendix

def test_000_one_appendix_of_eleven_tasks_with_the_repeated_header_skipped():
    text = fixture("000")
    doc = read_text(text)
    check_accounting(doc)
    [appendix] = doc.appendices
    assert appendix.title == "Phụ lục: DANH MỤC NHIỆM VỤ CÓ THỜI HẠN HOÀN THÀNH TRƯỚC NGÀY 31/3/2026 VÀ 15/4/2026"
    assert appendix.kind == "tasks"
    assert appendix.rows_in_source == 11 == numbered_lines(text, 46, 59)
    assert appendix.columns == ["stt", "title", "assigning_doc", "lead", "deadline", "output"]
    assert appendix.header[4] == "Thời gian hoàn thành" and appendix.unknown_columns == []
    assert [r.stt for r in appendix.rows] == ["1."] + [str(n) for n in range(2, 12)]
    # the header repeated after the page break (line 53) is not a row; row 6 comes from line 54
    assert not any(r.cells["title"] == "Tên nhiệm vụ" or r.stt == "STT" for r in appendix.rows)
    assert appendix.rows[5].line == 54 and appendix.rows[5].cells["lead"] == "Sở Nội vụ"
    first = appendix.rows[0]
    assert first.cells["assigning_doc"] == "Nghị quyết số 11/NQ-CP ngày 14/01/2026 của Chính phủ"
    assert first.cells["deadline"] == "15/4/2026" and first.section is None and first.warnings == []
    assert set(first.cells) == set(COLUMNS)


def test_000_document_fields_are_blank_in_the_draft_and_said_so():
    doc = read_text(fixture("000"))
    assert doc.number is None and doc.issued is None
    assert doc.title.startswith("V/v khẩn trương thực hiện chỉ đạo của Thường trực Ban Chỉ đạo cấp tỉnh")
    assert any(w.startswith("Số văn bản để trống") for w in doc.warnings)
    assert any(w.startswith("Ngày ban hành để trống") for w in doc.warnings)


# ---------------------------------------------------------------- 002: an action plan with three appendices

def test_002_three_appendices_with_their_titles_kinds_and_counts():
    text = fixture("002")
    doc = read_text(text)
    check_accounting(doc)
    indicators, second, third = doc.appendices
    assert indicators.title == "Phụ lục I: Danh mục các chỉ tiêu cụ thể"
    assert second.title.startswith("Phụ lục II: Danh mục các nhiệm vụ giao các Ban Bí thư Tỉnh ủy")
    # the third heading has no "Phụ lục III" label: the number is inferred, and the document says so
    assert third.title == ("Phụ lục III: Danh mục các nhiệm vụ giao Đảng ủy UBND tỉnh lãnh đạo UBND tỉnh "
                           "chỉ đạo thực hiện")
    assert any("đã suy ra «Phụ lục III»" in w for w in doc.warnings)
    assert [a.kind for a in doc.appendices] == ["indicators", "tasks", "tasks"]
    assert [a.rows_in_source for a in doc.appendices] == [78, 25, 118]
    assert numbered_lines(text, 524, 618) + 1 == 78
    assert numbered_lines(text, 631, 659) + 1 == 25
    assert numbered_lines(text, 668, 814) + 2 == 118
    for appendix in doc.appendices:
        assert sum(1 for r in appendix.rows if r.stt) == {78: 77, 25: 24, 118: 116}[appendix.rows_in_source]
    assert doc.number == "266-KH/TU" and doc.issued == date(2025, 4, 26)
    assert doc.title.startswith("KẾ HOẠCH HÀNH ĐỘNG thực hiện Nghị quyết số 57-NQ/TW ngày 22/12/2024")
    assert "Phụ lục I: STT nhảy từ 12 lên 15." in doc.warnings


def test_002_sections_of_phu_luc_iii():
    appendix = read_text(fixture("002")).appendices[2]
    sections = list(dict.fromkeys(r.section for r in appendix.rows))
    assert [s.split(".")[0] for s in sections] == ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X"]
    assert sections[0] == "I. Công tác lãnh đạo, chỉ đạo"
    # "IV Đầu tư …" is written in one cell, without a dot
    assert sections[3].startswith("IV. Đầu tư phát triển hạ tầng số, ứng dụng, dịch vụ số")
    assert [r.stt for r in appendix.rows if r.section.startswith("X.")] == ["116"]


def test_002_indicators_two_row_header_and_their_canonical_columns():
    appendix = read_text(fixture("002")).appendices[0]
    assert appendix.columns == ["stt", "name", "unit", "baseline", "target_2025", "target_2030", "target_2035",
                                "target_2040", "target_2045", "responsible"]
    assert appendix.header[3] == "Hiện trạng (tháng 3/2025)" and appendix.header[-1].startswith("Cơ quan, đơn vị")
    rows = {r.stt: r for r in appendix.rows}
    six = rows["6"].cells
    assert (six["name"].startswith("Tỷ lệ tổng chi ngân sách"), six["unit"], six["baseline"]) == (True, "%", "0,61%")
    assert [six[f"target_{y}"] for y in (2025, 2030, 2035, 2040, 2045)] == ["≥ 1%", "≥ 1,5%", "≥ 2%", "≥ 2,5%", "≥ 3%"]
    assert six["responsible"] == "Sở Tài chính" and six["baseline_date"] == "tháng 3/2025"
    # five values for six year columns: the agency is still found, the row is flagged
    one = rows["1"]
    assert one.cells["responsible"] == "Sở Khoa học và Công nghệ"
    assert any(w.startswith("Nghi lệch cột: dòng chỉ có 5/6") for w in one.warnings)
    # line 618 holds the agency of row 79, cut by a page break
    last = rows["79"]
    assert last.cells["target_2045"] == "1,0" and last.cells["responsible"] == "Sở Khoa học và Công nghệ"
    assert "Dòng nối tiếp từ trang trước đã được ghép (dòng 618)." in last.warnings
    sections = list(dict.fromkeys(r.section for r in appendix.rows))
    assert sections == ["I. PHÁT TRIỂN HẠ TẦNG", "II. PHÁT TRIỂN NGUỒN LỰC", "III. PHÁT TRIỂN KHOA HỌC, CÔNG NGHỆ",
                        "PHÁT TRIỂN HỆ SINH THÁI ĐỔI MỚI SÁNG TẠO", "IV. PHÁT TRIỂN CHUYÊN ĐÓI SỐ"]
    lost = next(r for r in appendix.rows if not r.stt)
    assert lost.line == 542 and lost.cells["name"].startswith("Khoa học, công nghệ và đổi mới sáng tạo")
    assert lost.cells["responsible"] == "Sở Văn hóa, Thể thao và Du lịch"


def test_002_rows_damaged_by_page_breaks_are_repaired_or_flagged():
    doc = read_text(fixture("002"))
    second, third = doc.appendices[1], doc.appendices[2]
    no_stt = next(r for r in second.rows if not r.stt)
    assert no_stt.line == 639 and no_stt.cells["deadline"] == "Thường xuyên" and "Thiếu STT." in no_stt.warnings
    twelve = next(r for r in second.rows if r.stt == "12")
    assert twelve.cells["title"] == "" and "Tên nhiệm vụ trống." in twelve.warnings
    rows = {r.stt: r for r in third.rows if r.stt}
    # line 784, shifted one column left, is the rest of row 93
    assert rows["93"].cells["collaborators"].startswith("Sở Khoa học và Công nghệ; Sở Tài chính")
    assert rows["93"].cells["deadline"] == "Tháng 9/2026"
    assert any("dòng 784" in w and "lùi sang phải" in w for w in rows["93"].warnings)
    # the cells written on the section row VIII belong to row 105
    assert rows["105"].section.startswith("VIII. Tăng cường bảo đảm an ninh mạng")
    assert (rows["105"].cells["lead"], rows["105"].cells["deadline"]) == ("Công an tỉnh", "Tháng 6/2026")
    assert any("dòng mục «VIII»" in w for w in rows["105"].warnings)
    # lines 752-753 fit no neighbour: kept, flagged, nothing lost
    orphans = [r for r in third.rows if not r.stt]
    assert [r.line for r in orphans] == [752, 753]
    assert "Dòng không có STT và không ghép được với dòng trên hay dưới; nghi lệch cột, cần kiểm tra." \
        in orphans[0].warnings
    assert orphans[0].cells["lead"].startswith("Công an tỉnh, các sở")
    assert "Nghi lệch cột: tên nhiệm vụ «Sở Y tế» trông như tên cơ quan." in orphans[1].warnings
    # issue 15: the deadline written under "Kết quả" is moved to the empty deadline cell, and the move is listed
    # (it was only a warning: "Nghi lệch cột: ô «Kết quả» chứa thời hạn «Tháng 6/2025»")
    for orphan in orphans:
        assert (orphan.cells["output"], orphan.cells["deadline"]) == ("", "Tháng 6/2025")
        assert "Đã chuyển «Tháng 6/2025» từ ô Kết quả sang ô Thời gian hoàn thành." in orphan.warnings
        assert orphan.raw[4] == "Tháng 6/2025"  # the source as written is kept
    assert "Ô thời hạn trống." in rows["67"].warnings
    # a line break inside a cell became " - " in the extraction: list items again
    assert rows["36"].cells["deadline"] == "- Tháng 11/2025\n- Tháng 9/2028"
    assert rows["36"].cells["output"] == "- Phê duyệt Đề án;\n- Hoàn thành triển khai"


# ---------------------------------------------------------------- 003: an amending appendix

def test_003_amendments_continuations_and_html():
    text = fixture("003")
    doc = read_text(text)
    check_accounting(doc)
    [appendix] = doc.appendices
    assert appendix.title == ("Phụ lục: DANH MỤC BỔ SUNG CÁC NHIỆM VỤ TRỌNG TÂM TRIỂN KHAI THỰC HIỆN NGHỊ QUYẾT "
                              "SỐ 57-NQ/TW CỦA BỘ CHÍNH TRỊ NĂM 2026")
    assert appendix.rows_in_source == 14 == numbered_lines(text, 8, 51)
    assert appendix.header[-1] == "Nội dung điều chỉnh" and appendix.columns[-1] == "adjustment"
    assert appendix.columns == ["stt", "title", "lead", "collaborators", "output", "deadline", "assigning_doc",
                                "note", "adjustment"]
    assert all(r.cells["adjustment"] for r in appendix.rows)
    rows = {r.stt: r for r in appendix.rows}
    assert [r.section.split(".")[0] for r in appendix.rows] == \
        ["I", "II", "III", "III", "III", "III", "IV", "V", "V", "V", "V", "VII", "VIII", "IX"]
    assert "Phụ lục: không có mục VI (sau mục V là mục VII)." in doc.warnings
    # page-break continuations, merged cell by cell
    assert rows["2"].cells["title"].endswith("các Kế hoạch, chương trình của Ban Chỉ đạo Trung ương, Ban Thường "
                                             "vụ Tỉnh ủy, Ban Chỉ đạo tỉnh; đẩy mạnh công tác thông tin, tuyên "
                                             "truyền về kết quả triển khai thực hiện Nghị quyết số 57-NQ/TW.")
    assert rows["2"].cells["adjustment"] == "Nhiệm vụ bổ sung theo kế hoạch số 07-KH/BCĐ"
    assert rows["2"].cells["note"] == "(Đã thực hiện)"
    assert "Dòng nối tiếp từ trang trước đã được ghép (dòng 15)." in rows["2"].warnings
    assert rows["4"].cells["collaborators"] == "Sở Tài chính, Các sở, ban, ngành, địa phương"
    assert rows["4"].cells["adjustment"] == "Điều chỉnh lại thời gian hoàn thành theo Kế hoạch số 07-KH/BCĐ"
    assert rows["8"].cells["output"].endswith("chuyển đổi số tỉnh (Techfest); Ngày hội khởi nghiệp...")
    assert rows["13"].cells["title"].endswith("phục vụ người dân, doanh nghiệp; tập trung cải thiện chất lượng "
                                              "thực hiện thủ tục hành chính, cung cấp dịch vụ công trực tuyến.")
    # HTML stripped: <i> … </i> and an unclosed <ul> whose items were written " - "
    assert rows["3"].cells["title"].endswith("(ưu đãi đầu tư, hỗ trợ doanh nghiệp, thu hút nhân tài, chấp nhận "
                                             "rủi ro...)")
    assert "<i>" in rows["3"].raw[1]
    items = rows["14"].cells["output"].split("\n")
    assert len(items) == 2 and all(i.startswith("- Đối với") for i in items)
    assert items[1].endswith("cần khẩn trương rà soát, đánh giá và thực hiện phê duyệt cấp độ an toàn thông tin "
                             "theo đúng quy định.")
    assert doc.number is None and doc.issued is None
    assert doc.title.startswith("DANH MỤC BỔ SUNG CÁC NHIỆM VỤ TRỌNG TÂM")


# ---------------------------------------------------------------- one small table in every format

HEADER = ["STT", "Tên nhiệm vụ", "Đơn vị chủ trì", "Đơn vị phối hợp", "Kết quả/sản phẩm", "Thời hạn hoàn thành",
          "Ghi chú", "Tình hình thực hiện"]
TABLE = [
    ["I", "CÔNG TÁC CHỈ ĐẠO", "", "", "", "", "", ""],
    ["1", "Xây dựng kế hoạch chuyển đổi số", "Sở Khoa học và Công nghệ", "Sở Tài chính; Sở Nội vụ",
     "Kế hoạch của UBND tỉnh", "Tháng 5/2026", "", "Đang thực hiện"],
    ["2", "Báo cáo kết quả <i>quý I</i>", "Sở Nội vụ", "", "- Báo cáo\n- Kế hoạch", "31/3/2026",
     "(Đã thực hiện)", ""],
    ["II", "HẠ TẦNG SỐ", "", "", "", "", "", ""],
    ["3", "Nâng cấp Trung tâm dữ liệu &amp; mạng", "Công an tỉnh", "Sở Khoa học và Công nghệ", "Hoàn thành",
     "Quý II năm 2026", "", ""],
]
HEADING = ["Phụ lục II", "DANH MỤC NHIỆM VỤ NĂM 2026", "(Kèm theo Kế hoạch số 12-KH/UBND ngày 05/3/2026)"]


def as_text() -> str:
    def cell(value: str) -> str:
        return f'"{value}"' if "\n" in value else value  # a spreadsheet's tab-separated export quotes these

    lines = [*HEADING, "", "\t".join(HEADER)] + ["\t".join(cell(c) for c in row) for row in TABLE]
    return "\n".join(lines) + "\n"


def as_markdown() -> str:
    lines = [f"## {HEADING[0]}", f"**{HEADING[1]}**", HEADING[2], "", "| " + " | ".join(HEADER) + " |",
             "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(c.replace("\n", "<br>") for c in row) + " |" for row in TABLE]
    return "\n".join(lines) + "\n"


def as_xlsx() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Phụ lục II"
    for line in HEADING:
        sheet.append([line])
    sheet.append([])
    sheet.append(HEADER)
    for row in TABLE:
        values: list = [int(c) if c.isdigit() else (c or None) for c in row]
        if row[5] == "31/3/2026":
            values[5] = datetime(2026, 3, 31)  # a real date cell
        sheet.append(values)
        if row[0] in ("I", "II"):
            sheet.merge_cells(start_row=sheet.max_row, start_column=2, end_row=sheet.max_row, end_column=8)
    buffer = io.BytesIO()
    workbook.save(buffer)
    workbook.close()
    return buffer.getvalue()


def as_docx() -> bytes:
    document = Document()
    for line in HEADING:
        document.add_paragraph(line)
    table = document.add_table(rows=1 + len(TABLE), cols=len(HEADER))
    for index, text in enumerate(HEADER):
        table.cell(0, index).text = text
    for r, row in enumerate(TABLE, start=1):
        if row[0] in ("I", "II"):
            table.cell(r, 0).text = row[0]
            merged = table.cell(r, 1).merge(table.cell(r, len(HEADER) - 1))
            merged.text = row[1]
            continue
        for c, text in enumerate(row):
            cell = table.cell(r, c)
            first, *more = text.split("\n")
            cell.text = first
            for line in more:
                cell.add_paragraph(line)
    document.add_paragraph("Nơi nhận: như trên.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def essence(doc: ParsedDocument) -> list:
    return [(a.title, a.kind, a.columns, a.unknown_columns,
             [(r.stt, r.section, r.cells, r.extra) for r in a.rows]) for a in doc.appendices]


def test_the_small_table_reads_the_same_in_text_markdown_xlsx_and_docx():
    text = read_text(as_text())
    [appendix] = text.appendices
    assert appendix.title == "Phụ lục II: DANH MỤC NHIỆM VỤ NĂM 2026"
    assert appendix.unknown_columns == ["Tình hình thực hiện"]
    assert [(r.stt, r.section) for r in appendix.rows] == [("1", "I. CÔNG TÁC CHỈ ĐẠO"), ("2", "I. CÔNG TÁC CHỈ ĐẠO"),
                                                           ("3", "II. HẠ TẦNG SỐ")]
    first, second, third = appendix.rows
    assert first.extra == {"Tình hình thực hiện": "Đang thực hiện"} and first.warnings == []
    assert second.cells["title"] == "Báo cáo kết quả quý I"
    assert second.cells["output"] == "- Báo cáo\n- Kế hoạch"
    assert third.cells["title"] == "Nâng cấp Trung tâm dữ liệu & mạng"
    assert text.number == "12-KH/UBND" and text.issued == date(2026, 3, 5)
    expected = essence(text)
    assert essence(read_markdown(as_markdown())) == expected
    assert essence(read_any("bang.md", as_markdown().encode())) == expected
    xlsx = read_xlsx(as_xlsx())
    assert essence(xlsx) == expected and xlsx.appendices[0].rows[0].line is None
    assert essence(read_any("bang.xlsx", as_xlsx())) == expected
    docx = read_docx(as_docx())
    assert essence(docx) == expected and (docx.number, docx.issued) == (text.number, text.issued)
    assert essence(read_any("bang.docx", as_docx())) == expected
    assert essence(read_any("bang.txt", as_text().encode("utf-8-sig"))) == expected
    assert essence(read_any("bang.txt", as_text().encode("utf-16"))) == expected


def test_docx_vertical_merges_continue_a_task_or_share_a_cell():
    document = Document()
    document.add_paragraph("Phụ lục")
    table = document.add_table(rows=4, cols=4)
    for index, text in enumerate(["TT", "Nhiệm vụ", "Cơ quan chủ trì", "Tiến độ"]):
        table.cell(0, index).text = text
    rows = [["1", "Xây dựng Đề án", "Sở Nội vụ", "- Tháng 11/2025"], ["", "", "", "- Tháng 9/2028"],
            ["2", "Triển khai Đề án", "", "Năm 2027"]]
    for r, row in enumerate(rows, start=1):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    table.cell(1, 0).merge(table.cell(2, 0))  # one task written on two table rows
    table.cell(1, 1).merge(table.cell(2, 1))
    table.cell(1, 2).merge(table.cell(3, 2))  # the same lead agency for both tasks
    table.cell(1, 2).text = "Sở Nội vụ"
    buffer = io.BytesIO()
    document.save(buffer)
    [appendix] = read_docx(buffer.getvalue()).appendices
    first, second = appendix.rows
    assert (first.stt, first.cells["title"], first.cells["deadline"]) == \
        ("1", "Xây dựng Đề án", "- Tháng 11/2025\n- Tháng 9/2028")
    assert (second.stt, second.cells["lead"], second.cells["deadline"]) == ("2", "Sở Nội vụ", "Năm 2027")


def test_an_indicator_sheet_with_a_merged_group_header():
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Phụ lục I: Danh mục các chỉ tiêu"])
    sheet.append(["STT", "Nội dung chỉ tiêu", "Đơn vị tính", "CHỈ TIÊU", None, None, "Cơ quan chủ trì"])
    sheet.append([None, None, None, "Hiện trạng (năm 2024)", "Năm 2025", "Năm 2030", None])
    sheet.merge_cells("D2:F2")
    sheet.append(["I", "HẠ TẦNG SỐ"])
    sheet.append([1, "Tỷ lệ phủ sóng 5G", "%", 0.05, 0.6, None, "Sở Khoa học và Công nghệ"])
    sheet["D5"].number_format = sheet["E5"].number_format = "0%"
    buffer = io.BytesIO()
    workbook.save(buffer)
    workbook.close()
    [appendix] = read_xlsx(buffer.getvalue()).appendices
    assert appendix.kind == "indicators"
    assert appendix.columns == ["stt", "name", "unit", "baseline", "target_2025", "target_2030", "responsible"]
    [row] = appendix.rows
    assert row.section == "I. HẠ TẦNG SỐ"
    assert {k: row.cells[k] for k in ("baseline", "target_2025", "target_2030", "responsible", "baseline_date")} == \
        {"baseline": "5%", "target_2025": "60%", "target_2030": "", "responsible": "Sở Khoa học và Công nghệ",
         "baseline_date": "năm 2024"}


def test_a_cell_cut_by_a_line_break_in_a_plain_text_export_is_joined():
    text = ("STT\tTên nhiệm vụ\tĐơn vị chủ trì\tThời hạn\n"
            "1\tXây dựng kế hoạch\n"
            "- giai đoạn 1\tSở Nội vụ\tTháng 5/2026\n"
            "2\tTriển khai\tSở Y tế\tNăm 2026\n")
    [appendix] = read_text(text).appendices
    assert appendix.rows_in_source == 2
    first = appendix.rows[0]
    assert (first.cells["title"], first.cells["lead"], first.line) == ("Xây dựng kế hoạch\n- giai đoạn 1",
                                                                      "Sở Nội vụ", 2)


def test_sub_sections_column_numbering_rows_and_shifted_cells():
    text = ("Phụ lục\n\n"
            "TT\tNội dung nhiệm vụ\tBộ, ngành chủ trì\tSản phẩm\tTiến độ\n"
            "(1)\t(2)\t(3)\t(4)\t(5)\n"
            "A\tNHIỆM VỤ CHUNG\t\t\t\n"
            "1\tHoàn thiện thể chế\t\t\t\n"
            "1.1\tSửa đổi quy chế\tSở Tư pháp\tQuy chế\tQuý II/2026\n"
            "\ta) Nhóm dự án\t\t\t\n"
            "1.2\tDự án A\tSở Y tế\tTháng 6/2026\t\n"
            "1.3\tDự án B\tSở Y tế\tBáo cáo\tNăm 2026\tthừa\n")
    [appendix] = read_text(text).appendices
    assert [r.stt for r in appendix.rows] == ["1.1", "1.2", "1.3"]
    assert appendix.rows[0].section == "A. NHIỆM VỤ CHUNG › 1. Hoàn thiện thể chế"
    assert appendix.rows[1].section == "A. NHIỆM VỤ CHUNG › a) Nhóm dự án"
    # issue 15: moved to the empty deadline cell (it was only a warning "Nghi lệch cột: ô «Sản phẩm» chứa thời hạn")
    assert (appendix.rows[1].cells["output"], appendix.rows[1].cells["deadline"]) == ("", "Tháng 6/2026")
    assert "Đã chuyển «Tháng 6/2026» từ ô Sản phẩm sang ô Tiến độ." in appendix.rows[1].warnings
    assert appendix.rows[2].extra == {"Cột 6": "thừa"}
    assert any(w.startswith("Nghi lệch cột: dòng có 1 ô") for w in appendix.rows[2].warnings)


def test_a_csv_file():
    content = "STT,Tên nhiệm vụ,Đơn vị chủ trì,Thời hạn\n1,\"Lập kế hoạch, triển khai\",Sở Y tế,Năm 2026\n"
    [appendix] = read_any("bang.csv", content.encode()).appendices
    assert appendix.rows[0].cells["title"] == "Lập kế hoạch, triển khai"


# ---------------------------------------------------------------- input that is not a table

def test_empty_input_is_refused_in_vietnamese():
    for content in (b"", b"   \n\t\n"):
        with pytest.raises(ImportFormatError, match="^Tệp rỗng.$"):
            read_any("danh-muc.txt", content)
    with pytest.raises(ImportFormatError, match="^Tệp rỗng.$"):
        read_text("")


def test_random_bytes_and_damaged_office_files_are_refused_in_vietnamese():
    generator = random.Random(57)
    for _ in range(20):
        noise = generator.randbytes(2048)
        for name, content in (("tep.bin", noise), ("tep.txt", noise), ("tep.xlsx", noise), ("tep.docx", noise),
                              ("tep.xlsx", b"PK\x03\x04" + noise), ("tep.docx", b"PK\x03\x04" + noise)):
            with pytest.raises(ImportFormatError):
                read_any(name, content)
    with pytest.raises(ImportFormatError, match="UTF-8"):
        read_any("tep.bin", bytes(range(256)) * 8)
    with pytest.raises(ImportFormatError, match=r"\.xls, \.doc"):
        read_any("cu.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    with pytest.raises(ImportFormatError, match="PDF"):
        read_any("van-ban.pdf", b"%PDF-1.7\n...")
    with pytest.raises(ImportFormatError, match=r"\.xlsx"):
        read_xlsx(b"not a workbook")
    with pytest.raises(ImportFormatError, match=r"\.docx"):
        read_docx(b"PK\x03\x04 not a document")


def test_text_without_a_recognisable_header_is_refused():
    """Neither a task table nor a sentence: nothing to read (a text of sentences goes to the prose reader)."""
    for text in ("a\tb\tc\n1\t2\t3\n", "| Họ tên | Tuổi |\n|---|---|\n| An | 30 |\n"):
        with pytest.raises(ImportFormatError) as error:
            read_any("ghi-chu.txt", text.encode())
        assert str(error.value) == ("Không nhận ra dòng tiêu đề của bảng (cần có các cột như STT, Tên nhiệm vụ, "
                                    "Đơn vị chủ trì, Thời hạn).")


def test_a_script_tag_in_a_cell_leaves_a_clean_row():
    text = ("STT\tTên nhiệm vụ\tĐơn vị chủ trì\tThời hạn\n"
            "1\tRà soát <script>alert(1)</script>hệ thống <b onclick=\"x()\">thông tin</b>\tSở Y tế\tNăm 2026\n"
            "2\t<script>alert(2)</script>\tSở Y tế\tNăm 2026\n")
    for doc in (read_text(text), read_any("x.txt", text.encode())):
        first, second = doc.appendices[0].rows
        assert first.cells["title"] == "Rà soát hệ thống thông tin"
        assert "Đã loại bỏ mã script/style trong ô." in first.warnings
        assert second.cells["title"] == "" and "Tên nhiệm vụ trống." in second.warnings
        for row in (first, second):
            assert not any("<" in v or "alert" in v for v in row.cells.values())


def test_damaged_copies_of_the_fixtures_never_raise_anything_else():
    generator = random.Random(2026)
    texts = [fixture(p) for p in ("000", "002", "003")]
    for _ in range(60):
        lines = generator.choice(texts).split("\n")
        for _ in range(generator.randint(1, 30)):
            at = generator.randrange(len(lines))
            action = generator.randrange(4)
            if action == 0:
                lines[at] = lines[at].replace("\t", "", 1)
            elif action == 1:
                lines[at] = "\t" + lines[at]
            elif action == 2:
                del lines[at]
            else:
                lines.insert(at, "\t".join(generator.choice(["", "I", "STT", "<ul><li>x", "1"]) for _ in range(4)))
        try:
            doc = read_text("\n".join(lines))
        except ImportFormatError:
            continue
        check_accounting(doc)


# ---------------------------------------------------------------- issue 15: document hygiene

def cut_at_page_break(text: str, line_no: int, rests: dict[int, str], page_break: list[str]) -> str:
    """The text with the row of line `line_no` cut by a page break: in column i, the text from `rests[i]` on
    goes to a row without STT on the next page; `page_break` is what the extraction put between the pages."""
    lines = text.split("\n")
    cells = lines[line_no - 1].split("\t")
    first, rest = list(cells), [""] * len(cells)
    for column, start in rests.items():
        at = cells[column].index(start)
        first[column], rest[column] = cells[column][:at].rstrip(), cells[column][at:]
    return "\n".join(lines[:line_no - 1] + ["\t".join(first), *page_break, "\t".join(rest)] + lines[line_no:])


def rows_by_stt(doc: ParsedDocument, appendix: int = 0) -> dict:
    return {r.stt: r for r in doc.appendices[appendix].rows if r.stt}


def same_words(first: dict, second: dict) -> bool:
    return {k: fold_words(v) for k, v in first.items()} == {k: fold_words(v) for k, v in second.items()}


@pytest.mark.parametrize("line_no, rests", [
    (50, {1: "ninh dữ liệu", 2: "Trung ương"}),  # "… của Ban Chỉ đạo" | "Trung ương": a capital after the break
    (56, {1: "vướng mắc", 2: "Trung ương"}),
    (47, {1: "trên môi trường số", 5: "phê duyệt."}),
])
def test_000_a_row_cut_by_the_page_break_and_the_repeated_header_is_one_row(line_no, rests):
    """000's page break repeats the header (line 53): the rest of a row cut there is merged, not counted."""
    text = fixture("000")
    cut = cut_at_page_break(text, line_no, rests, ["", text.split("\n")[45]])
    whole, doc = rows_by_stt(read_text(text)), read_text(cut)
    check_accounting(doc)
    assert doc.appendices[0].rows_in_source == 11
    row = next(r for r in doc.appendices[0].rows if r.line == line_no)
    assert same_words(row.cells, whole[row.stt].cells)
    assert f"Dòng nối tiếp từ trang trước đã được ghép (dòng {line_no + 3})." in row.warnings


@pytest.mark.parametrize("line_no, rests, appendix, count", [
    # the rest of the title begins with a number, the rest of the lead agency's name with a capital
    (637, {1: "57-NQ/TW", 2: "Tỉnh ủy", 3: "đơn vị liên quan", 4: "dẫn"}, 1, 25),
    # the rest of an agency's name: "Ban Quản lý Khu Kinh tế Nghi" | "Sơn và các KCN"
    (709, {1: "điểm như", 2: "Sơn và các KCN", 3: "đơn vị liên quan"}, 2, 118),
    # "(1) Tháng 6/2025; (2)" | "Tháng 10/2025": the next item of a numbered list
    (750, {1: "suất lao động", 3: "đơn vị liên quan", 4: "chỉ tiêu", 5: "Tháng 10/2025"}, 2, 118),
])
def test_002_a_row_cut_by_a_page_break_is_merged_into_the_row_it_continues(line_no, rests, appendix, count):
    """002's pages are parted by a blank line only; the rest of a cut row was a row of its own, flagged."""
    text = fixture("002")
    doc = read_text(cut_at_page_break(text, line_no, rests, [""]))
    check_accounting(doc)
    assert [a.rows_in_source for a in doc.appendices] == [78, 25, 118] and doc.appendices[appendix].rows_in_source \
        == count
    whole = next(r for r in read_text(text).appendices[appendix].rows if r.line == line_no)
    row = next(r for r in doc.appendices[appendix].rows if r.line == line_no)
    assert same_words(row.cells, whole.cells)
    # what is not the rest of a row stays a row: the complete row without STT, the cells that fit no neighbour
    assert [r.line for r in doc.appendices[1].rows if not r.stt] == [639 + (2 if line_no < 639 else 0)]
    assert len([r for r in doc.appendices[2].rows if not r.stt]) == 2


def test_003_a_rest_that_looks_complete_is_still_the_rest_of_its_row():
    """Every cell of the piece goes on a cell of row 2 ("… Nghị quyết số" | "57-NQ/TW …", "… của" | "Ban Chỉ
    đạo tỉnh"): it was kept as a task whose number was lost, since its title began with no lower-case letter."""
    text = fixture("003")
    doc = read_text(cut_at_page_break(text, 12, {1: "57-NQ/TW", 3: "đơn vị, địa phương", 4: "người dân",
                                                 5: "4/2026", 6: "Ban Chỉ đạo tỉnh", 8: "sung theo"}, [""]))
    check_accounting(doc)
    assert doc.appendices[0].rows_in_source == 14
    assert same_words(rows_by_stt(doc)["2"].cells, rows_by_stt(read_text(text))["2"].cells)


def test_every_page_break_through_the_rows_of_000_leaves_eleven_rows():
    """Each row of 000 cut at each of its printed lines (cells wrapped at their column's width), with the
    header repeated or a blank line between the pages: always eleven rows, each with its whole text."""
    text = fixture("000")
    lines = text.split("\n")
    whole = rows_by_stt(read_text(text))
    widths = [5, 45, 28, 22, 16, 26]
    for index in range(46, 59):
        if not re.match(r"^\d+\.?\t", lines[index]):
            continue
        cells = lines[index].split("\t")
        wrapped = [textwrap.wrap(c, widths[i]) or [""] for i, c in enumerate(cells)]
        for height in range(1, max(len(w) for w in wrapped)):
            first = "\t".join(" ".join(w[:height]) for w in wrapped)
            rest = "\t".join(" ".join(w[height:]) for w in wrapped)
            for page_break in ([""], ["", lines[45]]):
                doc = read_text("\n".join(lines[:index] + [first, *page_break, rest] + lines[index + 1:]))
                assert doc.appendices[0].rows_in_source == 11, (index + 1, height, page_break)
                row = next(r for r in doc.appendices[0].rows if r.line == index + 1)
                assert same_words(row.cells, whole[row.stt].cells), (index + 1, height)


def test_cells_that_slipped_stay_apart_from_the_row_above():
    """A value of another row is never glued to the row above because a page break stands between them."""
    text = ("STT\tTên nhiệm vụ\tĐơn vị chủ trì\tKết quả\tThời hạn\n"
            "1\tXây dựng kế hoạch chuyển đổi số\tSở Nội vụ\tKế hoạch\tTháng 5/2026\n\n"
            "\t\tSở Y tế\tQuyết định\tTháng 6/2026\n"
            "2\tTriển khai nền tảng số\tSở Tài chính\tHoàn thành\tNăm 2026\n")
    first, orphan, second = read_text(text).appendices[0].rows
    assert (first.cells["lead"], first.cells["deadline"]) == ("Sở Nội vụ", "Tháng 5/2026")
    assert (orphan.stt, orphan.cells["lead"]) == ("", "Sở Y tế") and "Thiếu STT." in orphan.warnings


def test_a_value_in_the_wrong_cell_moves_to_the_empty_cell_it_belongs_to():
    text = ("STT\tTên nhiệm vụ\tĐơn vị chủ trì\tĐơn vị phối hợp\tKết quả\tThời hạn\tGhi chú\n"
            "1\tXây dựng kế hoạch\t\tSở Tài chính\tSở Y tế\tQuý II năm 2026\t\n"
            "2\tTriển khai đề án\tSở Nội vụ\t\tĐề án\t\tTháng 6/2026\n"
            "3\tBáo cáo định kỳ\tSở Nội vụ\t\tBáo cáo hàng năm\t\t\n"
            "4\tRà soát thủ tục\tSở Nội vụ\t\tTháng 6/2026\tNăm 2026\t\n")
    first, second, third, fourth = read_text(text).appendices[0].rows
    assert (first.cells["lead"], first.cells["output"]) == ("Sở Y tế", "")
    assert "Đã chuyển «Sở Y tế» từ ô Kết quả sang ô Đơn vị chủ trì." in first.warnings
    assert (second.cells["deadline"], second.cells["note"]) == ("Tháng 6/2026", "")
    assert "Đã chuyển «Tháng 6/2026» từ ô Ghi chú sang ô Thời hạn." in second.warnings
    assert second.raw[6] == "Tháng 6/2026" and "Ô thời hạn trống." not in second.warnings
    # an output that names its rhythm is no deadline; a deadline beside one already there is not moved
    assert (third.cells["output"], third.cells["deadline"]) == ("Báo cáo hàng năm", "")
    assert (fourth.cells["output"], fourth.cells["deadline"]) == ("Tháng 6/2026", "Năm 2026")
    assert not any(w.startswith("Đã chuyển") for w in third.warnings + fourth.warnings)


@pytest.mark.parametrize("line", ["Số: 125 /KH-UBND", "Số:125/ KH-UBND", "Số 125 / KH - UBND", "Số: 125/KH-UBND"])
def test_the_document_number_is_read_whatever_spaces_it_was_typed_with(line):
    text = f"ỦY BAN NHÂN DÂN TỈNH THANH HÓA\n\n{line}\n\nThanh Hóa, ngày 05 tháng 3 năm 2026\n\n" + as_text()
    doc = read_text(text)
    assert (doc.number, doc.issued) == ("125/KH-UBND", date(2026, 3, 5))


def test_a_number_typed_with_spaces_in_a_naming_line_and_a_blank_number():
    naming = read_text("Kế hoạch số 125 / KH - UBND ngày 05/3/2026 của UBND tỉnh\n\n" + "\n".join(as_text().split(
        "\n")[4:]))
    assert naming.number == "125/KH-UBND"
    blank = read_text("Số: /UBND-CNXDKH\n\n" + as_text().replace("Kế hoạch số 12-KH/UBND", "Kế hoạch số"))
    assert blank.number is None and any(w.startswith("Số văn bản để trống") for w in blank.warnings)
