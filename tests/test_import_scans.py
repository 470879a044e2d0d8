"""Importing a scanned document (issue 17): the real fixture laid out as PDF (tests/pdf_layout.py), rendered to
images at 200 dpi and put back into a PDF without text — what a scanner gives — read by Tesseract with its
Vietnamese model. Its rows must be the rows the text layer gives, each marked as read from a scan with its
confidence; a row read with low confidence waits for a person; the web page hands the reading to the worker and
shows its progress."""

from __future__ import annotations

import copy
import io

import pypdfium2 as pdfium
import pytesseract
import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont
from sqlalchemy import select

from models import ImportBatch, db
from tests.conftest import Browser
from tests.pdf_layout import layout
from tests.photos import at_an_angle, in_shadow, on_a_desk
from tests.test_import_pdf import KEYS, LETTER, PLAN, forget_previews, plain, text_of
from workflows import settings
from workflows.importing import pipeline, scans
from workflows.importing.parsed import NOTHING_READ, ImportFormatError
from workflows.importing.perspective import squared
from workflows.importing.readers import read_any
from workflows.importing.sheet import on_the_sheet
from workflows.signatures.outgoing import FONT
from workflows.text import fold

DPI = 200
SEAL_RED = (210, 30, 40)
SEALS = [(0.45, 0.19), (0.82, 0.12)]  # over the table's cells and rules


def scanned(pdf: bytes) -> tuple[bytes, list]:
    """The pages of ``pdf`` as a scanner gives them: grey images at 200 dpi in a PDF with no text layer."""
    document = pdfium.PdfDocument(pdf)
    images = [document[i].render(scale=DPI / 72, grayscale=True).to_pil() for i in range(len(document))]
    return pdf_of(images), images


def pdf_of(images: list) -> bytes:
    """Page images as a scanner's PDF gives them: no text layer."""
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=DPI)
    return out.getvalue()


def png(image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", dpi=(DPI, DPI))
    return out.getvalue()


@pytest.fixture(scope="module")
def letter():
    """The Công văn with its 11-row appendix (a row cut by a page break), as text PDF and as scan, read once."""
    text_pdf = layout(text_of(LETTER), cut_row=3)
    scan, images = scanned(text_pdf)
    pages = list(range(1, len(images) + 1))
    return {"text": text_pdf, "scan": scan, "images": images,
            "scans": {"pages": pages, "read": scans.read_pages(scan, pages)}}


def rows_of(batch) -> list[tuple[str, list[dict]]]:
    return [(a["kind"], [{k: plain(r[k]) for k in KEYS + ("pages", "action")} for r in a["rows"]])
            for a in batch.report["appendices"]]


def test_a_scan_gives_the_rows_its_text_layer_gives(province, letter):
    from_text = pipeline.preview(province["coord"], "cong-van.pdf", letter["text"])
    expected = rows_of(from_text), [a["rows_in_source"] for a in from_text.report["appendices"]]
    forget_previews()
    from_scan = pipeline.preview(province["coord"], "cong-van-quet.pdf", letter["scan"], scans=letter["scans"])
    assert from_scan.status == "preview"
    assert rows_of(from_scan) == expected[0]  # every cell, the pages of the cut row and what committing would do
    assert [a["rows_in_source"] for a in from_scan.report["appendices"]] == expected[1]
    tasks = [r for a in from_scan.report["appendices"] if a["kind"] == "tasks" for r in a["rows"]]
    assert len(tasks) == 11
    assert all(settings.get("OCR_MIN_CONFIDENCE") <= r["scan_confidence"] <= 100 for r in tasks)
    assert from_scan.directive_title == from_text.directive_title  # the subject line, read from the page


def tasks(blocks: list, numbers: bool = False) -> list[list[str]]:
    """The table rows of a page's blocks, folded, without the row's number unless ``numbers`` (a picture turned by a
    fraction of a degree, once by a test and once back, reads a numeral alone in its cell less surely: "1." read
    "HỆ"; and a letter's case)."""
    return [[fold(cell) for cell in block[2][0 if numbers else 1:]] for block in blocks if block[1] == "row"]


@pytest.mark.parametrize("degrees", [2.0, -1.5])
def test_a_page_fed_crooked_gives_the_tasks_of_the_level_page(letter, degrees):
    """A sheet fed a degree or two askew: its ruling lines are no long dark runs until the page is turned level
    (without that, no row at all is found). The tasks then read are the level page's."""
    crooked = letter["images"][1].rotate(degrees, Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    level = tasks(letter["scans"]["read"]["2"])
    assert len(level) == 4  # the header and three tasks
    assert tasks(scans.read_pages(png(crooked), [1])["1"]) == level


@pytest.mark.parametrize("turned", [
    pytest.param(lambda image: image.transpose(Image.Transpose.ROTATE_90), id="on its side"),
    pytest.param(lambda image: image.transpose(Image.Transpose.ROTATE_180), id="upside down"),
    pytest.param(lambda image: image.transpose(Image.Transpose.ROTATE_270), id="on its other side"),
    pytest.param(lambda image: image.rotate(-88.5, Image.Resampling.BICUBIC, expand=True, fillcolor=255),
                 id="on its side and crooked"),
])
def test_a_page_fed_on_its_side_or_upside_down_gives_the_tasks_of_the_level_page(letter, turned):
    """A landscape appendix scanned as a portrait sheet, a page laid the wrong way up on the glass: on its side the
    table's ruling lines run the wrong way and its cells were read as columns of letters; upside down every cell was
    read, at about 40 % confidence, as nonsense. The page is read the right way up, and says it is sure."""
    level = tasks(letter["scans"]["read"]["2"])
    read = scans.read_pages(png(turned(letter["images"][1])), [1])["1"]
    assert tasks(read) == level
    assert scans.confidence(read) >= 90


def test_a_letter_fed_every_way_round_gives_the_rows_its_text_layer_gives(province, letter):
    """Every page of the letter fed the wrong way round — on its side, upside down, on its other side, in turn — as
    a landscape appendix or a careless hand gives them: the import's rows are the text layer's, every cell. (Read
    this way, page 3's repeated header came out "ST", and the first task's number "1;".)"""
    turns = (Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_270)
    turned = pdf_of([image.transpose(turns[i % len(turns)]) for i, image in enumerate(letter["images"])])
    pages = letter["scans"]["pages"]
    expected = rows_of(pipeline.preview(province["coord"], "cong-van.pdf", letter["text"]))
    forget_previews()
    from_scan = pipeline.preview(province["coord"], "cong-van-quet.pdf", turned,
                                 scans={"pages": pages, "read": scans.read_pages(turned, pages)})
    assert rows_of(from_scan) == expected


def jpeg(image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


@pytest.mark.parametrize("darkest, across", [(110, True), (140, False), (50, True)])
def test_a_page_photographed_in_uneven_light_gives_the_tasks_of_the_scanned_page(letter, darkest, across):
    """Where the paper falls into shadow it is darker than the grey that tells print, so the page was all ink there:
    no ruling line, no table, the tasks read as loose lines of text. The paper is made white again first. (A shadow
    to grey 50 is darker than a wooden desk: it is still paper, and not cut away as a desk would be.)"""
    read = scans.read_pages(jpeg(in_shadow(letter["images"][1].convert("L"), darkest, across)), [1])["1"]
    assert tasks(read) == tasks(letter["scans"]["read"]["2"])


def sealed(image, centres: list[tuple[float, float]] = SEALS):
    """The page in colour with a round red seal stamped at each of ``centres`` (fractions of the width and height):
    two rings and the body's name, in red ink over the print (ink over ink: the print stays dark)."""
    seals = Image.new("RGB", image.size, "white")
    draw = ImageDraw.Draw(seals)
    font = ImageFont.truetype(FONT, 28)
    for x, y in centres:
        cx, cy, r = round(image.width * x), round(image.height * y), 150
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=SEAL_RED, width=10)
        draw.ellipse((cx - r + 30, cy - r + 30, cx + r - 30, cy + r - 30), outline=SEAL_RED, width=4)
        draw.text((cx - 110, cy - 20), "SỞ KHOA HỌC", fill=SEAL_RED, font=font)
        draw.text((cx - 60, cy + 15), "VÀ CN", fill=SEAL_RED, font=font)
    return ImageChops.multiply(image.convert("RGB"), seals)


def test_a_red_seal_stamped_across_the_table_is_not_read_into_its_cells(letter):
    """A seal stamped over the table (as a dấu treo lands on an appendix's first rows): in grey its red is as dark as
    print, and the cells under it came back as "nghi q-cp n chinh" and "sgkhoaho6 gay *//8/29bb"; its rings cut the
    ruling lines. What is printed in red is left out, and the print under it kept: the cells are the unsealed page's
    (the rows' numbers aside: JPEG blurs a numeral alone in its cell, "1." read "1i;")."""
    read = scans.read_pages(jpeg(sealed(letter["images"][1]), quality=80), [1])["1"]
    assert tasks(read) == tasks(letter["scans"]["read"]["2"])


def test_a_sealed_page_photographed_in_shadow_on_its_side_gives_the_tasks_of_the_scanned_page(letter):
    """The three at once, as a phone on a desk gives them: the seal is told from print only once the light is
    evened (in shadow its red is too dark), and a rule the seal's ring crossed, broken there, is still one rule."""
    photo = in_shadow(sealed(letter["images"][1]), 140).transpose(Image.Transpose.ROTATE_90)
    read = scans.read_pages(jpeg(photo), [1])["1"]
    assert tasks(read) == tasks(letter["scans"]["read"]["2"])


@pytest.mark.parametrize("narrower, far, finish", [
    pytest.param(0.12, "bottom", png, id="far edge at the bottom 12% narrower"),
    pytest.param(0.10, "top", png, id="far edge at the top 10% narrower"),
    pytest.param(0.08, "left", png, id="held to one side, 8%"),
    pytest.param(0.06, "top", lambda image: jpeg(in_shadow(image.rotate(1.2, Image.Resampling.BICUBIC, expand=True,
                                                                        fillcolor=255), 140)),
                 id="6%, crooked, in shadow, as a JPEG"),
])
def test_a_page_photographed_at_an_angle_gives_the_tasks_of_the_scanned_page(letter, narrower, far, finish):
    """A phone held at an angle: the table's vertical lines lean towards one point, each the more the further it is
    from the middle, and are no long dark runs down the image; the table was lost (no row, or rows with their
    columns run together). The page is squared up first."""
    photo = at_an_angle(letter["images"][1], narrower, far)
    assert tasks(scans.read_pages(finish(photo), [1])["1"]) == tasks(letter["scans"]["read"]["2"])


@pytest.mark.parametrize("photo", [
    pytest.param(lambda page: jpeg(on_a_desk(page, 0.55)), id="on a wooden desk, the sheet 55% of the photo"),
    pytest.param(lambda page: jpeg(in_shadow(on_a_desk(page, 0.7, (60, 60, 70)), 130)), id="on a dark desk, in shadow"),
    pytest.param(lambda page: jpeg(on_a_desk(at_an_angle(page, 0.1, "bottom"), 0.65)), id="at an angle, on the desk"),
    pytest.param(lambda page: jpeg(on_a_desk(sealed(page), 0.7, degrees=2.5)), id="sealed, lying crooked"),
    pytest.param(lambda page: jpeg(on_a_desk(page, 0.97, degrees=1)), id="taken close, crooked: desk in the corners"),
])
def test_a_page_photographed_on_a_desk_gives_the_tasks_of_the_scanned_page(letter, photo):
    """A phone photographs the desk around the sheet. The light evening took the desk for paper in shadow and turned
    a band of it along the sheet's edges black, a frame the ruling-line search took for the table's: no row came
    back, or rows without their first column. The photo is cut to the sheet first."""
    assert tasks(scans.read_pages(photo(letter["images"][1]), [1])["1"]) == tasks(letter["scans"]["read"]["2"])


def test_a_page_with_no_desk_around_it_is_not_cut(letter):
    """A scan, or a photo of the sheet alone (taken close, on a white desk, or in shadow), is left exactly as it is;
    on a desk, the cut is the sheet, less a few millimetres of its blank margin, and holds no desk."""
    for image in letter["images"]:
        assert on_the_sheet(image) is image
    photo = at_an_angle(letter["images"][1], 0.12, "bottom")
    assert on_the_sheet(photo) is photo
    # a shadow from a corner darkens most of the border, as a desk would, but it falls off smoothly: no edge
    cornered = in_shadow(in_shadow(letter["images"][1].convert("L"), 60), 60, across=False)
    assert on_the_sheet(cornered) is cornered
    for size in ((3000, 10), (10, 3000), (1, 1)):  # a strip or a dot holds no sheet (a strip failed with ValueError)
        strip = Image.new("L", size, 90)
        assert on_the_sheet(strip) is strip
    page = letter["images"][1].convert("RGB")
    cut = on_the_sheet(on_a_desk(page, 0.6, degrees=2))
    turned = page.rotate(2, expand=True)
    assert 0.95 * turned.width < cut.width <= turned.width and 0.95 * turned.height < cut.height <= turned.height
    corners = [cut.getpixel((x, y)) for x in (0, cut.width - 1) for y in (0, cut.height - 1)]
    assert corners == [(255, 255, 255)] * 4  # the desk in the corners of a crooked sheet's cut is paper now


@pytest.mark.parametrize("read, meant", [("lÌ", "II"), ("lII", "III"), ("Ví", "VI"), ("1;", "1."), ("11", "11"),
                                         ("Tỉnh", "Tỉnh")])
def test_a_section_or_row_number_misread_alone_in_its_cell_is_mended(read, meant):
    """Alone in a narrow cell Tesseract reads a Roman numeral's I as "l", "|" or an accented I (section II of plan 003
    photographed at an angle came back "lÌ", and was taken for a task); the number is mended, nothing else is."""
    assert scans._numeral(read) == meant


def test_a_row_number_misread_in_a_scan_is_taken_from_the_rows_either_side(province, letter):
    """A row's number alone in its cell is what OCR misreads most on a photographed page ("1" came back "XU,", "11"
    "TÚI §"); the number names the task in an amending document ("nhiệm vụ số 5 Phụ lục I") and keys it on import.
    Where the rows either side agree on it, the number is theirs, and the row says what was read."""
    def tasks(batch) -> list[dict]:
        return [r for a in batch.report["appendices"] if a["kind"] == "tasks" for r in a["rows"]]

    expected = rows_of(pipeline.preview(province["coord"], "cong-van-quet.pdf", letter["scan"],
                                        scans=letter["scans"]))
    forget_previews()
    misread = copy.deepcopy(letter["scans"])
    numbered = {b[2][0].strip(): b for blocks in misread["read"].values() for b in blocks if b[1] == "row"}
    misreadings = {"2": "XU,", "4": "TÚI §", "6": "lO", "7": "1l", "9": "19", "11": "HÙU"}
    for meant, read in misreadings.items():
        numbered[meant][2][0] = read
    batch = pipeline.preview(province["coord"], "cong-van-quet.pdf", letter["scan"], scans=misread)
    rows = tasks(batch)
    assert [r["stt"] for r in rows] == ["1.", "2", "3", "4", "5", "lO", "1l", "8", "9", "10", "11"]
    for number in (2, 4, 9, 11):
        assert f"STT đọc từ ảnh là «{misreadings[str(number)]}», lấy theo các dòng liền kề: {number}." \
            in rows[number - 1]["warnings"]
    # two misread side by side: neither has two neighbours to go by, so both stay as read (the preview's numbering
    # check tells the gap), and nothing else of any row changed
    assert not any("lấy theo các dòng liền kề" in w for r in rows[5:7] for w in r["warnings"])
    for row in expected[0][1][5:7]:
        row["stt"] = misreadings[row["stt"]]
    assert rows_of(batch) == expected


@pytest.mark.parametrize("read, number", [("III", True), ("lII", True), ("12.", True), ("|", False), ("l", False),
                                          ("_", False), ("O", False), ("m", False)])
def test_a_cell_read_as_one_character_gives_a_number_or_nothing(read, number):
    """What Tesseract gave for "III" read as one character ("III", or "lII" on a photo of it), and for specks and
    strokes ("|" for a bar, "_" for a dash, "O" for a ring, "m" for a smudge): only numbers are kept."""
    assert scans._a_number(read) is number


def test_a_section_numeral_of_three_strokes_is_read():
    """Read as a line of text, the three strokes of section "III" of plan 003 were taken for ruling lines and nothing
    came back: the section's tasks were filed under the section before, with a warning that section III was
    missing. A number Tesseract's line reader finds nothing in is read again as one character."""
    scan, _ = scanned(layout(text_of(PLAN), None))
    rows = [block[2] for block in scans.read_pages(scan, [2])["2"] if block[1] == "row"]
    assert ["III", "HOÀN THIỆN THỂ CHẾ, CHÍNH SÁCH"] in [[cell for cell in row if cell] for row in rows]


@pytest.mark.parametrize("restarts", [False, True], ids=["numbered on across sections", "numbered again in each"])
def test_a_misread_row_number_follows_the_document_s_numbering_by_section(province, letter, restarts):
    """A plan's sections either number their rows on (plan 003: row 7, alone in its section IV, came back "y/") or
    start again at 1. A misread row number takes the number the rows either side agree on, or else the one its own
    section gives it."""
    misread = copy.deepcopy(letter["scans"])

    def heading(before_row: str, numeral: str, title: str) -> None:
        blocks = next(blocks for blocks in misread["read"].values() if any(b[2][0] == before_row for b in blocks))
        at = next(i for i, b in enumerate(blocks) if b[2][0] == before_row)
        blocks.insert(at, [blocks[at][0] - 1, "row", [numeral, title] + [""] * (len(blocks[at][2]) - 2), 95])

    # section I: rows 1-3; II: row 4 (numbered on) or rows 4-5 (numbered again); III: the rest
    heading("1.", "I", "NHIỆM VỤ CHUNG")
    heading("4", "II", "NHIỆM VỤ VỀ AN NINH MẠNG")
    heading("6" if restarts else "5", "III", "NHIỆM VỤ VỀ KHOA HỌC, CÔNG NGHỆ")
    rows = [b for blocks in misread["read"].values() for b in blocks if b[1] == "row" and b[2][0].isdigit()]
    if restarts:
        for block in rows:
            number = int(block[2][0])
            block[2][0] = str(number - 3 if number in (4, 5) else number - 5 if number >= 6 else number)
    next(b for b in rows if b[2][1].startswith("Sửa đổi"))[2][0] = "y/"  # the first row of section II
    batch = pipeline.preview(province["coord"], "cong-van-quet.pdf", letter["scan"], scans=misread)
    rows = [r for a in batch.report["appendices"] if a["kind"] == "tasks" for r in a["rows"]]
    assert [r["section"].split(".")[0] for r in rows[2:6]] == (["I", "II", "II", "III"] if restarts
                                                              else ["I", "II", "III", "III"])
    assert rows[3]["stt"] == ("1" if restarts else "4")
    assert f"STT đọc từ ảnh là «y/», lấy theo các dòng liền kề: {rows[3]['stt']}." in rows[3]["warnings"]


def test_a_page_scanned_square_on_is_left_as_it_is(letter):
    """Squaring up measures the page's ruling lines: where they run parallel (every scan), or where there is no ruled
    table to tell how the page was taken (a page of the letter's text), the page is not resampled at all."""
    for image in letter["images"]:
        page = scans.upright(scans.page_image(png(image), 1))
        assert squared(page) is page
    prose = scans.upright(scans.page_image(png(at_an_angle(letter["images"][0], 0.12, "bottom")), 1))
    assert squared(prose) is prose


def test_a_letter_fed_on_its_side_reads_its_lines_in_order(letter):
    """A page of text on its side read as it lay gave its lines, each word right, in the order of their ends down
    the sheet: the subject line came before the name of the issuing body. Turned upright, they come top to bottom."""
    def lines(blocks: list) -> list[str]:
        return [fold(block[2]) for block in blocks if block[1] == "text"]

    level = lines(letter["scans"]["read"]["1"])
    assert len(level) > 10
    on_its_side = letter["images"][0].transpose(Image.Transpose.ROTATE_270)
    assert lines(scans.read_pages(png(on_its_side), [1])["1"]) == level


@pytest.mark.parametrize("misread", ["ST", "STI"])
def test_a_header_misread_on_the_next_page_still_joins_the_row_the_break_cut(province, letter, misread):
    """Task 3 runs over the page break; the header repeated on the next page tells the row below it is the rest of
    the task. OCR misread a letter of that header on one page (page 3 of the letter turned upside down read "ST"):
    the header was taken for a new table's, and the rest of task 3 became a task of its own, without number."""
    expected = rows_of(pipeline.preview(province["coord"], "cong-van-quet.pdf", letter["scan"],
                                        scans=letter["scans"]))
    forget_previews()
    misread_scans = copy.deepcopy(letter["scans"])
    header = misread_scans["read"]["3"][0][2]
    assert fold(header[0]) == "stt"
    header[0] = misread
    assert rows_of(pipeline.preview(province["coord"], "cong-van-quet.pdf", letter["scan"],
                                    scans=misread_scans)) == expected


def test_a_row_read_with_low_confidence_waits_for_a_person(app, province, letter):
    doubtful = copy.deepcopy(letter["scans"])
    page, index = next((p, i) for p, blocks in doubtful["read"].items() for i, b in enumerate(blocks)
                       if b[1] == "row" and b[2][0].strip() == "2")
    doubtful["read"][page][index][3] = 61  # Tesseract's own figure for a smudged row
    batch = pipeline.preview(province["coord"], "cong-van-quet.pdf", letter["scan"], scans=doubtful)
    browser = Browser(app.test_client())
    browser.login("coord")
    page_html = browser.client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "đọc từ ảnh quét · 61%" in page_html
    assert "Dòng đọc từ ảnh quét với độ tin cậy 61% (dưới 80%)" in page_html
    [table] = [a for a in batch.report["appendices"] if a["kind"] == "tasks"]
    row = next(r for r in table["rows"] if r["stt"] == "2")
    assert row["action"] == "flagged"
    response = browser.client.post(f"/imports/{batch.id}/rows/{table['index']}/{row['number']}",
                                   data={"csrf_token": browser.csrf(f"/imports/{batch.id}"), "action": "checked"},
                                   follow_redirects=True)
    assert "Đã cập nhật dòng" in response.get_data(as_text=True)
    db.session.expire_all()
    [table] = [a for a in db.session.get(ImportBatch, batch.id).report["appendices"] if a["kind"] == "tasks"]
    assert next(r for r in table["rows"] if r["stt"] == "2")["action"] == "new"  # compared by a person: imported


def test_the_page_hands_a_scan_to_the_worker_and_shows_its_progress(app, province, letter):
    browser = Browser(app.test_client())
    browser.login("coord")
    response = browser.client.post("/imports", data={"csrf_token": browser.csrf("/imports"),
                                                      "file": (io.BytesIO(png(letter["images"][1])), "trang-2.png")},
                                   content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Đang đọc ảnh quét (0/1 trang)" in page and "Bạn có thể rời trang này" in page
    batch = db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))
    assert browser.client.get(f"/imports/{batch.id}/progress").get_json() == {"status": "reading", "read": 0,
                                                                            "pages": 1}
    assert "Đang đọc ảnh quét (0/1 trang)" in browser.client.get("/imports").get_data(as_text=True)

    assert pipeline.read_waiting_scans() == {"batches": 1, "pages": 1}
    assert pipeline.read_waiting_scans() == {"batches": 0, "pages": 0}  # read once
    assert browser.client.get(f"/imports/{batch.id}/progress").get_json() == {"status": "preview", "read": 1,
                                                                            "pages": 1}
    page = browser.client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Ghi danh mục" in page and "đọc từ ảnh quét · " in page
    assert "Sở Công Thương" in page and "15/04/2026" in page
    response = browser.client.post(f"/imports/{batch.id}/commit", data={"csrf_token": browser.csrf(
        f"/imports/{batch.id}")}, follow_redirects=True)
    assert "Đã ghi danh mục: 3 nhiệm vụ mới" in response.get_data(as_text=True)


def test_a_cancelled_reading_is_not_read_and_a_missing_tesseract_is_said(app, province, letter, monkeypatch):
    page = png(letter["images"][1])
    cancelled = pipeline.preview(province["coord"], "trang-2.png", page)
    pipeline.cancel(province["coord"], cancelled.id)
    waiting = pipeline.preview(province["coord"], "trang-2.png", page)
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/khong-co/tesseract")
    assert pipeline.read_waiting_scans() == {"batches": 1, "pages": 0}
    db.session.expire_all()
    assert db.session.get(ImportBatch, cancelled.id).status == "cancelled"
    assert db.session.get(ImportBatch, waiting.id).status == "failed"
    browser = Browser(app.test_client())
    browser.login("coord")
    html = browser.client.get(f"/imports/{waiting.id}").get_data(as_text=True)
    assert "Máy chủ chưa cài Tesseract OCR" in html and "Hủy lượt nhập" in html
    assert "Không đọc được" in browser.client.get("/imports").get_data(as_text=True)


def test_a_blank_scan_is_read_and_said_so(province):
    blank = io.BytesIO()
    Image.new("L", (1654, 2339), 255).save(blank, "PDF", resolution=DPI)
    batch = pipeline.preview(province["coord"], "trang-trang.pdf", blank.getvalue())
    assert batch.status == "reading" and batch.pages_to_read == 1
    assert pipeline.read_waiting_scans() == {"batches": 1, "pages": 1}
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch.id)
    assert batch.status == "failed" and batch.scan["error"] == NOTHING_READ


def test_a_broken_image_is_refused_with_a_reason(province):
    with pytest.raises(ImportFormatError) as refused:
        read_any("anh.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200)
    assert str(refused.value) == scans.BAD_IMAGE


def test_the_command_line_reads_a_scan_page_by_page(app, province, letter, tmp_path):
    path = tmp_path / "trang-2.png"
    path.write_bytes(png(letter["images"][1]))
    result = app.test_cli_runner().invoke(args=["import-tasks", str(path), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Đã đọc ảnh quét trang 1." in result.stderr
    assert "3 dòng" in result.stdout or "3 nhiệm vụ" in result.stdout, result.stdout


def test_a_lead_column_whose_header_the_scan_lost_is_read_by_its_agency_names(province):
    """Letter 000 scanned at 200 dpi: OCR read every row but not the header cell "Đơn vị chủ trì" (it came back
    empty), and all eleven rows lost their lead though "Sở Công Thương", "Công an tỉnh" stood in that column. A
    column without a header, in a table without a lead column, whose cells are agency names is the lead column, and
    the preview says so. (The table as OCR gives it, without the minute OCR takes.)"""
    table = ("| STT | Tên nhiệm vụ | Văn bản giao nhiệm vụ | | Thời gian hoàn thành | Kết quả/sản phẩm |\n"
             "|---|---|---|---|---|---|\n"
             "| 1 | Xây dựng chương trình thúc đẩy tiêu dùng sản phẩm số | Nghị quyết số 11/NQ-CP | Sở Công Thương "
             "| 15/4/2026 | Chương trình |\n"
             "| 2 | Hoàn thiện Đề án chỉnh lý tài liệu điện tử | Công văn số 724-CV/VPTU | Sở Nội vụ | 15/4/2026 "
             "| Đề án |\n"
             "| 3 | Thành lập Tiểu ban chỉ đạo an ninh mạng | Kế hoạch số 04-KH/BCĐTW | Công an tỉnh | 31/3/2026 "
             "| Quyết định |\n")
    batch = pipeline.preview(province["coord"], "scan.txt", table.encode())
    rows = batch.report["appendices"][0]["rows"]
    assert [r["lead_agencies"] for r in rows] == [["Sở Công Thương"], ["Sở Nội vụ"], ["Công an tỉnh"]]
    assert any("cột 4 không đọc được tiêu đề" in w for w in batch.report["document"]["warnings"])
