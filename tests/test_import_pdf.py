"""Importing an official document as it travels: a PDF with a text layer (issue 17). The real fixtures are laid
out as PDF here (tests/pdf_layout.py) — tables with ruling lines, the header repeated on each page, a row cut by
a page break — and must give the rows the text export of the same document gives, each with its pages."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import delete

from models import AgencyReview, ImportBatch, db
from tests.conftest import FIXTURES, Browser
from tests.pdf_layout import layout
from workflows.errors import Invalid
from workflows.importing import pipeline

LETTER = "000_ab3eae2516c89758.txt"  # Công văn of UBND tỉnh: five numbered assignments and an 11-row appendix
PLAN = "003_14d8a83fabc51ce7.txt"  # a plan's appendix of 14 tasks under sections, over several pages
KEYS = ("stt", "section", "title", "lead_agencies", "collaborating_agencies", "central_agencies", "output_type",
        "expected_output", "deadline_text", "effective_due", "recurrence", "action", "not_a_task")


def text_of(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def plain(value):
    """A cell's words, whatever the line breaks of its layout (a PDF wraps cells at other places)."""
    return " ".join(value.split()) if isinstance(value, str) else value


def forget_previews() -> None:
    db.session.execute(delete(AgencyReview))
    db.session.execute(delete(ImportBatch))
    db.session.commit()


def rows_of(batch) -> list[tuple[str, list[dict]]]:
    return [(a["kind"], [{k: plain(r[k]) for k in KEYS} for r in a["rows"]]) for a in batch.report["appendices"]]


@pytest.mark.parametrize(("name", "cut_row", "even"), [(LETTER, 3, False), (PLAN, None, False), (LETTER, None, True)],
                         ids=["letter-row-cut", "plan", "letter-evenly-spaced"])
def test_a_pdf_gives_the_rows_its_text_export_gives(province, name, cut_row, even):
    """Evenly spaced, the letter's heading lines ran into one paragraph ending "Kính gửi:": its addressees became
    four rows without a title, and the appendix was named after "Nơi nhận"'s last lines."""
    text = text_of(name)
    from_text = pipeline.preview(province["coord"], name, text.encode())
    expected = rows_of(from_text), [a["rows_in_source"] for a in from_text.report["appendices"]]
    titles = [a["title"] for a in from_text.report["appendices"]]
    forget_previews()  # the second preview must not see the names the first one put up for review
    from_pdf = pipeline.preview(province["coord"], name.replace(".txt", ".pdf"), layout(text, cut_row, even))
    # (evenly spaced, "(Ban hành kèm theo …)" runs into the heading's paragraph and stays in the title)
    assert all(plain(got["title"]).startswith(plain(want))
               for got, want in zip(from_pdf.report["appendices"], titles, strict=True))
    for (kind_pdf, pdf_rows), (kind_text, text_rows) in zip(rows_of(from_pdf), expected[0], strict=True):
        assert kind_pdf == kind_text and len(pdf_rows) == len(text_rows)
        for got, want in zip(pdf_rows, text_rows, strict=True):
            assert {k: v for k, v in got.items() if v != want[k]} == {}, (want["stt"], want["lead_agencies"])
    assert [a["rows_in_source"] for a in from_pdf.report["appendices"]] == expected[1]
    pages = [r["pages"] for a in from_pdf.report["appendices"] if a["kind"] == "tasks" for r in a["rows"]]
    assert all(pages) and len({p for row in pages for p in row}) >= 2  # the table runs over pages, each row says where


def test_a_row_cut_by_a_page_break_is_joined_and_says_its_two_pages(province):
    batch = pipeline.preview(province["coord"], "cong-van.pdf", layout(text_of(LETTER), cut_row=3))
    [table] = [a for a in batch.report["appendices"] if a["kind"] == "tasks"]
    row = next(r for r in table["rows"] if r["stt"] == "3")
    first, second = row["pages"]
    assert second == first + 1
    assert f"Dòng nối tiếp từ trang trước đã được ghép (trang {second})." in row["warnings"]
    assert row["title"].startswith("Lựa chọn tối thiểu 03 bài toán lớn") or row["title"]
    assert all(len(r["pages"]) == 1 for r in table["rows"] if r["stt"] != "3")


def test_the_preview_page_says_the_pages_and_the_command_line_reads_a_pdf(app, province, tmp_path):
    browser = Browser(app.test_client())
    browser.login("coord")
    pdf = layout(text_of(LETTER), cut_row=3)
    response = browser.client.post("/imports", data={"csrf_token": browser.csrf("/imports"),
                                                      "file": (io.BytesIO(pdf), "cong-van.pdf")},
                                   content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:500]
    assert "trang 2–3" in page or "trang 1–2" in page or "trang 3–4" in page
    path = tmp_path / "cong-van.pdf"
    path.write_bytes(pdf)
    result = app.test_cli_runner().invoke(args=["import-tasks", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "11" in result.output


def test_a_table_printed_without_ruling_lines_is_named_not_lost_without_a_word(province):
    """Letter 000 printed with its appendix table unruled: the five assignments of its text were read, the eleven
    rows of its table vanished and nothing said so. The preview names the page and the table's header and says how
    to bring the rows in; a plan that is nothing but such a table is refused with the same words."""
    batch = pipeline.preview(province["coord"], "cong-van.pdf", layout(text_of(LETTER), ruled=False))
    assert [a["kind"] for a in batch.report["appendices"]] == ["prose"]  # the letter's own sentences
    [said] = [w for w in batch.report["document"]["warnings"] if "bảng không kẻ ô" in w]
    assert said.startswith("Trang ") and "«STT Tên nhiệm vụ" in said and "bản Word (.docx)" in said
    with pytest.raises(Invalid) as refused:
        pipeline.preview(province["coord"], "ke-hoach.pdf", layout(text_of(PLAN), ruled=False))
    assert "bảng không kẻ ô" in refused.value.message
