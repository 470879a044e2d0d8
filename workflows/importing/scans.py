"""Scanned pages read by OCR (Tesseract with its Vietnamese model, through pytesseract): a page image becomes the
blocks a page with a text layer gives (``pdf_items``) — its table rows and its lines of text, top to bottom — each
with Tesseract's confidence (0–100).

Table structure comes from the image's ruling lines: a scanned appendix is a printed table. Dark runs much longer
than any letter are found on the image shrunk along one axis (a box filter; a line stays dark, text does not);
horizontal lines joined by vertical ones make a table, and the vertical lines that cross a row band divide it into
cells (a section row spanning the table is one cell, given to its first column, as a PDF with a text layer gives
it). Each cell is read on its own (a uniform block of text), so that words never wander into the next column; the
text outside the tables is read as a page with the tables blanked out.

A page is read at about 300 dpi: a 200-dpi scan of 7.5-point text is enlarged first (Tesseract reads small print
much better that way). A page fed crooked into the scanner (up to ``MAX_SKEW`` degrees) or on its side is turned
level first (``upright``): askew, its ruling lines are no long dark runs and its table would be read as loose text;
on its side, its lines come out in the order of their ends. A page read doubtfully is read again upside down and
the surer reading kept (``read_page``). A page photographed lying on a desk is cut out of the desk first
(``sheet``). A page photographed in uneven light, or with a shadow across it, has its
paper made white again first (``evenly_lit``): greyed paper reads as ink, and hides the ruling lines. What is printed
in red — the seal stamped across the text — is left out of a colour page (``grey_without_seals``). A page
photographed at an angle, its table narrower at the far edge, is squared up (``perspective``).
"""

from __future__ import annotations

import functools
import io
import os
import re
from bisect import bisect_right
from collections.abc import Callable

import pypdfium2 as pdfium
import pytesseract
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageMath, UnidentifiedImageError

from workflows.errors import N_
from workflows.importing.parsed import ImportFormatError
from workflows.importing.pdf_items import BAD_PDF, Line, cell_text, goes_on
from workflows.importing.perspective import squared
from workflows.importing.sheet import on_the_sheet

# Tesseract's OpenMP threads spin while they wait: on two shared cores one thread reads a page five times faster
# (bench/ocr_bench.py: 10 against 50 pages a minute). The worker reads one page at a time on one core.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")
LANG = "vie"
TARGET_DPI = 300
ONE_LINE = 80  # pixels: a cell's ink this tall holds one line of print at 300 dpi (two need ~100)
MAX_SKEW = 5.0  # degrees: a sheet fed crooked; a page turned further is not a skew but a page the wrong way round
RED = 40  # a seal's red over its green and blue (its ink ~170, its edges in a JPEG 40-60; black, grey, blue ~0)
UNDER_SEAL = 110  # seen through its red channel, a seal's pixel darker than this is print under the seal
PAPER = 200  # grey level under which a page's paper is in shadow (a phone's photo, a scanner's lid left open)
DOUBTFUL = 80  # a page's confidence under which it may be upside down (upright pages read 94–96, turned 39–51)
MAX_PIXELS = 80_000_000  # an A3 page at 600 dpi is 70 MP; beyond that it is no scan but a decompression bomb
MISREAD_I = "|lÌÍỈĨỊìíỉĩị"  # what Tesseract's Vietnamese model reads a Roman numeral's I as, alone in a cell
NUMBER_ALONE = re.compile(r"[IVX]{1,5}\.?|\d{1,3}\.?")  # what a cell read as one character may be: "III", "12."
IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"II*\x00", b"MM\x00*")
NO_TESSERACT = N_("Máy chủ chưa cài Tesseract OCR với dữ liệu tiếng Việt (gói tesseract-ocr-vie) nên chưa đọc được "
                  "ảnh quét. Vui lòng báo quản trị hệ thống.")
BAD_IMAGE = N_("Tệp ảnh bị hỏng hoặc không phải ảnh quét đọc được (PNG, JPEG, TIFF).")
HUGE_IMAGE = N_("Ảnh quét quá lớn để đọc (quá 80 triệu điểm ảnh một trang).")

Block = list  # [top, "row", cells, confidence] or [top, "text", text, confidence]; JSON as it is stored


def is_image(content: bytes) -> bool:
    return content.startswith(IMAGE_MAGIC)


def _open_image(content: bytes) -> Image.Image:
    """The image, refused when damaged or larger than a page can be (Pillow's own bomb check stays as it is)."""
    try:
        image = Image.open(io.BytesIO(content))
        if image.width * image.height > MAX_PIXELS:
            raise ImportFormatError(HUGE_IMAGE)
        return image
    except Image.DecompressionBombError as exc:
        raise ImportFormatError(HUGE_IMAGE) from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ImportFormatError(BAD_IMAGE) from exc


def image_page_count(content: bytes) -> int:
    """The pages of an image file (a multi-page TIFF has several)."""
    return getattr(_open_image(content), "n_frames", 1)


def page_image(content: bytes, number: int) -> Image.Image:
    """Page ``number`` (1-based) of a PDF or an image file at about TARGET_DPI, in grey: cut out of the desk it was
    photographed on (``sheet.on_the_sheet``), its light evened (``evenly_lit``), its red seals left out
    (``grey_without_seals``)."""
    photo = is_image(content)
    image = _photo(content, number) if photo else _rendered(content, number)
    sheet = on_the_sheet(image)
    page = grey_without_seals(evenly_lit(sheet))
    dpi = max(page.size) / 11.69  # as if the long side were an A4 sheet's; a scan's dpi tag is often wrong
    if (photo or sheet is not image) and dpi < TARGET_DPI * 0.8:
        scale = TARGET_DPI / dpi
        page = page.resize((round(page.width * scale), round(page.height * scale)), Image.Resampling.LANCZOS)
    return page


def _photo(content: bytes, number: int) -> Image.Image:
    image = _open_image(content)
    try:
        image.seek(number - 1)
        return _grey_or_colour(image)
    except (OSError, EOFError, ValueError) as exc:
        raise ImportFormatError(BAD_IMAGE) from exc


def _rendered(content: bytes, number: int) -> Image.Image:
    """A PDF's page at TARGET_DPI, in colour."""
    try:
        document = pdfium.PdfDocument(content)
        page = document[number - 1]
        width, height = page.get_size()
        if width * height * (TARGET_DPI / 72) ** 2 > MAX_PIXELS:
            raise ImportFormatError(HUGE_IMAGE)
        return page.render(scale=TARGET_DPI / 72).to_pil().convert("RGB")
    except pdfium.PdfiumError as exc:
        raise ImportFormatError(BAD_PDF) from exc


def grey_without_seals(image: Image.Image) -> Image.Image:
    """The page in grey, with what is printed in red left out: the seal (con dấu) stamped over the signature, over
    an appendix's first lines (dấu treo) or across a table, and red marks. In grey a seal's red is as dark as print:
    its rings cut the ruling lines and its letters garble every cell it covers. A pixel is red where its red
    outweighs its green and blue by ``RED``; print under a seal stays dark in every colour and is kept. (``image``:
    "L" or "RGB", its light evened first: in shadow a seal's red is too dark to tell from print.)"""
    if image.mode == "L":
        return image
    grey = image.convert("L")
    if _redness(image.reduce(4)).getextrema()[1] <= RED:  # no red on the page (a grey scan in a colour PDF): as it is
        return grey
    # (and the pixels next to it, where a JPEG smeared its red into print and paper)
    seal = _redness(image).point(lambda v: 255 if v > RED else 0).filter(ImageFilter.MaxFilter(5))
    red = image.getchannel("R")  # (seen through red, red ink is light and the print under it stays dark)
    grey.paste(red.point(lambda v: 255 if v > UNDER_SEAL else v), mask=seal)
    return grey


def _grey_or_colour(image: Image.Image) -> Image.Image:
    return image.convert("L" if image.mode in ("1", "L", "LA", "I", "I;16", "F") else "RGB")


def _redness(rgb: Image.Image) -> Image.Image:
    red, green, blue = rgb.split()
    return ImageChops.subtract(red, ImageChops.lighter(green, blue))


def read_pages(content: bytes, pages: list[int], done: Callable[[int, list[Block]], None] | None = None
               ) -> dict[str, list[Block]]:
    """The blocks of each page in ``pages``, by page number (as a string: the JSON key it is stored under);
    ``done(page, blocks)`` is told after each page (progress, and keeping what is read)."""
    read: dict[str, list[Block]] = {}
    for number in pages:
        blocks = read_page(page_image(content, number))
        read[str(number)] = blocks
        if done:
            done(number, blocks)
    return read


def read_page(image: Image.Image) -> list[Block]:
    """The blocks of one page image: table rows and lines of text with their confidence, top to bottom. The page is
    levelled (``upright``) and, photographed at an angle, squared up (``perspective.squared``). A page read
    doubtfully (under ``DOUBTFUL``) is read again turned over and the surer reading kept: Tesseract reads a page
    the wrong way up at under half its confidence the right way up."""
    image = squared(upright(image))
    blocks = _read(image)
    sure = confidence(blocks)
    if blocks and sure < DOUBTFUL:
        turned = _read(image.transpose(Image.Transpose.ROTATE_180))
        if confidence(turned) > sure:
            return turned
    return blocks


def confidence(blocks: list[Block]) -> float:
    """The page's confidence: its blocks', weighted by their characters (0 for a page without text)."""
    sizes = [len(b[2]) if isinstance(b[2], str) else sum(len(cell) for cell in b[2]) for b in blocks]
    return sum(b[3] * n for b, n in zip(blocks, sizes, strict=True)) / max(1, sum(sizes))


def _read(image: Image.Image) -> list[Block]:
    ink = image.point(lambda p: 255 if p < 160 else 0)
    window = max(20, round(image.width / 60))  # longer than any letter at this size, shorter than a narrow cell
    tables = _tables(_segments(ink, True, window), _segments(ink, False, window), window)
    blocks: list[Block] = []
    for table in tables:
        blocks.extend(_table_rows(image, ink, table, window))
    blocks.extend(_text_outside(image, ink, tables, window))
    return sorted(blocks, key=lambda b: b[0])


def evenly_lit(image: Image.Image) -> Image.Image:
    """The page ("L" or "RGB") with its paper white again where a shadow or uneven light greyed it: every pixel divided
    by the paper's brightness around it — the brightest of the 16-pixel squares within about a centimetre, where
    print is too thin to reach. In shadow, paper is darker than the grey that tells print (160) and the ruling lines
    are lost in it. A page whose paper is light everywhere (a scanner's) is left as it is."""
    grey = image.convert("L")
    small = grey.resize((max(1, grey.width // 16), max(1, grey.height // 16)), Image.Resampling.BOX)
    paper = small.filter(ImageFilter.MaxFilter(7))
    if paper.getextrema()[0] >= PAPER:
        return image
    paper = paper.filter(ImageFilter.BoxBlur(3)).point(lambda v: max(v, 1)).resize(image.size,
                                                                                   Image.Resampling.BILINEAR)
    bands = [ImageMath.lambda_eval(lambda m: m["min"](m["page"] * 255 / m["paper"], 255), page=band,
                                   paper=paper).convert("L") for band in image.split()]
    return Image.merge(image.mode, bands)


def upright(image: Image.Image) -> Image.Image:
    """The page with its lines of print level: turned by the small angle of a sheet fed crooked, or by a quarter
    turn more when it was fed on its side (its lines then run down the image). Either way the angle is the one at
    which the page's rows (or columns) of pixels are most unequal — lines of print and ruling lines each along a
    row, the gaps between them white — searched on a small copy by half degrees and then by tenths; a page within
    a tenth or two of level is left as it is. Which way up the page then stands is for ``read_page`` to find."""
    small = image.resize((600, max(1, round(image.height * 600 / image.width))), Image.Resampling.BOX)
    small = small.point(lambda p: 255 if p < 160 else 0)

    @functools.cache  # (the fine search starts from, and reaches, angles the coarse one measured)
    def unevenness(angle: float) -> tuple[float, float]:
        turned = small.rotate(angle, Image.Resampling.BILINEAR)
        return (_variance(turned.resize((1, turned.height), Image.Resampling.BOX).tobytes()),
                _variance(turned.resize((turned.width, 1), Image.Resampling.BOX).tobytes()))

    def best(angles: list[float], axis: int) -> float:
        # the angle nearest level wins a tie: a blank or a level page stays as it is
        return max(sorted(angles, key=abs), key=lambda angle: unevenness(angle)[axis])

    steps = round(MAX_SKEW * 2)
    coarse = [i / 2 for i in range(-steps, steps + 1)]
    rows, columns = best(coarse, 0), best(coarse, 1)
    sideways = unevenness(columns)[1] > unevenness(rows)[0]
    axis = 1 if sideways else 0
    angle = best([(columns if sideways else rows) + i / 10 for i in range(-5, 6)], axis)
    if sideways:  # a quarter turn, and the skew: lines that ran down the page now run across it
        image = image.transpose(Image.Transpose.ROTATE_90)
    if abs(angle) < 0.2:
        return image
    return image.rotate(angle, Image.Resampling.BICUBIC, expand=True, fillcolor=255)


def _variance(values: bytes) -> float:
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / len(values)


# ---------------------------------------------------------------- ruling lines and tables

def _segments(ink: Image.Image, horizontal: bool, window: int) -> list[tuple[int, int, int]]:
    """Long dark runs: (position across, start, end along) — a horizontal line's y and x extent, or a vertical
    line's x and y extent. The image is shrunk along the run's direction by ``window``: a pixel of the shrunk image
    is dark only where the whole window was."""
    width, height = ink.size
    small = ink.resize((max(1, width // window), height) if horizontal else (width, max(1, height // window)),
                       Image.Resampling.BOX)
    small_w, small_h = small.size
    data = small.tobytes()
    found: list[tuple[int, int, int]] = []
    across, along = (small_h, small_w) if horizontal else (small_w, small_h)
    for a in range(across):
        start = None
        for b in range(along + 1):
            on = b < along and data[a * small_w + b if horizontal else b * small_w + a] > 200
            if on and start is None:
                start = b
            elif not on and start is not None:
                if b - start >= 3:  # three windows: longer than a word's underline or a dash
                    found.append((a, start * window, b * window))
                start = None
    merged: list[list[int]] = []  # a line two or three pixels thick is one line
    for position, start, end in sorted(found):
        last = merged[-1] if merged else None
        if last and position - last[1] <= 4 and start < last[3] and end > last[2]:
            last[1], last[2], last[3] = position, min(last[2], start), max(last[3], end)
        else:
            merged.append([position, position, start, end])
    return [((first + last) // 2, start, end) for first, last, start, end in merged]


class _Table:
    def __init__(self, rules: list[tuple[int, int, int]], columns: list[tuple[int, int, int]]):
        self.rules = rules  # horizontal lines, top to bottom
        self.columns = columns  # vertical lines crossing it, left to right
        self.box = (min(c[0] for c in columns), rules[0][0], max(c[0] for c in columns), rules[-1][0])


def _tables(rows: list, columns: list, window: int) -> list[_Table]:
    """Horizontal lines joined by vertical lines, as tables (at least one row band between two vertical lines)."""
    def joined(upper: int, lower: int) -> list:
        return [c for c in columns if c[1] - window <= upper and c[2] + window >= lower]

    tables: list[_Table] = []
    run: list = []
    for rule in rows + [None]:
        if rule is not None and run and len(joined(run[-1][0], rule[0])) >= 2:
            run.append(rule)
            continue
        if len(run) >= 2:
            crossing = _one_per_place([c for c in columns
                                       if c[1] - window <= run[-1][0] and c[2] + window >= run[0][0]])
            if len(crossing) >= 2:
                tables.append(_Table(run, crossing))
        run = [rule] if rule is not None else []
    return tables


def _one_per_place(columns: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """The pieces of one vertical line as one line: where a seal, a fold or the scanner broke a column's rule, its
    pieces (a pixel or two apart across) would each divide the rows, into cells no wider than that."""
    joined: list[tuple[int, int, int]] = []
    for place, start, end in sorted(columns):
        if joined and place - joined[-1][0] <= 4:
            joined[-1] = (joined[-1][0], min(joined[-1][1], start), max(joined[-1][2], end))
        else:
            joined.append((place, start, end))
    return joined


def _table_rows(image: Image.Image, ink: Image.Image, table: _Table, window: int) -> list[Block]:
    """One block per row band of a table: its cells under the table's columns (a cell spanning several columns
    given to its first)."""
    edges = [c[0] for c in table.columns]
    places: list[tuple[int, int]] = []  # (row band, column) of each cell box
    boxes: list[tuple[int, int, int, int]] = []
    bands = list(zip(table.rules, table.rules[1:], strict=False))
    for band, ((upper, _, _), (lower, _, _)) in enumerate(bands):
        middle = (upper + lower) // 2
        crossing = sorted({c[0] for c in table.columns if c[1] - window <= middle <= c[2] + window})
        for left, right in zip(crossing, crossing[1:], strict=False):
            places.append((band, min(max(bisect_right(edges, left + window // 2) - 1, 0), len(edges) - 2)))
            boxes.append((left, upper, right, lower))
    rows: list[list[str]] = [[""] * (len(edges) - 1) for _ in bands]
    sure: list[list[tuple[float, int]]] = [[] for _ in bands]
    for (band, column), (text, confidence) in zip(places, _read_boxes(image, ink, boxes), strict=True):
        rows[band][column] = text
        sure[band].append((confidence, len(text)))
    return [[upper, "row", cells, round(sum(c * n for c, n in sure[band]) / sum(n for _, n in sure[band]))]
            for band, (((upper, _, _), _), cells) in enumerate(zip(bands, rows, strict=True))
            if sum(n for _, n in sure[band])]


def _read_boxes(image: Image.Image, ink: Image.Image, boxes: list[tuple[int, int, int, int]]
                ) -> list[tuple[str, float]]:
    """The text in each cell box (inside its ruling lines) and its confidence; ("", 0) for a blank cell. The inked
    part of every cell is stacked under the others, with white space between, and the stack is read in one go:
    Tesseract then loads its model once a page, not once a cell, and each cell is still read on its own."""
    inset, pad, gap = 6, 10, 60
    crops: list[tuple[int, Image.Image]] = []  # (index of the box, the cell's ink)
    for index, box in enumerate(boxes):
        left, top, right, bottom = box[0] + inset, box[1] + inset, box[2] - inset, box[3] - inset
        if right - left < 8 or bottom - top < 8:
            continue
        inked = ink.crop((left, top, right, bottom)).getbbox()
        if inked is None or (inked[2] - inked[0]) * (inked[3] - inked[1]) < 30:  # nothing, or a speck of dust
            continue
        crops.append((index, image.crop((max(0, left + inked[0] - pad), max(0, top + inked[1] - pad),
                                         min(image.width, left + inked[2] + pad),
                                         min(image.height, top + inked[3] + pad)))))
    found: list[tuple[str, float]] = [("", 0.0)] * len(boxes)
    # a short word alone in a narrow cell (an STT: "1.", "II") is misread among the others: read it on its own
    alone = [(i, c) for i, c in crops if c.height < ONE_LINE and c.width < 3 * c.height]
    for index, crop in alone:
        lines = _lines(_ocr(crop, "--psm 7"))
        if not lines:  # read as a line, a Roman numeral's strokes are taken for rules ("III" gave nothing at all)
            lines = [line for line in _lines(_ocr(crop, "--psm 10")) if _a_number(line.text)]
        text = _numeral(" ".join(line.text for line in lines))
        found[index] = (text, sum(line.confidence for line in lines) / len(lines) if lines else 0.0)
    crops = [(i, c) for i, c in crops if (i, c) not in alone]
    if not crops:
        return found
    stack = Image.new("L", (max(c.width for _, c in crops) + 2 * pad, sum(c.height + gap for _, c in crops) + gap),
                      255)
    slots: list[int] = []  # the top of each crop in the stack
    y = gap
    for _, crop in crops:
        stack.paste(crop, (pad, y))
        slots.append(y)
        y += crop.height + gap
    by_slot: dict[int, list[Line]] = {}
    for line in _lines(_ocr(stack, "--psm 6"), split_at=slots):
        by_slot.setdefault(bisect_right(slots, (line.top + line.bottom) / 2) - 1, []).append(line)
    for slot, lines in by_slot.items():
        if slot >= 0:
            size = max(1, sum(len(line.text) for line in lines))
            found[crops[slot][0]] = (cell_text("\n".join(line.text for line in lines)),
                                     sum(line.confidence * len(line.text) for line in lines) / size)
    return found


def _a_number(text: str) -> bool:
    """Whether a cell read as one character gave a row's or section's number ("III", "12.", "lII" with its I's
    misread), not a lone stroke, which any speck reads as ("|")."""
    return bool(NUMBER_ALONE.fullmatch(_numeral(text))) and text not in MISREAD_I


def _numeral(text: str) -> str:
    """A row's number as OCR misreads it alone in a cell: a Roman numeral's I's read as "|", "l" or an accented I
    ("lII", "lÌ"), the stop after an Arabic one read as a comma, semicolon or colon ("1;")."""
    if re.fullmatch(rf"[{MISREAD_I}IVX]{{1,5}}\.?", text) and re.search(f"[{MISREAD_I}]", text):
        return re.sub(f"[{MISREAD_I}]", "I", text)
    if re.fullmatch(r"\d{1,3}[,;:]", text):
        return text[:-1] + "."
    return text


def _text_outside(image: Image.Image, ink: Image.Image, tables: list[_Table], window: int) -> list[Block]:
    """The lines of text outside the tables, joined into paragraphs as a PDF's are."""
    page = image.copy()
    blank = ink.copy()
    for table in tables:
        x0, y0, x1, y1 = table.box
        area = (x0 - window, y0 - window, x1 + window, y1 + window)
        ImageDraw.Draw(page).rectangle(area, fill=255)
        ImageDraw.Draw(blank).rectangle(area, fill=0)
    if blank.getbbox() is None:
        return []
    boxes = [t.box for t in tables]
    blocks: list[Block] = []
    previous: Line | None = None
    for line in _lines(_ocr(page, "--psm 3")):
        if previous is not None and goes_on(previous, line, boxes):
            top, _, before, confidence = blocks[-1]
            size = len(before) + len(line.text)
            blocks[-1] = [top, "text", f"{before} {line.text}",
                          round((confidence * len(before) + line.confidence * len(line.text)) / size)]
        else:
            blocks.append([line.top, "text", line.text, round(line.confidence)])
        previous = line
    return blocks


# ---------------------------------------------------------------- Tesseract

def _ocr(image: Image.Image, config: str) -> dict:
    try:
        return pytesseract.image_to_data(image, lang=LANG, config=config, output_type=pytesseract.Output.DICT)
    except (pytesseract.TesseractNotFoundError, pytesseract.TesseractError) as exc:
        raise ImportFormatError(NO_TESSERACT) from exc


def _lines(data: dict, split_at: list[int] | None = None) -> list[Line]:
    """Tesseract's words grouped into its lines, in its reading order, each with its box and mean confidence; a
    line is cut where a word's middle lies below another of ``split_at`` (the tops of stacked cells)."""
    lines: dict[tuple[int, int, int, int], list[int]] = {}
    for i, word in enumerate(data["text"]):
        if word.strip():
            slot = bisect_right(split_at, data["top"][i] + data["height"][i] / 2) if split_at else 0
            lines.setdefault((slot, data["block_num"][i], data["par_num"][i], data["line_num"][i]), []).append(i)
    out = []
    for indexes in lines.values():
        text = " ".join(data["text"][i].strip() for i in indexes)
        confidence = sum(float(data["conf"][i]) * len(data["text"][i]) for i in indexes) / max(1, sum(
            len(data["text"][i]) for i in indexes))
        out.append(Line(text=text, top=min(data["top"][i] for i in indexes),
                        bottom=max(data["top"][i] + data["height"][i] for i in indexes),
                        x0=min(data["left"][i] for i in indexes), confidence=confidence))
    return out

