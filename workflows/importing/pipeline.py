"""From an official document to a reviewed task register: analyse → preview → fix → commit.

The uploaded file is kept in its ImportBatch and analysed again after every fix the coordinator
makes (a mapped agency name, a chosen lead agency, a corrected date), so the preview always shows
what a commit would do. A commit is one transaction: the directive, every task and every process
start together or not at all. Every data row of the source is accounted for: it is imported
(new, unchanged or updated) or flagged for review — never silently dropped.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from models import (
    Agency,
    AgencyReview,
    AuditEvent,
    Directive,
    ImportBatch,
    Indicator,
    Task,
    User,
    db,
)
from workflows import clock, holidays
from workflows.errors import Conflict, Invalid, NotAllowed, NotFound
from workflows.importing.agency_match import AgencyMatcher, RegistryEntry, normalize
from workflows.importing.deadline_text import parse_deadline
from workflows.importing.output_types import guess_output_type
from workflows.importing.readers import Appendix, ImportFormatError, ParsedDocument, SourceRow, read_any
from workflows.tasks import cycle
from workflows.tx import transaction

MAX_IMPORT_BYTES = 10 * 1024 * 1024
PASTED = "noi-dung-dan.txt"  # the name of a pasted text: never shown as if it were a document's number
RENAME = re.compile(r"nhiệm vụ số\s*0*(\d+)\s*phụ lục\s*([ivxlc]+)", re.IGNORECASE)


@dataclass
class Context:
    """What analysing a document needs from the database, read once."""

    matcher: AgencyMatcher
    calendar: Any
    issued: date | None
    directive: Directive | None
    existing_keys: dict[str, int]  # import_key -> task id, inside the matched directive
    settled: dict[str, str] = field(default_factory=dict)  # normalized name -> "group" | "ignored" (decided once)
    titles: dict[str, str] = field(default_factory=dict)  # normalized title -> code, of tasks of other documents


def require_coordinator(user: User) -> None:
    if not user.has_role("coordinator", "admin"):
        raise NotAllowed("Chỉ Tổ giúp việc được nhập danh mục nhiệm vụ.")


def import_key(appendix_title: str, stt: str, title: str) -> str:
    text = f"{normalize(appendix_title)}|{stt.strip().rstrip('.').lstrip('0')}|{normalize(title)}"
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def matcher() -> AgencyMatcher:
    """The registry as the matcher sees it: names, aliases, and short names that only one agency uses."""
    agencies = list(db.session.scalars(select(Agency).where(Agency.active.is_(True))))
    shorts = Counter(normalize(a.short_name) for a in agencies if a.short_name)
    try:
        return AgencyMatcher([RegistryEntry(a.name, tuple(dict.fromkeys(
            [*(a.aliases or ()), *([a.short_name] if a.short_name and shorts[normalize(a.short_name)] == 1 else [])])))
            for a in agencies])
    except ValueError:  # a short name equal to another agency's alias: match on names and aliases only
        return AgencyMatcher([RegistryEntry(a.name, tuple(a.aliases or ())) for a in agencies])


# ---------------------------------------------------------------- analysing

def _deadline_fields(text: str, outputs: str, ctx: Context) -> tuple[dict, list[str], list[dict]]:
    warnings: list[str] = []
    blocking: list[dict] = []
    parsed = parse_deadline(text, issued=ctx.issued, outputs=outputs, calendar=ctx.calendar).to_json()
    understood = parsed["nominal_due"] or parsed["recurrence"] or parsed["done_at_issue"]
    if not text.strip():
        blocking.append({"code": "deadline", "message": "Ô thời hạn trống."})
    elif not understood:
        blocking.append({"code": "deadline", "message": f"Không hiểu thời hạn “{text.strip()}”."})
    elif parsed["unparsed"]:
        warnings.append(f"Phần không hiểu trong ô thời hạn: “{parsed['unparsed']}”.")
    if ctx.issued and parsed["nominal_due"] and parsed["nominal_due"] < ctx.issued.isoformat() \
            and not parsed["done_at_issue"]:
        warnings.append("Thời hạn đã qua so với ngày ban hành văn bản.")
    return parsed, warnings, blocking


def _agencies(cell: str, ctx: Context, what: str) -> tuple[list[str], list[str], list[dict], list[str]]:
    """Resolve one agency cell: (agencies, groups, review pieces, warnings)."""
    resolution = ctx.matcher.resolve(cell or "")
    groups = list(resolution.groups)
    reviews = []
    warnings = [f"{what}: “{m.text}” được hiểu là “{m.name}”." for m in resolution.matches
                if m.kind == "fuzzy" and m.name and m not in resolution.review]
    for m in resolution.review:
        decided = ctx.settled.get(normalize(m.text))
        if decided == "group":
            groups.append(m.text)
        elif decided == "ignored":
            warnings.append(f"{what}: bỏ qua “{m.text}” (đã xác định không phải tên đơn vị).")
        else:
            reviews.append({"text": m.text, "suggestion": m.name, "score": round(m.score, 2)})
    return resolution.agencies, groups, reviews, warnings


def _row_plan(appendix: Appendix, row: SourceRow, ctx: Context, overrides: dict) -> dict:
    cells = row.cells
    title = overrides.get("title") or cells.get("title", "").strip()
    warnings = list(row.warnings)
    blocking: list[dict] = []
    if not title:
        blocking.append({"code": "title", "message": "Thiếu tên nhiệm vụ."})

    leads, lead_groups, lead_reviews, lead_notes = _agencies(cells.get("lead", ""), ctx, "Chủ trì")
    collabs, groups, collab_reviews, collab_notes = _agencies(cells.get("collaborators", ""), ctx, "Phối hợp")
    warnings += lead_notes + collab_notes
    if overrides.get("lead_agency"):
        leads, lead_reviews = [overrides["lead_agency"]], []
    if "collaborating_agencies" in overrides:
        collabs, collab_reviews = list(overrides["collaborating_agencies"]), []
    reviews = lead_reviews + collab_reviews
    for review in reviews:
        blocking.append({"code": "agency", "message": f"Chưa nhận ra đơn vị “{review['text']}”"
                         + (f" (gần giống “{review['suggestion']}”)" if review.get("suggestion") else "") + "."})
    if not leads:
        if lead_groups:
            blocking.append({"code": "lead", "message": f"Đơn vị chủ trì là tên chung (“{'; '.join(lead_groups)}”): "
                                                         "hãy chọn một đơn vị cụ thể."})
        elif not lead_reviews:
            blocking.append({"code": "lead", "message": "Thiếu đơn vị chủ trì."})
    elif len(leads) > 1:
        warnings.append(f"Nhiều đơn vị chủ trì: {leads[0]} chủ trì, các đơn vị còn lại được ghi là phối hợp.")
        collabs = [a for a in leads[1:] + collabs]
        leads = leads[:1]
    collabs = [a for a in dict.fromkeys(collabs) if a not in leads]
    if groups:
        warnings.append(f"Phối hợp có tên chung (ghi lại, không giao việc): {'; '.join(groups)}.")

    output_text = cells.get("output", "")
    guess = guess_output_type(output_text, title)
    output_type = overrides.get("output_type") or guess.output_type

    deadline_text = cells.get("deadline", "")
    parsed, deadline_warnings, deadline_blocking = _deadline_fields(deadline_text, output_text, ctx)
    note = cells.get("note", "")
    if re.search(r"đã (hoàn thành|thực hiện)", note, re.IGNORECASE):
        parsed["done_at_issue"] = True
        deadline_blocking = [] if deadline_text.strip() or parsed["done_at_issue"] else deadline_blocking
    if overrides.get("due_date"):
        due = date.fromisoformat(overrides["due_date"])
        parsed["nominal_due"] = due.isoformat()
        parsed["effective_due"] = ctx.calendar.next_working_day(due).isoformat()
        deadline_blocking = []
        deadline_warnings = [w for w in deadline_warnings if "ô thời hạn" not in w]
    warnings += deadline_warnings
    blocking += deadline_blocking

    key = import_key(appendix.title, row.stt, title) if title else None
    action, target = _action(cells.get("adjustment", ""), key, title, ctx, blocking)
    if action == "adjust" and _deadline_already(db.session.get(Task, target), parsed, deadline_text):
        action = "unchanged"  # the preview says what committing will do (see _commit_row)
    if action == "new" and normalize(title) in ctx.titles:
        warnings.append(f"Đã có nhiệm vụ cùng tên ({ctx.titles[normalize(title)]}, giao theo văn bản khác): nếu là "
                        "một nhiệm vụ, hãy bỏ qua dòng này để không nhập trùng.")
    if parsed["effective_due"] and not parsed["done_at_issue"] \
            and date.fromisoformat(parsed["effective_due"]) < clock.today():
        warnings.append(f"Thời hạn {date.fromisoformat(parsed['effective_due']):%d/%m/%Y} đã qua: nhiệm vụ sẽ "
                        "quá hạn ngay khi nhập.")
    if overrides.get("skip"):
        action = "skipped"
    elif blocking:
        action = "flagged"
    return {
        "number": row.number, "stt": row.stt, "section": row.section, "title": title,
        "lead_agencies": leads, "collaborating_agencies": collabs, "groups": groups,
        "output_type": output_type, "output_reason": guess.reason, "output_confidence": round(guess.confidence, 2),
        "expected_output": output_text, "assigning_doc": cells.get("assigning_doc", ""), "note": note,
        "adjustment": cells.get("adjustment", ""),
        "deadline_text": deadline_text, "nominal_due": parsed["nominal_due"], "effective_due": parsed["effective_due"],
        "recurrence": parsed["recurrence"], "milestones": parsed["milestones"],
        "done_at_issue": parsed["done_at_issue"], "unparsed": parsed["unparsed"],
        "warnings": warnings, "blocking": blocking, "reviews": reviews, "extra": row.extra,
        "key": key, "action": action, "target_task_id": target, "overrides": overrides, "line": row.line,
    }


def _action(adjustment: str, key: str | None, title: str, ctx: Context, blocking: list[dict]) -> tuple[str, int | None]:
    """What committing the row does: new, unchanged, rename or adjust (with its target task)."""
    if key and key in ctx.existing_keys:
        return "unchanged", ctx.existing_keys[key]
    text = " ".join(adjustment.split()).lower()
    if not text or "bổ sung" in text:
        return "new", None
    rename = RENAME.search(text)
    if rename and "tên" in text:
        number, appendix = rename.group(1), rename.group(2).upper()
        # the numeral whole: "Phụ lục II" is not the start of "Phụ lục III"
        same_appendix = re.compile(rf"phụ lục\s+{appendix}(?![ivxlc])", re.IGNORECASE)
        candidates = [t for t in db.session.scalars(select(Task).where(Task.appendix.ilike(f"%phụ lục {appendix}%")))
                      if same_appendix.search(t.appendix or "")
                      and (t.stt or "").strip().rstrip(".").lstrip("0") == number
                      and (ctx.directive is None or t.directive_id != ctx.directive.id)]
        if len(candidates) == 1:
            return ("unchanged" if candidates[0].title == title else "rename"), candidates[0].id
        blocking.append({"code": "amend", "message": f"Không tìm thấy đúng một nhiệm vụ số {number} Phụ lục {appendix} "
                                                      "để đổi tên."})
        return "flagged", None
    if "thời gian" in text or "thời hạn" in text:
        target = _same_task(title, ctx)
        if target is None:
            blocking.append({"code": "amend", "message": "Không tìm thấy nhiệm vụ cần điều chỉnh thời hạn "
                                                          "(chưa nhập danh mục gốc?)."})
            return "flagged", None
        return "adjust", target.id
    return "new", None


def target_tasks(report: dict) -> dict[int, Task]:
    """The existing tasks the rows of a report rename, adjust or find unchanged, by id: the preview names
    them, so that the coordinator sees which task a row will change before committing."""
    ids = {row["target_task_id"] for appendix in report["appendices"] for row in appendix["rows"]
           if row.get("target_task_id")}
    return {t.id: t for t in db.session.scalars(select(Task).where(Task.id.in_(ids)))} if ids else {}


def _deadline_already(task: Task, parsed: dict, deadline_text: str) -> bool:
    """Whether an amended deadline is the one the task already has (an amendment imported twice)."""
    new_due = date.fromisoformat(parsed["effective_due"]) if parsed["effective_due"] else None
    return new_due == task.due_date and deadline_text == task.deadline_text


def _same_task(title: str, ctx: Context) -> Task | None:
    """The earlier task an amendment speaks of: same title (accent-insensitive), another directive."""
    wanted = normalize(title)
    for task in db.session.scalars(select(Task).order_by(Task.id.desc())):
        if (ctx.directive is None or task.directive_id != ctx.directive.id) and normalize(task.title) == wanted:
            return task
    return None


def _indicator_plan(appendix: Appendix, row: SourceRow, ctx: Context) -> dict:
    cells = dict(row.cells)
    agencies, groups, reviews, _ = _agencies(cells.get("responsible", ""), ctx, "Chủ trì")
    targets = {k.removeprefix("target_"): v for k, v in cells.items() if k.startswith("target_") and v}
    return {"number": row.number, "stt": row.stt, "section": row.section, "name": cells.get("name", ""),
            "unit": cells.get("unit", ""), "baseline": cells.get("baseline", ""),
            "baseline_date": cells.get("baseline_date", ""), "targets": targets,
            "responsible": agencies, "responsible_groups": groups, "responsible_text": cells.get("responsible", ""),
            "reviews": reviews, "warnings": list(row.warnings), "extra": row.extra}


def analyse(doc: ParsedDocument, ctx: Context, overrides: dict[str, dict] | None = None) -> dict:
    """The report of what a commit would do, per appendix and row."""
    overrides = overrides or {}
    appendices, indicators = [], []
    for index, appendix in enumerate(doc.appendices):
        if appendix.kind == "indicators":
            indicators.append({"title": appendix.title, "rows_in_source": appendix.rows_in_source,
                               "rows": [_indicator_plan(appendix, r, ctx) for r in appendix.rows]})
            continue
        rows = [_row_plan(appendix, r, ctx, overrides.get(f"{index}:{r.number}", {})) for r in appendix.rows]
        counts = {a: sum(1 for r in rows if r["action"] == a)
                  for a in ("new", "unchanged", "rename", "adjust", "flagged", "skipped")}
        appendices.append({
            "index": index, "title": appendix.title, "rows_in_source": appendix.rows_in_source,
            "unknown_columns": appendix.unknown_columns,
            "imported": counts["new"] + counts["unchanged"] + counts["rename"] + counts["adjust"],
            "flagged": counts["flagged"] + counts["skipped"], "counts": counts, "rows": rows})
    return {"document": {"number": doc.number, "issued": doc.issued.isoformat() if doc.issued else None,
                         "title": doc.title, "warnings": doc.warnings},
            "appendices": appendices, "indicators": indicators}


def _context(doc: ParsedDocument, sha: str, issued: date | None) -> Context:
    directive = db.session.scalar(select(Directive).where(Directive.sha256 == sha))
    if directive is None and doc.number and re.search(r"\d", doc.number):
        directive = db.session.scalar(select(Directive).where(Directive.number == doc.number))
    keys = {}
    if directive is not None:
        keys = dict(db.session.execute(select(Task.import_key, Task.id).where(
            Task.directive_id == directive.id, Task.import_key.is_not(None))).all())
    settled = dict(db.session.execute(select(AgencyReview.normalized, AgencyReview.status).where(
        AgencyReview.status.in_(("group", "ignored")))).all())
    others = select(Task.title, Task.code).where(Task.kind == "task").order_by(Task.id)
    if directive is not None:
        others = others.where(Task.directive_id.is_distinct_from(directive.id))
    titles = {normalize(title): code for title, code in db.session.execute(others)}
    return Context(matcher(), holidays.calendar(), issued or doc.issued, directive, keys, settled, titles)


def _read(filename: str, content: bytes) -> ParsedDocument:
    if not content:
        raise Invalid("Tệp rỗng: không có gì để nhập.")
    if len(content) > MAX_IMPORT_BYTES:
        raise Invalid("Tệp quá lớn (tối đa %(mb)s MB).", mb=MAX_IMPORT_BYTES // (1024 * 1024))
    try:
        return read_any(filename, content)
    except ImportFormatError as exc:
        raise Invalid(str(exc)) from exc


# ---------------------------------------------------------------- the use cases

def preview(user: User, filename: str, content: bytes, directive_label: str | None = None,
            issued: date | None = None) -> ImportBatch:
    """Read and analyse a document, keep it as a batch to review. One transaction."""
    require_coordinator(user)
    doc = _read(filename, content)
    sha = hashlib.sha256(content).hexdigest()
    with transaction():
        ctx = _context(doc, sha, issued)
        report = analyse(doc, ctx)
        if not report["appendices"] and not report["indicators"]:
            raise Invalid("Không tìm thấy bảng nhiệm vụ nào trong tệp.")
        batch = ImportBatch(filename=filename[:255], sha256=sha, status="preview", report=report,
                            source=base64.b64encode(content).decode(), created_by_id=user.id,
                            created_at=clock.now(), issued_on=ctx.issued,
                            directive_number=(directive_label or doc.number or "").strip()[:120] or None,
                            directive_title=doc.title)
        db.session.add(batch)
        db.session.flush()
        _record_reviews(report, batch)
    return batch


def _review_pieces(report: dict) -> list[dict]:
    """The names a report could not match to an agency, as written."""
    pieces = [r for a in report["appendices"] for row in a["rows"] for r in row["reviews"]]
    return pieces + [r for a in report["indicators"] for row in a["rows"] for r in row["reviews"]]


def _record_reviews(report: dict, batch: ImportBatch) -> None:
    for piece in _review_pieces(report):
        norm = normalize(piece["text"])[:500]
        if db.session.scalar(select(AgencyReview.id).where(AgencyReview.normalized == norm)) is None:
            db.session.add(AgencyReview(text=piece["text"][:500], normalized=norm, suggestion=piece.get("suggestion"),
                                        seen_in_batch_id=batch.id))
            db.session.flush()


def get_batch(user: User, batch_id: int) -> ImportBatch:
    require_coordinator(user)
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound("Không tìm thấy lượt nhập.")
    return batch


def _overrides(batch: ImportBatch) -> dict[str, dict]:
    return {f"{a['index']}:{r['number']}": r["overrides"] for a in batch.report.get("appendices", [])
            for r in a["rows"] if r.get("overrides")}


def refresh(user: User, batch_id: int, overrides: dict[str, dict] | None = None) -> ImportBatch:
    """Analyse the batch again (after agency mappings or row fixes). One transaction."""
    with transaction():
        batch = _open_batch(user, batch_id)
        doc = _read(batch.filename, base64.b64decode(batch.source))
        merged = _overrides(batch)
        for key, value in (overrides or {}).items():
            merged[key] = {**merged.get(key, {}), **value}
        batch.report = analyse(doc, _context(doc, batch.sha256, batch.issued_on), merged)
        _record_reviews(batch.report, batch)
    return batch


def _open_batch(user: User, batch_id: int) -> ImportBatch:
    batch = get_batch(user, batch_id)
    if batch.status != "preview":
        raise Conflict("Lượt nhập này đã được ghi hoặc đã hủy.")
    return batch


def fix_row(user: User, batch_id: int, appendix_index: int, number: int, changes: dict[str, Any]) -> ImportBatch:
    """Record a coordinator's fix of one row (lead, collaborators, type, due date, title, skip)."""
    allowed = {"lead_agency", "collaborating_agencies", "output_type", "due_date", "title", "skip"}
    clean = {k: v for k, v in changes.items() if k in allowed and v not in (None, "")}
    if "lead_agency" in clean and db.session.scalar(select(Agency).where(Agency.name == clean["lead_agency"])) is None:
        raise Invalid("Không tìm thấy đơn vị chủ trì đã chọn.")
    if isinstance(clean.get("due_date"), date):
        clean["due_date"] = clean["due_date"].isoformat()
    return refresh(user, batch_id, {f"{appendix_index}:{number}": clean})


def map_agency(user: User, review_id: int, agency_id: int | None, decision: str = "agency") -> AgencyReview:
    """Settle an unrecognised name once: an alias of an agency, a collective name ("group"), or not an
    agency at all ("ignored"); later imports apply the same answer."""
    require_coordinator(user)
    with transaction():
        review = db.session.get(AgencyReview, review_id)
        if review is None:
            raise NotFound("Không tìm thấy tên đơn vị cần xem xét.")
        review.resolved_by_id, review.resolved_at = user.id, clock.now()
        if decision in ("group", "ignored"):
            review.status = decision
        else:
            agency = db.session.get(Agency, agency_id or 0)
            if agency is None:
                raise Invalid("Vui lòng chọn đơn vị trong danh mục.")
            agency.aliases = list(dict.fromkeys([*(agency.aliases or []), review.text]))
            review.status, review.agency_id = "mapped", agency.id
    return review


def recent_batches(limit: int = 20) -> list[ImportBatch]:
    return list(db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(limit)))


def open_reviews(report: dict) -> list[AgencyReview]:
    """The names still to settle that this report contains (another document's wait on its own preview)."""
    names = {normalize(piece["text"])[:500] for piece in _review_pieces(report)}
    if not names:
        return []
    return list(db.session.scalars(select(AgencyReview).where(
        AgencyReview.status == "open", AgencyReview.normalized.in_(names)).order_by(AgencyReview.id)))


def cancel(user: User, batch_id: int) -> None:
    with transaction():
        _open_batch(user, batch_id).status = "cancelled"


def commit(user: User, batch_id: int) -> dict[str, int]:
    """Write the directive, the tasks (processes started) and the indicators: all or nothing."""
    with transaction():
        batch = _open_batch(user, batch_id)
        report = batch.report
        directive = db.session.scalar(select(Directive).where(Directive.sha256 == batch.sha256))
        if directive is None:
            fallback = (f"Văn bản chưa ghi số (dán ngày {clock.today():%d/%m/%Y})" if batch.filename == PASTED
                        else batch.filename)
            directive = Directive(number=batch.directive_number or fallback, issued_on=batch.issued_on,
                                  title=batch.directive_title, sha256=batch.sha256)
            db.session.add(directive)
            db.session.flush()
        source = directive.number + (f" ngày {batch.issued_on:%d/%m/%Y}" if batch.issued_on else "")
        counts = {"created": 0, "unchanged": 0, "renamed": 0, "adjusted": 0, "flagged": 0, "indicators": 0}
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
    if action in ("flagged", "skipped"):
        counts["flagged"] += 1
    elif action == "unchanged":
        counts["unchanged"] += 1
    elif action == "rename":
        task = db.session.get(Task, row["target_task_id"])
        db.session.add(AuditEvent(at=clock.now(), actor_id=user.id, task_id=task.id, action="rename",
                                  comment=f"Đổi tên theo {source}. Tên cũ: {task.title}",
                                  data={"old": task.title, "new": row["title"], "directive_id": directive.id}))
        task.title = row["title"]
        counts["renamed"] += 1
    elif action == "adjust":
        task = db.session.get(Task, row["target_task_id"])
        if _deadline_already(task, row, row["deadline_text"]):
            counts["unchanged"] += 1
            return
        new_due = date.fromisoformat(row["effective_due"]) if row["effective_due"] else None
        cycle.adjust_deadline(user, task, new_due, row["deadline_text"], row["adjustment"] or "Điều chỉnh thời hạn",
                              source, directive.id, nominal_due=row["nominal_due"])
        counts["adjusted"] += 1
    else:
        _create(user, directive, appendix, row, source)
        counts["created"] += 1


def _create(user: User, directive: Directive, appendix: dict, row: dict, source: str) -> Task:
    due = date.fromisoformat(row["effective_due"]) if row["effective_due"] else None
    recurrence = row["recurrence"]
    done_on = directive.issued_on or clock.today() if row["done_at_issue"] else None
    return cycle.add_task(
        user, title=row["title"], lead_agency=row["lead_agencies"][0], output_type=row["output_type"],
        collaborating_agencies=row["collaborating_agencies"], expected_output=row["expected_output"],
        due_date=due, deadline_text=row["deadline_text"] or None, source_document=row["assigning_doc"] or source,
        section=row["section"], recurrence=recurrence, done_on=done_on,
        nominal_due=date.fromisoformat(row["nominal_due"]) if row["nominal_due"] else None,
        milestones=row["milestones"], directive_id=directive.id, appendix=appendix["title"][:500],
        stt=(row["stt"] or "")[:20], import_key=row["key"], note=row["note"] or None)


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
                dry_run: bool = False) -> dict:
    """Preview a file and, unless ``dry_run``, commit it; returns the report (with "result")."""
    user = _cli_user(username)
    with open(path, "rb") as handle:
        content = handle.read()
    filename = path.rsplit("/", 1)[-1]
    if dry_run:
        doc = _read(filename, content)
        return analyse(doc, _context(doc, hashlib.sha256(content).hexdigest(), issued))
    batch = preview(user, filename, content, directive_label, issued)
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


ROW_KEYS = ("stt", "section", "title", "lead_agencies", "collaborating_agencies", "output_type", "deadline_text",
            "nominal_due", "effective_due", "recurrence", "milestones", "done_at_issue", "warnings")


def public_report(report: dict) -> dict:
    """The report in the documented JSON shape (CLI ``--format json``)."""
    appendices = []
    for a in report["appendices"]:
        rows = []
        for r in a["rows"]:
            row = {k: r[k] for k in ROW_KEYS}
            row["warnings"] = [b["message"] for b in r["blocking"]] + r["warnings"]
            row["action"] = r["action"]
            rows.append(row)
        appendices.append({"title": a["title"], "rows_in_source": a["rows_in_source"], "imported": a["imported"],
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
                     f"(mới {c['new']}, điều chỉnh {c['adjust'] + c['rename']}, không đổi {c['unchanged']}) "
                     f"+ {a['flagged']} cần xem lại")
        for r in a["rows"]:
            if r["action"] in ("flagged", "skipped"):
                reasons = "; ".join(b["message"] for b in r["blocking"]) or "bỏ qua"
                lines.append(f"    dòng {r['stt'] or r['number']}: {reasons}")
    for t in report["indicators"]:
        lines.append(f"- {t['title']}: {t['rows_in_source']} chỉ tiêu")
    if "result" in report:
        res = report["result"]
        lines.append(f"Đã ghi: {res['created']} mới, {res['adjusted']} điều chỉnh, {res['renamed']} đổi tên, "
                     f"{res['unchanged']} không đổi, {res['flagged']} chưa nhập, {res['indicators']} chỉ tiêu.")
    elif dry_run:
        lines.append("Chạy thử (--dry-run): không ghi gì.")
    return "\n".join(lines)
