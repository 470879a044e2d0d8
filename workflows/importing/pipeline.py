"""From an official document to a reviewed task register: the use cases of the import page (preview, fix,
settle a name, commit, cancel) and of the command line, each one transaction.

The uploaded file is kept in its ImportBatch and analysed again after every fix the coordinator
makes (a mapped agency name, a chosen lead agency, a corrected date), so the preview always shows
what a commit would do. A commit is one transaction: the directive, every task and every process
start together or not at all. Every data row of the source is accounted for: it is imported
(new, unchanged or updated) or flagged for review — never silently dropped.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update

from models import (
    Agency,
    AgencyReview,
    Directive,
    ImportBatch,
    Indicator,
    Task,
    User,
    db,
)
from workflows import audit, clock
from workflows.accounts import groups, people
from workflows.errors import N_, Conflict, Invalid, Message, NotAllowed, NotFound
from workflows.importing.agency_names import defined_names
from workflows.importing.file_formats import decode, docx_items
from workflows.importing.parsed import ImportFormatError, ParsedDocument, ScansToRead
from workflows.importing.readers import read_any
from workflows.importing.review_list import record_reviews, settle
from workflows.importing.row_plan import analyse, build_context, deadline_already, imported_before
from workflows.importing.scans import is_image, read_pages
from workflows.tasks import create, deadlines, fanout
from workflows.text import fold_words
from workflows.tx import transaction

log = logging.getLogger(__name__)
MAX_IMPORT_BYTES = 10 * 1024 * 1024
NOTHING_ASSIGNED = ("Không tìm thấy nhiệm vụ nào trong tệp: không có bảng nhiệm vụ (cần các cột như STT, Tên nhiệm "
                    "vụ, Đơn vị chủ trì, Thời hạn) và không có câu giao việc cho một đơn vị (như “Giao Sở Nội vụ chủ "
                    "trì …”, “- Sở Y tế: …”).")
WRITTEN_OR_CANCELLED = N_("Lượt nhập này đã được ghi hoặc đã hủy.")
SCAN_FAILED = N_("Đọc ảnh quét gặp lỗi hệ thống. Vui lòng thử lại hoặc báo quản trị hệ thống.")
PASTED = "noi-dung-dan.txt"  # the name of a pasted text: never shown as if it were a document's number


def require_coordinator(user: User) -> None:
    if not user.has_role("coordinator", "admin"):
        raise NotAllowed("Chỉ Tổ giúp việc được nhập danh mục nhiệm vụ.")


def get_batch(user: User, batch_id: int, fresh: bool = False) -> ImportBatch:
    """The batch, for a coordinator; ``fresh``: read again even if this session holds it."""
    require_coordinator(user)
    batch = db.session.get(ImportBatch, batch_id, populate_existing=fresh)
    if batch is None:
        raise NotFound("Không tìm thấy lượt nhập.")
    return batch


def recent_batches(limit: int = 20) -> list[ImportBatch]:
    return list(db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)))


def target_tasks(report: dict) -> dict[int, Task]:
    """The existing tasks the rows of a report rename, adjust or find unchanged, by id: the preview names
    them, so that the coordinator sees which task a row will change before committing."""
    ids = {row["target_task_id"] for appendix in report["appendices"] for row in appendix["rows"]
           if row.get("target_task_id")}
    return {t.id: t for t in db.session.scalars(select(Task).where(Task.id.in_(ids)))} if ids else {}


def _read(filename: str, content: bytes, scans: dict[str, list] | None = None) -> ParsedDocument:
    """The document, its scanned pages taken from ``scans`` (OCR's blocks by page); ScansToRead when some are
    not read yet."""
    if not content:
        raise Invalid("Tệp rỗng: không có gì để nhập.")
    if len(content) > MAX_IMPORT_BYTES:
        raise Invalid("Tệp quá lớn (tối đa %(mb)s MB).", mb=MAX_IMPORT_BYTES // (1024 * 1024))
    try:
        doc = read_any(filename, content, scans)
    except ImportFormatError as exc:
        raise Invalid(str(exc)) from exc
    doc.definitions = defined_names(_document_lines(doc, content))
    return doc


def _document_lines(doc: ParsedDocument, content: bytes) -> list[str]:
    """Where a document may define an abbreviation: its table cells and its text (a .docx's paragraphs, a PDF's or
    a scan's paragraphs; an .xlsx has its cells only)."""
    lines = [cell for appendix in doc.appendices for row in appendix.rows for cell in row.raw]
    try:
        if content.startswith(b"PK\x03\x04"):
            lines += [item.text for item in docx_items(content) if item.kind == "text"]
        elif content.startswith(b"%PDF") or is_image(content):
            lines += [p.text for p in doc.paragraphs]
        else:
            lines += decode(content).splitlines()
    except ImportFormatError:  # an .xlsx is no .docx: its cells are read above
        pass
    return lines


def _open_batch(user: User, batch_id: int) -> ImportBatch:
    """The batch in preview, its row taken for this transaction and read after it was taken: a second change of the
    same batch at the same moment — the commit pressed twice while a plan's 150 tasks are written, a colleague's
    commit or fix — waits for this one, then finds the batch as this one left it (written: refused)."""
    taken = db.session.execute(_TAKE, {"batch_id": batch_id}).rowcount  # (changes nothing: a refusal rolls it back)
    batch = get_batch(user, batch_id, fresh=True)
    if not taken:
        raise Conflict(WRITTEN_OR_CANCELLED)
    return batch


# (an UPDATE that changes nothing but takes the row: a second one waits for this transaction, then finds the batch
# no longer in preview)
_TAKE = (update(ImportBatch).where(ImportBatch.id == bindparam("batch_id"), ImportBatch.status == "preview")
         .values(status="preview").execution_options(synchronize_session=False))


def _overrides(batch: ImportBatch) -> dict[str, dict]:
    return {f"{a['index']}:{r['number']}": r["overrides"] for a in batch.report.get("appendices", [])
            for r in a["rows"] if r.get("overrides")}


def _reanalyse(batch: ImportBatch, overrides: dict[str, dict] | None = None) -> None:
    """Analyse the batch's document again with the fixes so far and `overrides` (flushes; the caller commits)."""
    doc = _read(batch.filename, base64.b64decode(batch.source), (batch.scan or {}).get("read"))
    merged = _overrides(batch)
    for key, value in (overrides or {}).items():
        merged[key] = {**merged.get(key, {}), **value}
    batch.report = analyse(doc, build_context(doc, batch.sha256, batch.issued_on, batch.directive_number), merged)
    record_reviews(batch.report, batch)


# ---------------------------------------------------------------- the use cases

def preview(user: User, filename: str, content: bytes, directive_label: str | None = None,
            issued: date | None = None, scans: dict | None = None) -> ImportBatch:
    """Read and analyse a document, keep it as a batch to review. One transaction. A document with scanned pages
    not read yet (``scans``: what OCR read, {"pages": […], "read": {page: blocks}}) is kept as a batch "reading":
    the worker reads its scans (``read_waiting_scans``), then analyses it."""
    require_coordinator(user)
    try:
        doc = _read(filename, content, (scans or {}).get("read"))
    except ScansToRead as waiting:
        doc, scans = None, {"pages": waiting.pages, "read": {}}
    sha = hashlib.sha256(content).hexdigest()
    with transaction():
        batch = ImportBatch(filename=filename[:255], sha256=sha, status="reading", report={}, scan=scans,
                            source=base64.b64encode(content).decode(), created_by_id=user.id,
                            created_at=clock.now(), issued_on=issued,
                            directive_number=(directive_label or "").strip()[:120] or None)
        if doc is not None:
            _analyse_new(batch, doc)
        db.session.add(batch)
        db.session.flush()
        if doc is not None:
            record_reviews(batch.report, batch)
    return batch


def _require_assignments(report: dict, doc: ParsedDocument) -> None:
    """Invalid when the document assigns nothing that could be read — naming a table it could not read, if so."""
    if not report["appendices"] and not report["indicators"]:
        raise Invalid(doc.unread_table or NOTHING_ASSIGNED)


def _analyse_new(batch: ImportBatch, doc: ParsedDocument) -> None:
    """The first analysis of a batch's document: its report, and what identifies the document."""
    ctx = build_context(doc, batch.sha256, batch.issued_on, batch.directive_number)
    batch.report = analyse(doc, ctx)
    _require_assignments(batch.report, doc)
    batch.status, batch.issued_on = "preview", ctx.issued
    batch.directive_number = batch.directive_number or (doc.number or "").strip()[:120] or None
    batch.directive_title = doc.title


def read_waiting_scans(hold: timedelta = timedelta(minutes=10)) -> dict[str, int]:
    """The worker's job: read the scanned pages of every import waiting for OCR, oldest first, a page at a time
    (each page committed: the import page shows the progress, and a worker stopped half-way goes on where it
    was), then analyse the document. A worker holds a batch for ``hold`` after each page, so that two workers
    never read the same one."""
    counts = {"batches": 0, "pages": 0}
    while (batch := _claim(hold)) is not None:
        counts["batches"] += 1
        content = base64.b64decode(batch.source)
        waiting = [p for p in batch.scan["pages"] if str(p) not in batch.scan["read"]]
        try:
            for page in waiting:
                blocks = read_pages(content, [page])[str(page)]
                with transaction():
                    db.session.refresh(batch)
                    if batch.status != "reading":  # cancelled while its page was being read
                        break
                    batch.scan = {**batch.scan, "read": {**batch.scan["read"], str(page): blocks}}
                    batch.claimed_until = clock.now() + hold
                counts["pages"] += 1
            else:
                with transaction():
                    _analyse_new(batch, _read(batch.filename, content, batch.scan["read"]))
                    record_reviews(batch.report, batch)
        except (Invalid, ImportFormatError) as exc:
            _fail(batch, str(exc))
        except Exception:  # a page that breaks the reader must not be read again and again
            log.exception("reading the scans of import %s failed", batch.id)
            _fail(batch, SCAN_FAILED)
    return counts


def _fail(batch: ImportBatch, message: str) -> None:
    with transaction():
        db.session.refresh(batch)
        batch.status, batch.scan = "failed", {**batch.scan, "error": message}


def _claim(hold: timedelta) -> ImportBatch | None:
    """The oldest batch waiting for OCR that no other worker holds, now held by this one."""
    now = clock.now()
    free = (ImportBatch.status == "reading") & (
        ImportBatch.claimed_until.is_(None) | (ImportBatch.claimed_until < now))
    with transaction():
        for batch_id in db.session.scalars(select(ImportBatch.id).where(free).order_by(ImportBatch.id)):
            taken = db.session.execute(update(ImportBatch).where(ImportBatch.id == batch_id, free)
                                       .values(claimed_until=now + hold))
            if taken.rowcount == 1:
                break
        else:
            return None
    return db.session.get(ImportBatch, batch_id)


def fix_row(user: User, batch_id: int, appendix_index: int, number: int, changes: dict[str, Any]) -> ImportBatch:
    """Record a coordinator's fix of one row (lead, collaborators, type, due date, title, skip, keep a row that
    repeats an earlier one as a task of its own) and show the preview again. One transaction."""
    return _fix(user, batch_id, appendix_index, [number], _changes(changes))


def fix_rows(user: User, batch_id: int, appendix_index: int, numbers: list[int],
             changes: dict[str, Any]) -> ImportBatch:
    """The same fix for several rows of one appendix ("apply to the selected rows"); one transaction, one new
    analysis."""
    require_coordinator(user)  # before saying anything about the form
    clean = _changes(changes)
    if not numbers:
        raise Invalid("Chưa chọn dòng nào: đánh dấu các dòng cần sửa rồi bấm lại.")
    if not clean:
        raise Invalid("Chưa chọn nội dung sửa: chọn đơn vị chủ trì hoặc loại sản phẩm để áp dụng.")
    return _fix(user, batch_id, appendix_index, numbers, clean)


def _changes(changes: dict[str, Any]) -> dict[str, Any]:
    allowed = {"lead_agency", "collaborating_agencies", "output_type", "due_date", "title", "skip", "keep_both",
               "as_new", "checked"}
    clean = {k: v.strip() if isinstance(v, str) else v for k, v in changes.items() if k in allowed}
    clean = {k: v for k, v in clean.items() if v not in (None, "")}
    if isinstance(clean.get("due_date"), date):
        clean["due_date"] = clean["due_date"].isoformat()
    return clean


def _fix(user: User, batch_id: int, appendix_index: int, numbers: list[int], clean: dict[str, Any]) -> ImportBatch:
    with transaction():
        if "lead_agency" in clean:
            clean["lead_agency"] = chosen_lead(clean["lead_agency"])
        batch = _open_batch(user, batch_id)
        rows = {r["number"] for a in batch.report["appendices"] if a["index"] == appendix_index for r in a["rows"]}
        if not set(numbers) <= rows:
            raise NotFound("Không tìm thấy dòng cần sửa trong lượt nhập này.")
        _reanalyse(batch, {f"{appendix_index}:{number}": clean for number in numbers})
    return batch


def chosen_lead(typed: str) -> str:
    """The registry's name of the lead a person typed or picked on the preview: a working agency by its name,
    short name or alias, or a group (accents, case and spacing aside, nothing guessed); Invalid naming what was
    typed."""
    wanted = fold_words(typed)
    if wanted:
        if (agency := people.agency_index().get(wanted)) is not None:
            return agency.name
        if (group := groups.group_named(typed)) is not None:
            return group.name
    if db.session.scalar(select(Agency).where(Agency.name == " ".join(typed.split()))) is not None:
        ended = Message("Đơn vị “%(name)s” đã ngừng hoạt động: chọn đơn vị đang hoạt động.", name=typed)
        raise Invalid(ended, {"lead_agency": ended})
    unknown = Message("Không tìm thấy đơn vị “%(name)s” trong danh mục: gõ vài chữ của tên rồi chọn một tên trong "
                      "danh sách gợi ý.", name=typed[:200])
    raise Invalid(unknown, {"lead_agency": unknown})


def settle_name(user: User, batch_id: int, review_id: int, agency_id: int | None,
                decision: str | None = "agency") -> AgencyReview:
    """Settle a name asked about on a batch's preview once — an alias of an agency (recorded with who made it and
    from which document; refused for another level of body), a collective name ("group"), or not an agency at
    all ("ignored"); later imports apply the same answer — and show that preview again with the answer applied:
    both or neither. One transaction."""
    require_coordinator(user)
    with transaction():
        batch = _open_batch(user, batch_id)
        review = settle(user, review_id, agency_id, decision, batch)
        _reanalyse(batch)
    return review


def cancel(user: User, batch_id: int) -> None:
    """Cancel a batch before it is committed: while it is previewed, read by OCR, or after its reading failed."""
    with transaction():
        get_batch(user, batch_id)
        cancelled = db.session.execute(
            update(ImportBatch).where(ImportBatch.id == batch_id,
                                      ImportBatch.status.in_(("preview", "reading", "failed")))
            .values(status="cancelled").execution_options(synchronize_session=False))
        if not cancelled.rowcount:  # (a commit at the same moment came first)
            raise Conflict(WRITTEN_OR_CANCELLED)


def commit(user: User, batch_id: int) -> dict[str, int]:
    """Write the directive, the tasks (processes started) and the indicators: all or nothing."""
    with transaction():
        batch = _open_batch(user, batch_id)
        report = batch.report
        directive = imported_before(batch.sha256, batch.directive_number, batch.issued_on)
        if directive is None:
            fallback = (f"{create.UNNUMBERED} (dán ngày {clock.today():%d/%m/%Y})" if batch.filename == PASTED
                        else f"{create.UNNUMBERED} (tệp {batch.filename[:60]}, nhập ngày {clock.today():%d/%m/%Y})")
            directive = Directive(number=batch.directive_number or fallback, issued_on=batch.issued_on,
                                  title=batch.directive_title, sha256=batch.sha256)
            db.session.add(directive)
            db.session.flush()
            create.link_to_directive(directive)
        source = directive.number + (f" ngày {batch.issued_on:%d/%m/%Y}" if batch.issued_on else "")
        # "flagged": rows left for a person (a sentence that assigns nothing counted apart, "sentences"); "groups"
        # of the tasks created are owed by a group, as "shares" tasks of its members
        counts = {"created": 0, "unchanged": 0, "renamed": 0, "adjusted": 0, "withdrawn": 0, "flagged": 0,
                  "sentences": 0, "groups": 0, "shares": 0, "indicators": 0}
        for appendix in report["appendices"]:
            for row in appendix["rows"]:
                _commit_row(user, directive, appendix, row, source, counts)
        for table in report["indicators"]:
            for row in table["rows"]:
                counts["indicators"] += _commit_indicator(directive, row)
        batch.status, batch.committed_at, batch.directive_id = "committed", clock.now(), directive.id
        batch.report = {**report, "result": counts}
    return counts


def _commit_row(user: User, directive: Directive, appendix: dict, row: dict, source: str,
                counts: dict[str, int]) -> None:
    action = row["action"]
    if action in ("flagged", "skipped", "duplicate"):  # a repeated row is the task of the row it repeats
        counts["sentences" if _not_a_task(row) else "flagged"] += 1
    elif action == "unchanged":
        task = db.session.get(Task, row["target_task_id"])
        # typed in by hand from this document (no document yet, or this one by its "Văn bản giao"): filed under it
        # now, found again later; a task of another document that an amendment leaves as it is stays there
        if task.import_key is None and task.directive_id in (None, directive.id):
            file_under(task, directive, row["key"])
        counts["unchanged"] += 1
    elif action == "rename":
        task = db.session.get(Task, row["target_task_id"])
        audit.record("rename", user, task, comment=f"Đổi tên theo {source}. Tên cũ: {task.title}",
                     data={"old": task.title, "new": row["title"], "directive_id": directive.id})
        task.title = row["title"]
        counts["renamed"] += 1
    elif action == "adjust":
        task = db.session.get(Task, row["target_task_id"])
        if deadline_already(task, row, row["deadline_text"]):
            counts["unchanged"] += 1
            return
        new_due = date.fromisoformat(row["effective_due"]) if row["effective_due"] else None
        deadlines.adjust_deadline(user, task, new_due, row["deadline_text"], row["adjustment"] or "Điều chỉnh thời hạn",
                              source, directive.id, nominal_due=row["nominal_due"], tell=True)
        counts["adjusted"] += 1
    elif action == "withdraw":
        task = db.session.scalar(select(Task).where(Task.id == row["target_task_id"]).with_for_update(of=Task))
        if not fanout.may_take_off(task):  # done or withdrawn since the preview: left as it is
            counts["unchanged"] += 1
            return
        fanout.take_off(user, task, f"Theo {source}: {row['adjustment']}")
        counts["withdrawn"] += 1
    else:
        # one task, or one for each group a lead cell names ("Các sở, ngành cấp tỉnh, các địa phương")
        for at, lead in enumerate(row["lead_agencies"]):
            task = _create(user, directive, appendix, row, source, lead, row["key"] + (f":{at}" if at else ""))
            counts["created"] += 1
            if task.kind == create.GROUP_KIND:
                counts["groups"] += 1
                counts["shares"] += db.session.scalar(select(func.count()).where(Task.parent_id == task.id))


def file_under(task: Task, directive: Directive, key: str) -> None:
    """A task typed in by hand (a group's task with its members' shares) is the row's: filed under its document."""
    task.directive_id, task.import_key = directive.id, key
    for member in db.session.scalars(select(Task).where(Task.parent_id == task.id)) if task.kind == "group" else ():
        member.directive_id = directive.id


def _create(user: User, directive: Directive, appendix: dict, row: dict, source: str, lead: str,
            key: str) -> Task:
    due = date.fromisoformat(row["effective_due"]) if row["effective_due"] else None
    recurrence = row["recurrence"]
    done_on = directive.issued_on or clock.today() if row["done_at_issue"] else None
    return create.add_task(
        user, title=row["title"], lead_agency=lead, output_type=row["output_type"],
        collaborating_agencies=row["collaborating_agencies"], expected_output=row["expected_output"],
        due_date=due, deadline_text=row["deadline_text"] or None, source_document=row["assigning_doc"] or source,
        section=row["section"], recurrence=recurrence, done_on=done_on,
        nominal_due=date.fromisoformat(row["nominal_due"]) if row["nominal_due"] else None,
        milestones=row["milestones"], directive_id=directive.id, appendix=appendix["title"][:500],
        stt=(row["stt"] or "")[:20], import_key=key, note=row["note"] or None,
        # .get: a preview saved before the rule was kept has no such keys
        recurrence_day=row.get("recurrence_day"), recurrence_weekday=row.get("recurrence_weekday"),
        recurrence_starts=date.fromisoformat(row["starts"]) if row.get("starts") else None,
        central_agencies=row.get("central_agencies") or [])


def _commit_indicator(directive: Directive, row: dict) -> int:
    exists = db.session.scalar(select(Indicator.id).where(
        Indicator.directive_id == directive.id, Indicator.stt == row["stt"], Indicator.name == row["name"]))
    if exists or not row["name"]:
        return 0
    db.session.add(Indicator(directive_id=directive.id, group=row["section"], stt=row["stt"], name=row["name"],
                             unit=row["unit"], baseline=row["baseline"], baseline_date=row["baseline_date"],
                             targets=row["targets"], responsible=row["responsible"],
                             responsible_text=row["responsible_text"], extra=row["extra"]))
    return 1


# ---------------------------------------------------------------- command line

def import_file(username: str | None, path: str, directive_label: str | None = None, issued: date | None = None,
                dry_run: bool = False, progress: Callable[[int, list], None] | None = None) -> dict:
    """Preview a file and, unless ``dry_run``, commit it; returns the report (with "result").

    A dry run writes nothing, not even a batch, so it needs nobody to record as the importer: it runs with no
    coordinator in the database. A user named all the same is checked, as the real run would.
    """
    with open(path, "rb") as handle:
        content = handle.read()
    filename = path.rsplit("/", 1)[-1]
    user = _cli_user(username) if username or not dry_run else None
    scans = None
    try:
        doc = _read(filename, content)
    except ScansToRead as waiting:  # the command line waits for OCR (``progress`` tells each page)
        try:
            read = read_pages(content, waiting.pages, progress)
        except ImportFormatError as exc:
            raise Invalid(str(exc)) from exc
        scans = {"pages": waiting.pages, "read": read}
        doc = _read(filename, content, read)
    if dry_run:
        report = analyse(doc, build_context(doc, hashlib.sha256(content).hexdigest(), issued, directive_label))
        _require_assignments(report, doc)
        return report
    batch = preview(user, filename, content, directive_label, issued, scans)
    commit(user, batch.id)
    return batch.report


def _cli_user(username: str | None) -> User:
    query = select(User).where(User.active.is_(True))
    if username:
        user = db.session.scalar(query.where(User.username == username))
    else:
        user = next((u for u in db.session.scalars(query.order_by(User.id)) if u.has_role("coordinator")), None)
    if user is None or not user.has_role("coordinator"):
        raise Invalid("Cần một tài khoản Tổ giúp việc (coordinator) để ghi nhận người nhập: dùng --user.")
    return user


ROW_KEYS = ("stt", "section", "title", "lead_agencies", "collaborating_agencies", "central_agencies", "output_type",
            "deadline_text", "nominal_due", "effective_due", "recurrence", "recurrence_day", "recurrence_weekday",
            "starts", "milestones", "done_at_issue", "source_text", "warnings")


def public_report(report: dict) -> dict:
    """The report in the documented JSON shape (CLI ``--format json``)."""
    appendices = []
    for a in report["appendices"]:
        rows = []
        for r in a["rows"]:
            row = {k: r.get(k) for k in ROW_KEYS}
            row["warnings"] = [b["message"] for b in r["blocking"]] + r["warnings"]
            row["action"] = r["action"]
            rows.append(row)
        appendices.append({"title": a["title"], "kind": "prose" if a.get("kind") == "prose" else "table",
                           "rows_in_source": a["rows_in_source"], "imported": a["imported"],
                           "flagged": a["flagged"], "unknown_columns": a["unknown_columns"], "rows": rows})
    indicators = [{"title": t["title"], "rows_in_source": t["rows_in_source"],
                   "rows": [{k: r[k] for k in ("stt", "section", "name", "unit", "baseline", "baseline_date", "targets",
                                              "responsible", "responsible_text")} for r in t["rows"]]}
                  for t in report["indicators"]]
    out = {"document": report["document"], "appendices": appendices, "indicators": indicators}
    if "result" in report:
        out["result"] = report["result"]
    return out


def text_report(report: dict, dry_run: bool) -> str:
    lines = []
    doc = report["document"]
    lines.append(f"Văn bản: {doc.get('number') or '(chưa ghi số)'} {doc.get('issued') or ''}".rstrip())
    for a in report["appendices"]:
        c = a["counts"]
        lines.append(f"- {a['title']}: {a['rows_in_source']} dòng trong văn bản = {a['imported']} nhập/đã có "
                     f"(mới {c['new']}, điều chỉnh {c['adjust'] + c['rename']}, rút {c.get('withdraw', 0)}, "
                     f"không đổi {c['unchanged']}) "
                     f"+ {a['flagged']} cần xem lại")
        for r in a["rows"]:
            if r["action"] == "duplicate":
                d = r["duplicate_of"]
                lines.append(f"    dòng {r['stt'] or r['number']}: lặp lại dòng {d['stt'] or d['number']} "
                             f"({d['appendix_label']}), không nhập")
            elif r["action"] in ("flagged", "skipped") and not _not_a_task(r):
                reasons = " ".join(b["message"] for b in r["blocking"]) or "bỏ qua"  # each message ends its sentence
                lines.append(f"    dòng {r['stt'] or r['number']}: {reasons}")
        if any(_not_a_task(r) for r in a["rows"]):
            lines.append(f"    {sum(_not_a_task(r) for r in a['rows'])} câu không phải nhiệm vụ (không nêu đơn vị "
                         "được giao); xem và thêm lại trên trang nhập nếu cần")
    for t in report["indicators"]:
        lines.append(f"- {t['title']}: {t['rows_in_source']} chỉ tiêu")
    if "result" in report:
        res = report["result"]
        lines.append(f"Đã ghi: {res['created']} mới, {res['adjusted']} điều chỉnh, {res['renamed']} đổi tên, "
                     f"{res.get('withdrawn', 0)} rút, "
                     f"{res['unchanged']} không đổi, {res['flagged']} chưa nhập, {res.get('sentences', 0)} câu không "
                     f"phải nhiệm vụ, {res['indicators']} chỉ tiêu.")
    elif dry_run:
        lines.append("Chạy thử (--dry-run): không ghi gì.")
    return "\n".join(lines)


def _not_a_task(row: dict) -> bool:
    return any(b["code"] == "not_a_task" for b in row["blocking"])
