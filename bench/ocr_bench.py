"""Benchmark: OCR of scanned documents — pages a minute, and how exactly the cells come back. The real fixtures 000
(a Công văn, 4 pages, a row cut by a page break) and 003 (a plan's appendix, 9 pages, section rows) are laid out as
PDF (tests/pdf_layout.py), rendered to grey images at 200 dpi and put back into a PDF without text, as a scanner
gives them; each page is read by ``workflows.importing.scans`` (Tesseract, Vietnamese model). The cells read are
compared with the cells the text layer of the same PDF gives. With ``--turned`` the pages are fed the wrong way
round — on one side, upside down, on the other side, in turn — as a landscape appendix or a careless hand gives
them; with ``--shadow N`` they are photographed in uneven light, falling off from white on one edge to grey N on
the other; with ``--angle N`` photographed at an angle, the far edge (the top and the bottom in turn) N % narrower
(tests/photos.py); with ``--desk F`` lying on a wooden desk, the sheet F of the photo's width and height.

    python bench/ocr_bench.py [--dpi 200] [--turned] [--shadow 120] [--angle 10] [--desk 0.6]

Prints the figures; asserts nothing. Pages a minute depend on the machine; this one has 2 shared cores.
"""

from __future__ import annotations

import argparse
import difflib
import io
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pypdfium2 as pdfium  # noqa: E402
from PIL import Image  # noqa: E402

from tests.pdf_layout import layout  # noqa: E402
from tests.photos import at_an_angle, in_shadow, on_a_desk  # noqa: E402
from workflows.importing import scans  # noqa: E402
from workflows.importing.readers import read_any  # noqa: E402

FIXTURES = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures"
DOCUMENTS = (("000_ab3eae2516c89758.txt", 3), ("003_14d8a83fabc51ce7.txt", None))


TURNS = (Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_270)


def scanned(pdf: bytes, dpi: int, turned: bool = False, shadow: int | None = None,
            angle: float | None = None, desk: float | None = None) -> bytes:
    document = pdfium.PdfDocument(pdf)
    images = [document[i].render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for i in range(len(document))]
    if turned:
        images = [image.transpose(TURNS[i % len(TURNS)]) for i, image in enumerate(images)]
    if angle is not None:  # the far edge at the top, then at the bottom, in turn
        images = [at_an_angle(image, angle / 100, ("top", "bottom")[i % 2]) for i, image in enumerate(images)]
    if desk is not None:
        images = [on_a_desk(image, desk) for image in images]
    if shadow is not None:  # (over the photograph: the light falls on the page and on the desk around it alike)
        images = [in_shadow(image, shadow) for image in images]
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=dpi)
    return out.getvalue()


def cells(doc) -> list[list[str]]:
    return [[" ".join(c.split()) for c in row.raw] for a in doc.appendices for row in a.rows]


def numbers(doc) -> list[tuple[str, str | None]]:
    """The rows' numbers and their sections' numerals as the import takes them (a number misread alone in its cell
    mended from its neighbours; a row whose section's numeral is lost is filed under the section before)."""
    return [(row.stt, (row.section or "").split(".")[0]) for a in doc.appendices for row in a.rows]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--turned", action="store_true", help="pages fed on their side or upside down")
    parser.add_argument("--shadow", type=int, help="pages photographed in light falling off to this grey (0-255)")
    parser.add_argument("--angle", type=float, help="pages photographed at an angle, the far edge this %% narrower")
    parser.add_argument("--desk", type=float, help="pages photographed lying on a wooden desk, the sheet this "
                        "fraction of the photo (0.6)")
    args = parser.parse_args()
    total_pages = total_seconds = 0.0
    exact = compared = same_chars = all_chars = numbers_exact = sections_exact = numbers_compared = 0
    for name, cut in DOCUMENTS:
        text_pdf = layout((FIXTURES / name).read_text("utf-8"), cut)
        scan = scanned(text_pdf, args.dpi, args.turned, args.shadow, args.angle, args.desk)
        pages = list(range(1, len(pdfium.PdfDocument(scan)) + 1))
        times: list[float] = []  # when each page was done
        start = time.perf_counter()
        read = scans.read_pages(scan, pages, lambda *_, done=times: done.append(time.perf_counter()))
        elapsed = time.perf_counter() - start
        slowest = max(b - a for a, b in zip([start] + times, times, strict=False))
        from_text, from_scan = read_any(name, text_pdf), read_any(name, scan, read)
        want, got = cells(from_text), cells(from_scan)
        wanted_numbers = numbers(from_text)
        pairs = list(zip(wanted_numbers, numbers(from_scan), strict=False))
        numbers_exact += sum(a[0] == b[0] for a, b in pairs)
        sections_exact += sum(a[1] == b[1] for a, b in pairs)
        numbers_compared += len(wanted_numbers)
        doc_exact = doc_cells = 0
        for want_row, got_row in zip(want, got, strict=False):
            for a, b in zip(want_row, got_row, strict=False):
                if not a and not b:
                    continue
                doc_cells += 1
                doc_exact += a == b
                blocks = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
                same_chars += sum(block.size for block in blocks)
                all_chars += max(len(a), len(b))
        exact += doc_exact
        compared += doc_cells
        total_pages += len(pages)
        total_seconds += elapsed
        print(f"{name}: {len(pages)} pages in {elapsed:.1f} s ({len(pages) / elapsed * 60:.1f} pages a minute; "
              f"slowest page {slowest:.1f} s); rows {len(got)} of {len(want)}; "
              f"cells exact {doc_exact}/{doc_cells}")
    how = ", pages turned" if args.turned else ""
    how += f", in shadow to {args.shadow}" if args.shadow is not None else ""
    how += f", photographed at an angle ({args.angle:g}% narrower)" if args.angle is not None else ""
    how += f", on a desk (the sheet {args.desk:.0%} of the photo)" if args.desk is not None else ""
    print(f"OCR throughput at {args.dpi} dpi{how}: {total_pages / total_seconds * 60:.1f} pages a minute")
    print(f"cell accuracy: {exact}/{compared} cells exact ({exact / max(1, compared):.1%}), "
          f"characters {same_chars / max(1, all_chars):.2%}")
    print(f"row numbers as imported: {numbers_exact}/{numbers_compared} exact; "
          f"rows under their own section: {sections_exact}/{numbers_compared}")


if __name__ == "__main__":
    main()
