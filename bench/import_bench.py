"""Benchmark: read + analyse (preview) and commit of the largest real document, 002_….txt; the preview of a
20-page document that assigns its tasks in sentences only (002's body without its tables, repeated to 20 pages of
3,000 characters, an A4 page of an official document); and the preview of 002 as a 10-page PDF with a text layer
(ten pages of its appendices as tests/pdf_layout.py prints them: ruling lines, the header repeated).

    python bench/import_bench.py [--runs 5] [--database URL]

Prints the figures; asserts nothing. Targets: reading 002 cold under 0.5 s, each text preview under 2 s, the
10-page PDF under 3 s.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pypdfium2 as pdfium  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.cycle_bench import bench_app  # noqa: E402
from demo.data import AGENCIES  # noqa: E402
from models import Task, db  # noqa: E402
from tests.pdf_layout import layout  # noqa: E402
from workflows import holidays  # noqa: E402
from workflows.accounts import people  # noqa: E402
from workflows.importing import cell_text, pipeline  # noqa: E402
from workflows.importing.readers import read_any  # noqa: E402
from workflows.process import catalog  # noqa: E402
from workflows.text import fold_words  # noqa: E402

FIXTURE = next((Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures").glob("002_*.txt"))
PAGE_CHARS = 3000
PAGES = 20


def prose_document() -> bytes:
    """002's body up to "Nơi nhận", its table rows left out, repeated until it fills ``PAGES`` pages."""
    text = FIXTURE.read_text("utf-8")
    body = "\n".join(line for line in text[:text.index("\nNơi nhận")].splitlines() if "\t" not in line)
    return "\n\n".join([body] * max(1, round(PAGES * PAGE_CHARS / len(body)))).encode()


def pdf_document(pages: int = 10) -> bytes:
    """002 laid out as PDF: ``pages`` pages from the first page of its appendices (the tables)."""
    whole = pdfium.PdfDocument(layout(FIXTURE.read_text("utf-8")))
    start = next(i for i in range(len(whole)) if "PHỤ LỤC" in whole[i].get_textpage().get_text_range().upper())
    first = pdfium.PdfDocument.new()
    first.import_pages(whole, list(range(start, start + pages)))
    out = io.BytesIO()
    first.save(out)
    return out.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", default=None)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="import-bench-")
    url = args.database or f"sqlite:///{tmp}/bench.db"
    app = bench_app(url, tmp)
    with app.app_context():
        catalog.deploy()
        holidays.ensure_defaults()
        for a in AGENCIES:
            people.create_agency(a["name"], short_name=a["short_name"], kind=a["kind"], aliases=a["aliases"])
        coord = people.create_user("coord", "bench-password", "Sở Khoa học và Công nghệ", ["coordinator"])
        content = FIXTURE.read_bytes()

        reads, previews = [], []
        for _ in range(args.runs):
            cell_text._clean_cached.cache_clear()  # each read as the first of a new document: nothing cached
            fold_words.cache_clear()
            start = time.perf_counter()
            doc = read_any(FIXTURE.name, content)
            reads.append(time.perf_counter() - start)
            start = time.perf_counter()
            batch = pipeline.preview(coord, FIXTURE.name, content)
            previews.append(time.perf_counter() - start)
        rows = sum(a.rows_in_source for a in doc.appendices)
        print(f"{FIXTURE.name}: {len(content) / 1024:.0f} KB, {len(doc.appendices)} tables, {rows} data rows")
        print(f"read (parse tables, cold)     : median {statistics.median(reads) * 1000:7.1f} ms (target < 500 ms)")
        print(f"preview (read + analyse + save): median {statistics.median(previews) * 1000:7.1f} ms "
              "(target < 2000 ms)")
        letter = prose_document()
        prose_previews = []
        for _ in range(args.runs):
            start = time.perf_counter()
            prose_batch = pipeline.preview(coord, "van-ban-20-trang.txt", letter)
            prose_previews.append(time.perf_counter() - start)
        [body] = [a for a in prose_batch.report["appendices"] if a["kind"] == "prose"]
        proposed = sum(1 for r in body["rows"] if not r["not_a_task"])
        print(f"prose document: {len(letter.decode()) / PAGE_CHARS:.1f} pages of {PAGE_CHARS} characters, "
              f"{proposed} proposed tasks + {body['rows_in_source'] - proposed} sentences that are not tasks")
        print(f"preview of the prose document  : median {statistics.median(prose_previews) * 1000:7.1f} ms "
              "(target < 2000 ms)")
        pdf = pdf_document()
        pdf_previews = []
        for _ in range(args.runs):
            start = time.perf_counter()
            pdf_batch = pipeline.preview(coord, "ke-hoach-10-trang.pdf", pdf)
            pdf_previews.append(time.perf_counter() - start)
        pdf_rows = sum(a["rows_in_source"] for a in pdf_batch.report["appendices"]) + sum(
            len(a["rows"]) for a in pdf_batch.report["indicators"])
        print(f"10-page PDF ({len(pdf) / 1024:.0f} KB, {pdf_rows} rows found)")
        print(f"preview of the 10-page PDF     : median {statistics.median(pdf_previews) * 1000:7.1f} ms "
              f"({statistics.median(pdf_previews) / 10 * 1000:.0f} ms a page; target < 3000 ms)")
        start = time.perf_counter()
        result = pipeline.commit(coord, batch.id)
        elapsed = time.perf_counter() - start
        tasks = db.session.scalar(select(func.count()).select_from(Task))
        print(f"commit: {result['created']} tasks created with their processes started, {result['indicators']} "
              f"indicators, {result['flagged']} rows left for review, in {elapsed * 1000:.0f} ms "
              f"({elapsed / max(tasks, 1) * 1000:.1f} ms per task)")
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main()
