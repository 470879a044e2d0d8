"""What committing each row of a document would do — its agencies, output type, deadline and action (new,
unchanged, rename, adjust) — or why it needs review first; the report the preview shows and a commit follows."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import and_, func, select

from models import OUTPUT_TYPES, Agency, AgencyAlias, AgencyGroup, AgencyReview, Directive, Task, db
from workflows import clock, holidays, settings
from workflows.errors import Invalid
from workflows.importing import prose
from workflows.importing.agency_match import AgencyMatcher
from workflows.importing.agency_names import RegistryEntry, document_level, strip_notes
from workflows.importing.output_types import guess_output_type
from workflows.importing.parsed import EMPTY_TITLE, Appendix, ParsedDocument, SourceRow
from workflows.process import catalog
from workflows.tasks import create, fanout
from workflows.tasks.deadline_text import AMBIGUOUS, parse_deadline
from workflows.text import fold_words

RENAME = re.compile(r"nhiệm vụ số\s*0*(\d+)\s*phụ lục\s*([ivxlc]+)", re.IGNORECASE)
# An amendment that takes a task off the list (the coordinator's "Rút nhiệm vụ" at commit)
# ("tạm dừng thực hiện" is a pause, not an end)
WITHDRAW = re.compile(r"(đưa|rút) (ra )?khỏi danh mục|không tiếp tục thực hiện|(?<!tạm )dừng thực hiện"
                      r"|bãi bỏ nhiệm vụ|không thực hiện nhiệm vụ")
# One that changes who does it — a verb of change, then the lead or the collaborators, not "theo đề nghị của cơ quan
# chủ trì" — is not done by an import (the running process has its parties)
WHO = re.compile(r"(?:điều chỉnh|thay đổi|bổ sung|chuyển|đổi)[^.;]{0,40}?(?<!của )(?:cơ quan|đơn vị) "
                 r"(chủ trì|phối hợp)")


@dataclass(frozen=True)
class SameTitle:
    """A task outside the document being read whose title is a row's: the same task typed in by hand before the
    document was imported (no document of its own, or this one by its "Văn bản giao"; the row's lead), or another
    document's."""

    code: str
    task_id: int
    filed: bool  # under another imported document
    lead: str | None  # its lead agency, or the group a group task is owed by
    directive_id: int | None = None  # the document it is filed under
    running: bool = True  # not done, not withdrawn: the one an amendment of a title shared with an older task means


@dataclass
class Context:
    """What analysing a document needs from the database, read once."""

    matcher: AgencyMatcher
    calendar: Any
    issued: date | None
    directive: Directive | None
    existing_keys: dict[str, int]  # import_key -> task id, inside the matched directive
    settled: dict[str, str] = field(default_factory=dict)  # folded name -> "group" | "ignored" (decided once)
    titles: dict[str, list[SameTitle]] = field(default_factory=dict)  # folded title -> tasks of other documents
    # output type -> an agency its process needs that the registry lacks (such a row cannot start)
    unrouted: dict[str, str] = field(default_factory=dict)
    # folded name or alias of an agency group -> (the group's name, its members today): a task for every member
    groups: dict[str, tuple[str, int]] = field(default_factory=dict)
    # folded name of an agency merged into another -> (its successor, the day): the preview says where it went
    merged: dict[str, tuple[str, date]] = field(default_factory=dict)
    group_names: set[str] = field(default_factory=set)  # the groups' own names and aliases, folded
    numbers: list[tuple[str, int]] = field(default_factory=list)  # the documents' numbers (create.directive_named)


def import_key(appendix_title: str, stt: str, title: str) -> str:
    """A task's identity inside its directive, so that importing the same document again finds it."""
    text = f"{fold_words(appendix_title)}|{stt.strip().rstrip('.').lstrip('0')}|{fold_words(title)}"
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def registry_matcher(doc: ParsedDocument | None = None) -> AgencyMatcher:
    """The registry as the matcher sees it: names, the registry's aliases, the aliases people settled on review
    lists, and short names that only one agency uses — read at the level of ``doc`` (central or provincial)
    with the abbreviations it defines. A name already another agency's stays theirs (first the names, then
    the aliases in that order), so one odd alias never stops an import."""
    agencies = list(db.session.scalars(select(Agency).where(Agency.active.is_(True))))
    settled: dict[int, list[str]] = {}
    for agency_id, text in db.session.execute(select(AgencyAlias.agency_id, AgencyAlias.text).order_by(AgencyAlias.id)):
        settled.setdefault(agency_id, []).append(text)
    shorts = Counter(fold_words(a.short_name) for a in agencies if a.short_name)
    named: dict[str, Agency] = {}
    for a in agencies:  # (a registry kept before names were checked for this may hold two)
        if (same := named.setdefault(_key(a.name), a)) is not a:
            raise Invalid("Danh mục có hai đơn vị cùng tên “%(first)s” và “%(second)s” (chỉ khác dấu cách, chữ hoa "
                          "hoặc dấu): quản trị viên đổi tên hoặc ngừng một đơn vị ở mục “Đơn vị” trước khi nhập.",
                          first=same.name, second=a.name)
    owners = {key: a.id for key, a in named.items()}
    entries = []
    for a in agencies:
        short = [a.short_name] if a.short_name and shorts[fold_words(a.short_name)] == 1 else []
        names = [t for t in dict.fromkeys([*(a.aliases or ()), *settled.get(a.id, ()), *short])
                 if owners.setdefault(_key(t), a.id) == a.id]
        entries.append(RegistryEntry(a.name, tuple(names)))
    if doc is None:
        return AgencyMatcher(entries)
    return AgencyMatcher(entries, level=document_level(doc.number), definitions=doc.definitions)


def _key(name: str) -> str:
    return fold_words(strip_notes(name)[0])


def imported_before(sha: str, number: str | None, issued: date | None) -> Directive | None:
    """The document as imported before: the same file, or the same number ("266-KH/TU" is the "Kế hoạch số
    266-KH/TU" a person typed, or a task's "Văn bản giao" named) — of the same day when both days are known, since
    numbers start again every year. So that a document imported again, or from another file (its PDF after its
    .docx), finds its tasks and is recorded once."""
    directive = db.session.scalar(select(Directive).where(Directive.sha256 == sha))
    return directive if directive is not None else create.same_number(number, issued)


def build_context(doc: ParsedDocument, sha: str, issued: date | None, number: str | None = None) -> Context:
    """Read once what analysing `doc` needs: its directive if imported before (``number``: as the importer typed
    it, else the document's own), settled names, other titles."""
    issued = issued or doc.issued
    directive = imported_before(sha, number or doc.number, issued)
    keys = {}
    if directive is not None:
        keys = dict(db.session.execute(select(Task.import_key, Task.id).where(
            Task.directive_id == directive.id, Task.import_key.is_not(None))).all())
    settled = dict(db.session.execute(select(AgencyReview.normalized, AgencyReview.status).where(
        AgencyReview.status.in_(("group", "ignored")))).all())
    # the tasks and group tasks (not a member's share: its title is its group's) of other documents, and those of
    # this one typed in by hand from it (no import key: filed under it by their "Văn bản giao")
    owed_by = func.coalesce(Agency.name, AgencyGroup.name)
    running = and_(Task.state == "active", Task.kind != "withdrawn")
    others = (select(Task.title, Task.code, Task.id, Task.directive_id, owed_by, running)
              .outerjoin(Agency, Agency.id == Task.lead_agency_id)
              .outerjoin(AgencyGroup, AgencyGroup.id == Task.group_id)
              .where(Task.kind.in_(("task", "group")), Task.parent_id.is_(None)).order_by(Task.id))
    if directive is not None:
        others = others.where(Task.directive_id.is_distinct_from(directive.id) | Task.import_key.is_(None))
    titles: dict[str, list[SameTitle]] = {}
    for title, code, task_id, directive_id, lead, active in db.session.execute(others):
        filed = directive_id is not None and (directive is None or directive_id != directive.id)
        titles.setdefault(fold_words(title), []).append(SameTitle(code, task_id, filed, lead, directive_id,
                                                                  bool(active)))
    matcher = registry_matcher(doc)
    names = {fold_words(n) for g in db.session.scalars(select(AgencyGroup)) for n in [g.name, *(g.aliases or ())]}
    return Context(matcher, holidays.calendar(), issued, directive, keys, settled, titles,
                   _unrouted(), _groups(matcher), _merged(), names, create.directive_numbers())


def _merged() -> dict[str, tuple[str, date]]:
    ended = select(Agency).where(Agency.end_kind == "merged", Agency.successor_id.is_not(None))
    return {fold_words(a.name): (a.successor.name, a.ended_on) for a in db.session.scalars(ended)}


def _groups(matcher: AgencyMatcher) -> dict[str, tuple[str, int]]:
    """Each group by its name and aliases as written, and by the collective they read as ("Các sở, ngành cấp tỉnh"
    and "Các sở, ban, ngành" are one collective to the matcher), unless two groups read as the same."""
    today = clock.today()
    found: dict[str, tuple[str, int]] = {}
    read_as: dict[str, set[tuple[str, int]]] = {}
    for group in db.session.scalars(select(AgencyGroup)):
        entry = (group.name, len(group.members_on(today)))
        for name in [group.name, *(group.aliases or ())]:
            found[fold_words(name)] = entry
            for collective in matcher.resolve(name).groups:
                read_as.setdefault(fold_words(collective), set()).add(entry)
    return {**{k: next(iter(v)) for k, v in read_as.items() if len(v) == 1}, **found}


def _unrouted() -> dict[str, str]:
    """The output types whose process names an agency missing from the registry, with that agency."""
    known = set(db.session.scalars(select(Agency.name)))
    found = {}
    for output_type in OUTPUT_TYPES:
        missing = [n for n in [*catalog.parties(catalog.route(output_type)), settings.get("COORDINATING_AGENCY")]
                   if n not in known]
        if missing:
            found[output_type] = missing[0]
    return found


def analyse(doc: ParsedDocument, ctx: Context, overrides: dict[str, dict] | None = None) -> dict:
    """The report of what a commit would do, per appendix and row."""
    overrides = overrides or {}
    repeats = repeated_rows(doc)
    appendices, indicators = [], []
    tables = list(doc.appendices)
    body = prose.appendix(doc.paragraphs, ctx.matcher.sure)
    for index, appendix in enumerate(tables + ([body] if body else [])):
        if appendix.kind == "indicators":
            indicators.append({"title": appendix.title, "rows_in_source": appendix.rows_in_source,
                               "rows": [_indicator_plan(r, ctx) for r in appendix.rows]})
            continue
        rows = [_row_plan(appendix, r, ctx, overrides.get(f"{index}:{r.number}", {}), repeats.get((index, r.number)))
                for r in appendix.rows]
        counts = {a: sum(1 for r in rows if r["action"] == a)
                  for a in ("new", "unchanged", "rename", "adjust", "withdraw", "flagged", "skipped", "duplicate")}
        appendices.append({
            "index": index, "title": appendix.title, "kind": appendix.kind, "rows_in_source": appendix.rows_in_source,
            "unknown_columns": appendix.unknown_columns,
            "imported": counts["new"] + counts["unchanged"] + counts["rename"] + counts["adjust"] + counts["withdraw"],
            "flagged": counts["flagged"] + counts["skipped"] + counts["duplicate"], "counts": counts, "rows": rows})
    return {"document": {"number": doc.number, "issued": doc.issued.isoformat() if doc.issued else None,
                         "title": doc.title, "warnings": doc.warnings},
            "appendices": appendices, "indicators": indicators}


def deadline_already(task: Task, parsed: dict, deadline_text: str) -> bool:
    """Whether an amended deadline is the one the task already has (an amendment imported twice)."""
    new_due = date.fromisoformat(parsed["effective_due"]) if parsed["effective_due"] else None
    return new_due == task.due_date and deadline_text == task.deadline_text


# ---------------------------------------------------------------- one task row

def _row_plan(appendix: Appendix, row: SourceRow, ctx: Context, overrides: dict, repeat: dict | None = None) -> dict:
    """One task row of the report: what it says, understood, and what committing it would do."""
    cells = row.cells
    title = overrides.get("title") or cells.get("title", "").strip()
    # (what a person's fix settles is said no more: a title typed for a row that had none)
    warnings = [w for w in row.warnings if not (overrides.get("title") and w == EMPTY_TITLE)]
    blocking: list[dict] = []
    if not title:
        blocking.append({"code": "title", "message": "Thiếu tên nhiệm vụ."})
    leads, collabs, groups, reviews, central = _row_agencies(cells, ctx, overrides, warnings, blocking)
    output_text = cells.get("output", "")
    guess = guess_output_type(output_text, title)
    # (a sentence that names no deadline reads as "Thường xuyên": the document wrote none)
    deadline_text = "" if prose.NO_DEADLINE in row.warnings else cells.get("deadline", "")
    parsed = _row_deadline(cells, output_text, ctx, overrides, warnings, blocking)
    # the row's identity is the document's own words: a title corrected on the preview is found again next time
    own_title = cells.get("title", "").strip() or title
    key = import_key(appendix.title, row.stt, own_title) if title else None
    output_type = overrides.get("output_type") or guess.output_type
    if output_type in ctx.unrouted and not parsed["done_at_issue"]:
        blocking.append({"code": "route", "message": f"Quy trình của loại sản phẩm này cần đơn vị "
                         f"“{ctx.unrouted[output_type]}” nhưng đơn vị này chưa có trong danh mục. Vui lòng bổ sung "
                         "đơn vị."})
    floor = settings.get("OCR_MIN_CONFIDENCE")  # a row read less surely waits for a person to compare it
    if row.confidence is not None and row.confidence < floor and not overrides.get("checked"):
        blocking.append({"code": "scan", "message": f"Dòng đọc từ ảnh quét với độ tin cậy {row.confidence}% (dưới "
                         f"{floor}%): đối chiếu với bản gốc, sửa nếu cần rồi lưu hoặc bấm “Đã đối chiếu”."})
    if not row.assigns and not overrides.get("lead_agency"):  # a sentence that is no task, until given a lead
        blocking[:] = [{"code": "not_a_task", "message": prose.NOT_A_TASK}]
        warnings = [w for w in warnings if w not in (prose.NOT_A_TASK, prose.NO_DEADLINE)]
    typed = _typed_before(title, leads, ctx, cells.get("assigning_doc", ""))
    action, target = _row_action(cells, key, title, leads, typed, parsed, ctx, overrides, warnings, blocking, repeat)
    return {
        "number": row.number, "stt": row.stt, "section": row.section, "title": title,
        "lead_agencies": leads, "collaborating_agencies": collabs, "groups": groups, "central_agencies": central,
        "source_text": source_text(row), "source_parts": _source_parts(row) if appendix.kind == "prose" else None,
        "output_type": output_type, "output_reason": "" if overrides.get("output_type") else guess.reason,
        "output_confidence": round(guess.confidence, 2),
        "expected_output": output_text, "assigning_doc": cells.get("assigning_doc", ""), "note": cells.get("note", ""),
        "adjustment": cells.get("adjustment", ""),
        "deadline_text": deadline_text, "nominal_due": parsed["nominal_due"], "effective_due": parsed["effective_due"],
        "recurrence": parsed["recurrence"], "recurrence_day": parsed["recurrence_day"],
        "recurrence_weekday": parsed["recurrence_weekday"], "starts": parsed["starts"],
        "milestones": parsed["milestones"],
        "done_at_issue": parsed["done_at_issue"], "unparsed": parsed["unparsed"],
        "warnings": warnings, "blocking": blocking, "reviews": reviews, "extra": row.extra,
        "key": key, "action": action, "target_task_id": target, "overrides": overrides, "line": row.line,
        # a task typed in by hand that this row is (or, "as_new", is not): the preview offers both
        "typed_before": typed is not None and (target == typed.task_id or bool(overrides.get("as_new"))),
        "pages": list(row.pages), "scan_confidence": row.confidence,
        "duplicate_of": repeat, "not_a_task": not row.assigns and not overrides.get("lead_agency"),
    }


def _row_agencies(cells: dict[str, str], ctx: Context, overrides: dict, warnings: list[str],
                  blocking: list[dict]) -> tuple[list[str], list[str], list[str], list[dict], list[str]]:
    """The lead and collaborating agencies, the collective names, the names to review and the central leads of
    one row.

    A row needs exactly one lead agency of the province: further leads become collaborators; a collective
    name, a central body (a ministry leads nationally; the province's own unit is what it tracks) or nothing
    at all blocks the row until the coordinator picks one. The central bodies that lead — a "Bộ, ngành chủ trì"
    column, or the lead cell's ministries — are the task's central leads, as written; those among the
    collaborators are context, in the row's warnings.
    """
    central = _central_leads(cells.get("central_lead", ""), ctx)
    lead = _resolve_cell(cells.get("lead", ""), ctx, "Chủ trì")
    central += [c for c in lead.central if c not in central]
    collab = _resolve_cell(cells.get("collaborators", ""), ctx, "Phối hợp")
    leads, lead_reviews = lead.agencies, lead.reviews
    collabs, groups, collab_reviews = collab.agencies, collab.groups, collab.reviews
    # registered groups: every member gives an opinion — not "the concerned ones", "those chosen" (unless a group of
    # that very name was registered: "Các xã thí điểm")
    named = [g for g in groups if fold_words(g) in ctx.groups and (not some_of(g) or fold_words(g) in ctx.group_names)]
    collabs = collabs + [ctx.groups[fold_words(g)][0] for g in named]
    groups = [g for g in groups if g not in named]
    chosen = overrides.get("lead_agency")  # a lead a person chose: what the cell said of its lead is settled
    warnings += ([] if chosen else lead.warnings) + collab.warnings
    # "Địa phương được lựa chọn": not every member (unless it is a registered group's own name)
    chosen_ones = not leads and some_of(cells.get("lead", "")) and not any(
        fold_words(text) in ctx.group_names for text in (cells.get("lead", "").strip().rstrip(".;"), *lead.groups))
    named_leads, unnamed = ([], []) if leads or chosen_ones else _group_leads(cells.get("lead", ""), lead, ctx)
    if chosen:
        leads, lead_reviews = [chosen], []
        named_leads, unnamed = ([ctx.groups[fold_words(chosen)]] if fold_words(chosen) in ctx.groups else []), []
    if named_leads and not unnamed:  # "UBND các xã, phường": one task for every member of each group
        leads, lead_reviews = [name for name, _ in named_leads], []
        warnings.append(f"Giao cho nhóm {' và nhóm '.join(f'“{name}”' for name, _ in named_leads)}: mỗi đơn vị "
                        f"thành viên một nhiệm vụ ({sum(n for _, n in named_leads)} đơn vị).")
    elif leads and lead.groups and not chosen:
        warnings.append(f"Chủ trì có tên chung (ghi lại, không giao việc): {'; '.join(lead.groups)}.")
    if "collaborating_agencies" in overrides:
        collabs, collab_reviews = list(overrides["collaborating_agencies"]), []
    reviews = lead_reviews + collab_reviews
    for review in reviews:
        blocking.append({"code": "agency", "message": f"Chưa nhận ra đơn vị “{review['text']}”"
                         + (f" (gần giống “{review['suggestion']}”)" if review.get("suggestion") else "") + "."})
    if not leads:
        if central:
            blocking.append({"code": "lead", "message": f"Đơn vị chủ trì là cơ quan Trung ương hoặc ngoài tỉnh "
                             f"(“{'; '.join(central)}”): hãy chọn đơn vị của tỉnh chủ trì phần việc của tỉnh."})
        elif chosen_ones:
            blocking.append({"code": "lead", "message": f"Đơn vị chủ trì là “{' '.join(cells['lead'].split())}”: chỉ "
                             "một số đơn vị, không phải mọi đơn vị của nhóm. Hãy chọn đơn vị chủ trì cho dòng này."})
        elif named_leads:  # a collective with no group beside one with: held, not cut to the one with
            blocking.append({"code": "lead", "message": f"Đơn vị chủ trì gồm cả “{'; '.join(unnamed)}”, chưa có nhóm "
                             "đơn vị nào mang tên này: tạo nhóm ở mục “Đơn vị” rồi xem trước lại, hoặc chọn đơn vị "
                             "chủ trì cho dòng này."})
        elif lead.groups:
            blocking.append({"code": "lead", "message": f"Đơn vị chủ trì là tên chung (“{'; '.join(lead.groups)}”): "
                                                         "hãy chọn một đơn vị cụ thể."})
        elif not lead_reviews:
            blocking.append({"code": "lead", "message": "Thiếu đơn vị chủ trì."})
    elif len(leads) > 1 and not named_leads:
        warnings.append(f"Nhiều đơn vị chủ trì: {leads[0]} chủ trì, các đơn vị còn lại được ghi là phối hợp.")
        collabs = [a for a in leads[1:] + collabs]
        leads = leads[:1]
    collabs = [a for a in dict.fromkeys(collabs) if a not in leads]
    if groups:
        warnings.append(f"Phối hợp có tên chung (ghi lại, không giao việc): {'; '.join(groups)}.")
    return leads, collabs, groups, reviews, central


SOME_OF = re.compile(r"\b(lien quan|duoc (lua )?chon|du dieu kien|mot so|thi diem|tieu bieu)\b")


def some_of(text: str) -> bool:
    """Whether a collective name means some of its members, not all: "các cơ quan, đơn vị liên quan", "địa phương
    được lựa chọn", "các địa phương có đủ điều kiện", "một số xã" — who they are is for a person to say."""
    return bool(SOME_OF.search(fold_words(text)))


def _central_leads(cell: str, ctx: Context) -> list[str]:
    """The bodies a "Bộ, ngành chủ trì" cell names, as written: never matched to the province's registry."""
    if not cell.strip():
        return []
    return list(dict.fromkeys(m.text for m in ctx.matcher.resolve(cell).matches if m.text)) or [cell.strip()]


def source_text(row: SourceRow) -> str:
    """What the row came from, verbatim: the sentence, or the table row's cells joined by " | "."""
    return " | ".join(cell.strip() for cell in row.raw)


def _source_parts(row: SourceRow) -> list[list]:
    """A prose row's sentence cut into [text, mark] pieces, the mark "lead", "collaborators" or "deadline" where
    the sentence says so (None elsewhere), for the preview to highlight."""
    sentence = source_text(row)
    spans: list[tuple[int, int, str]] = []
    for key in ("lead", "collaborators", "deadline"):
        phrase = row.cells.get(key, "").strip()
        at = sentence.find(phrase) if phrase else -1
        if at >= 0 and not any(a < at + len(phrase) and at < b for a, b, _ in spans):
            spans.append((at, at + len(phrase), key))
    parts: list[list] = []
    cursor = 0
    for start, end, key in sorted(spans):
        if start > cursor:
            parts.append([sentence[cursor:start], None])
        parts.append([sentence[start:end], key])
        cursor = end
    if cursor < len(sentence):
        parts.append([sentence[cursor:], None])
    return parts


@dataclass
class _Cell:
    """One agency cell resolved: the registry agencies, collective names, central bodies (as written), the names
    a person has to settle and the warnings to show."""

    agencies: list[str]
    groups: list[str]
    central: list[str]
    reviews: list[dict]
    warnings: list[str]


def _group_leads(cell: str, lead: _Cell, ctx: Context) -> tuple[list[tuple[str, int]], list[str]]:
    """The agency groups a lead cell names — the whole cell, or each collective or unknown name in it ("Các sở,
    ngành cấp tỉnh, các địa phương": the departments and the communes) — each with its members today, and the
    collectives in it that name no group."""
    whole = fold_words(cell.strip().rstrip(".;"))
    if whole in ctx.groups:
        return [ctx.groups[whole]], []
    names = [*lead.groups, *(r["text"] for r in lead.reviews)]
    found = list(dict.fromkeys(ctx.groups[fold_words(n)] for n in names if fold_words(n) in ctx.groups))
    return found, [g for g in lead.groups if fold_words(g) not in ctx.groups]


def _resolve_cell(cell: str, ctx: Context, what: str) -> _Cell:
    """Resolve one agency cell, applying the names settled once as collective or not an agency."""
    resolution = ctx.matcher.resolve(cell or "")
    # a collective meaning some of its members keeps its words ("Các sở, ngành liên quan" is not "Các sở, ban,
    # ngành"): recorded, never read as every member of a group
    groups = list(dict.fromkeys(m.text if some_of(m.text) and fold_words(m.text) not in ctx.group_names else m.group
                                for m in resolution.matches if m.kind == "group" and m.group))
    reviews = []
    warnings = [f"{what}: “{m.text}” được hiểu là “{m.name}”." for m in resolution.matches
                if m.kind == "fuzzy" and m.name and m not in resolution.review]
    for m in resolution.matches:
        if m.text and fold_words(m.text) in ctx.merged:
            successor, day = ctx.merged[fold_words(m.text)]
            warnings.append(f"{what}: “{m.text}” đã sáp nhập vào “{successor}” từ ngày {day:%d/%m/%Y}: giao cho "
                            f"{successor}.")
    if resolution.central:
        warnings.append(f"{what}: {'; '.join(f'“{c}”' for c in resolution.central)} là cơ quan Trung ương hoặc "
                        "ngoài tỉnh — ghi để theo dõi, không giao việc.")
    for m in resolution.review:
        if SOME_OF.fullmatch(fold_words(m.text)):  # "Một số" of "Một số địa phương": no name to settle
            continue
        decided = ctx.settled.get(fold_words(m.text))
        if decided == "group":
            groups.append(m.text)
        elif decided == "ignored":
            warnings.append(f"{what}: bỏ qua “{m.text}” (đã xác định không phải tên đơn vị).")
        else:
            reviews.append({"text": m.text, "suggestion": m.name, "score": round(m.score, 2),
                            "preselect": m.preselect})
    return _Cell(resolution.agencies, groups, resolution.central, reviews, warnings)


def _agencies(cell: str, ctx: Context, what: str) -> tuple[list[str], list[str], list[dict], list[str]]:
    """Resolve one agency cell: (agencies, groups, review pieces, warnings)."""
    found = _resolve_cell(cell, ctx, what)
    return found.agencies, found.groups, found.reviews, found.warnings


def _row_deadline(cells: dict[str, str], output_text: str, ctx: Context, overrides: dict, warnings: list[str],
                  blocking: list[dict]) -> dict:
    """The row's deadline understood (``Deadline.to_json``), after the note's "đã hoàn thành" and a fixed date."""
    deadline_text = cells.get("deadline", "")
    parsed, deadline_warnings, deadline_blocking = _deadline_fields(deadline_text, output_text, ctx)
    if re.search(r"đã (hoàn thành|thực hiện)", cells.get("note", ""), re.IGNORECASE):
        parsed["done_at_issue"] = True
        deadline_blocking = []  # a task done when the document was issued needs no deadline
    if overrides.get("due_date"):
        due = date.fromisoformat(overrides["due_date"])
        if parsed["recurrence"] == "ongoing" and not parsed["nominal_due"]:  # a date given where none was read
            parsed["recurrence"] = None
        parsed["nominal_due"] = due.isoformat()
        parsed["effective_due"] = ctx.calendar.next_working_day(due).isoformat()
        deadline_blocking = []
        deadline_warnings = [w for w in deadline_warnings if "ô thời hạn" not in w]
    warnings += deadline_warnings
    blocking += deadline_blocking
    return parsed


def _deadline_fields(text: str, outputs: str, ctx: Context) -> tuple[dict, list[str], list[dict]]:
    warnings: list[str] = []
    blocking: list[dict] = []
    read = parse_deadline(text, issued=ctx.issued, outputs=outputs, calendar=ctx.calendar)
    parsed = read.to_json()
    understood = parsed["nominal_due"] or parsed["recurrence"] or parsed["done_at_issue"]
    if not text.strip():
        blocking.append({"code": "deadline", "message": "Ô thời hạn trống."})
    elif not understood and parsed["starts"]:
        blocking.append({"code": "deadline", "message": f"Thời hạn “{text.strip()}” chỉ nêu ngày bắt đầu "
                         f"({date.fromisoformat(parsed['starts']):%d/%m/%Y}), chưa có hạn hoàn thành: nhập thời hạn ở "
                         "“Sửa dòng này”."})
    elif not understood:
        blocking.append({"code": "deadline", "message": f"Không hiểu thời hạn “{text.strip()}”."})
    elif guess := read.ambiguity():
        blocking.append({"code": "deadline", "message": AMBIGUOUS % guess + " (ở “Sửa dòng này”)"})
    elif parsed["unparsed"]:
        warnings.append(f"Phần không hiểu trong ô thời hạn: “{parsed['unparsed']}”.")
    if ctx.issued and parsed["nominal_due"] and parsed["nominal_due"] < ctx.issued.isoformat() \
            and not parsed["done_at_issue"]:
        warnings.append("Thời hạn đã qua so với ngày ban hành văn bản.")
    return parsed, warnings, blocking


def _typed_before(title: str, leads: list[str], ctx: Context, cited: str) -> SameTitle | None:
    """The one task that has this row's title and lead, typed in by hand with no document or filed under the
    document the row's "Văn bản giao" names: the row's own task, entered before this document was imported (a
    province's tasks of Nghị quyết 11/NQ-CP, entered from it, and the letter listing them again)."""
    named = create.directive_named(cited, ctx.numbers) if cited.strip() else None
    typed = [t for t in ctx.titles.get(fold_words(title), ())
             if leads == [t.lead] and (not t.filed or (named is not None and t.directive_id == named))]
    return typed[0] if len(typed) == 1 else None


def _row_action(cells: dict[str, str], key: str | None, title: str, leads: list[str], typed: SameTitle | None,
                parsed: dict, ctx: Context, overrides: dict, warnings: list[str], blocking: list[dict],
                repeat: dict | None = None) -> tuple[str, int | None]:
    """What committing the row does, with the warnings a person should read before: a task of the same
    title typed in by hand (found unchanged and filed under the document, unless the coordinator makes the row a
    task of its own: the override "as_new") or from another document, a deadline already past, an earlier row of
    this document that it repeats (imported once, unless the coordinator keeps both: the override "keep_both")."""
    action, target = _action(cells.get("adjustment", ""), key, title, leads, ctx, blocking)
    if action == "flagged" and overrides.get("as_new"):  # an amendment of a task never imported: a new task
        blocking[:] = [b for b in blocking if b["code"] != "amend"]
        action, target = ("flagged" if blocking else "new"), None
    if action == "adjust" and deadline_already(db.session.get(Task, target), parsed, cells.get("deadline", "")):
        action = "unchanged"  # the preview says what committing will do (see pipeline._commit_row)
    same = ctx.titles.get(fold_words(title), []) if action == "new" else []
    if same and typed is not None and not overrides.get("as_new"):
        action, target = "unchanged", typed.task_id
        warnings.append(f"Nhiệm vụ {typed.code} cùng tên, cùng đơn vị chủ trì, giao theo văn bản mà dòng này nêu ở "
                        "“Văn bản giao”, đã có: không nhập lại." if typed.filed else
                        f"Nhiệm vụ {typed.code} cùng tên, cùng đơn vị chủ trì đã được nhập tay trước khi có văn bản "
                        "này: không nhập lại; khi ghi danh mục, nhiệm vụ đó được xếp vào văn bản này.")
    elif same:
        origin = "giao theo văn bản khác" if any(t.filed for t in same) else "nhập tay, chưa gắn văn bản"
        warnings.append(f"Đã có nhiệm vụ cùng tên ({', '.join(t.code for t in same)}, {origin}): nếu là "
                        "một nhiệm vụ, hãy bỏ qua dòng này để không nhập trùng.")
    if parsed["effective_due"] and not parsed["done_at_issue"] \
            and date.fromisoformat(parsed["effective_due"]) < clock.today():
        warnings.append(f"Thời hạn {date.fromisoformat(parsed['effective_due']):%d/%m/%Y} đã qua: nhiệm vụ sẽ "
                        "quá hạn ngay khi nhập.")
    if repeat is not None:
        warnings.append(_repeat_note(repeat, bool(overrides.get("keep_both"))))
    if action == "withdraw" or any(b["code"] == WITHDRAW_CODE for b in blocking):
        # what the row's deadline and lead cells would make of a new task says nothing of one the document ends
        warnings[:] = [w for w in warnings if not w.startswith(NOT_OF_A_WITHDRAWAL)]
    if overrides.get("skip"):
        action = "skipped"
    elif repeat is not None and not overrides.get("keep_both"):
        action = "duplicate"
    elif blocking:
        action = "flagged"
    return action, target


def _action(adjustment: str, key: str | None, title: str, leads: list[str], ctx: Context,
            blocking: list[dict]) -> tuple[str, int | None]:
    """What committing the row does: new, unchanged, rename, adjust or withdraw (with its target task). An
    amendment changes a task of the lead (or group) its row names, and only one: a plan gives the same title to
    several agencies (the deadline of Sở Nội vụ's row moved Sở Y tế's task), and "nhiệm vụ số 03 Phụ lục II" is in
    many documents. A change of who does a task waits for a person (the running process has its parties)."""
    if key and key in ctx.existing_keys:
        return "unchanged", ctx.existing_keys[key]
    text = " ".join(adjustment.split()).lower()
    if not text or "nhiệm vụ bổ sung" in text:
        return "new", None
    if WITHDRAW.search(text):
        blocking[:] = [b for b in blocking if b["code"] != "deadline"]  # (the deadline of a task it ends)
        target = _one_of(ctx.titles.get(fold_words(title), []), leads, blocking, "nhiệm vụ cùng tên", "rút")
        return _running(target, blocking)
    if who := WHO.search(text):
        blocking.append({"code": "amend", "message": (
            f"Dòng này điều chỉnh đơn vị {who.group(1)} của nhiệm vụ đã giao: chưa làm được khi nhập "
            "(quy trình đang chạy đã có các đơn vị của nó). Đổi đơn vị chủ trì: rút nhiệm vụ cũ trên trang của nó "
            "(“Rút nhiệm vụ”), rồi nhập dòng này thành nhiệm vụ mới. Đổi đơn vị phối hợp: bỏ qua dòng này và báo các "
            "đơn vị liên quan.")})
        return "flagged", None
    if "bổ sung" in text:
        return "new", None
    rename = RENAME.search(text)
    if rename and "tên" in text:
        number, appendix = rename.group(1), rename.group(2).upper()
        # the numeral whole: "Phụ lục II" is not the start of "Phụ lục III"
        same_appendix = re.compile(rf"phụ lục\s+{appendix}(?![ivxlc])", re.IGNORECASE)
        found = [SameTitle(t.code, t.id, True, t.lead_name, t.directive_id, t.state == "active")
                 for t in db.session.scalars(select(Task).where(Task.appendix.ilike(f"%phụ lục {appendix}%"),
                                                                Task.parent_id.is_(None)).order_by(Task.id))
                 if same_appendix.search(t.appendix or "")
                 and (t.stt or "").strip().rstrip(".").lstrip("0") == number
                 and (ctx.directive is None or t.directive_id != ctx.directive.id)]
        target = _one_of(found, leads, blocking, f"nhiệm vụ số {number} Phụ lục {appendix}", "đổi tên")
        if target is None:
            return "flagged", None
        return ("unchanged" if db.session.get(Task, target).title == title else "rename"), target
    if "thời gian" in text or "thời hạn" in text:
        target = _one_of(ctx.titles.get(fold_words(title), []), leads, blocking, "nhiệm vụ cùng tên",
                         "điều chỉnh thời hạn")
        return ("adjust", target) if target is not None else ("flagged", None)
    # what else it says ("Tạm dừng thực hiện", "Điều chỉnh nội dung sản phẩm") is for a person: it became a new task
    blocking.append({"code": "amend", "message": f"Chưa rõ dòng này điều chỉnh gì (“{adjustment.strip()[:200]}”): "
                                                  "xem nhiệm vụ đã giao và sửa trên trang của nó, bỏ qua dòng này, "
                                                  "hoặc nhập dòng này thành nhiệm vụ mới."})
    return "flagged", None


WITHDRAW_CODE = "withdraw"  # a withdrawal that cannot be done: never offered as a new task
# the warnings of a row read as a new task (its deadline cell, a group's fan-out), not said of a withdrawal
NOT_OF_A_WITHDRAWAL = ("Ô thời hạn", "Thời hạn", "Phần không hiểu trong ô thời hạn", "Giao cho nhóm")


def _running(target: int | None, blocking: list[dict]) -> tuple[str, int | None]:
    """("withdraw", target) for a running task of its own; else flagged, saying why."""
    task = db.session.get(Task, target) if target is not None else None
    if task is None:
        return "flagged", None
    if not fanout.may_take_off(task):
        blocking.append({"code": WITHDRAW_CODE, "message": f"{task.code}: {fanout.why_not_taken_off(task)}"})
        return "flagged", None
    return "withdraw", target


def _one_of(found: list[SameTitle], leads: list[str], blocking: list[dict], what: str, change: str) -> int | None:
    """The one task of ``found`` that the row's lead (an agency or a group; any when the row names none) owes, or
    None with the reason why in ``blocking``."""
    # (a withdrawal is never made a new task: the document ends it)
    otherwise = "Bỏ qua dòng này." if change == "rút" else "Bỏ qua dòng này, hoặc nhập thành nhiệm vụ mới."
    mine = [t for t in found if not leads or t.lead in leads]
    if len(mine) > 1:  # last year's task of the same title, done, and this year's, running: this year's
        mine = [t for t in mine if t.running] or mine
    if len(mine) == 1:
        return mine[0].task_id
    if mine:
        why = (f"Có {len(mine)} {what} cùng đơn vị chủ trì ({', '.join(t.code for t in mine)}): dòng này không chỉ rõ "
               f"{change} nhiệm vụ nào. {otherwise}")
    elif found:
        others = "; ".join(f"{t.code} do {t.lead or 'chưa rõ đơn vị'} chủ trì" for t in found[:5])
        why = (f"Đã có {what} ({others}) nhưng dòng này giao cho {', '.join(leads)}: không {change} nhiệm vụ của "
               f"đơn vị khác. Kiểm tra văn bản gốc. {otherwise}")
    elif change == "rút":  # (never a new task: the document ends it)
        why = f"Không tìm thấy {what} để rút (văn bản gốc chưa được nhập?): không có gì để rút; bỏ qua dòng này."
    else:
        why = (f"Không tìm thấy {what} để {change} (văn bản gốc chưa được nhập?): nhập văn bản gốc trước, hoặc "
               "nhập dòng này thành nhiệm vụ mới.")
    blocking.append({"code": WITHDRAW_CODE if change == "rút" else "amend", "message": why})
    return None


# ---------------------------------------------------------------- rows a document writes twice

REPEAT_TEXTS = ("title", "lead", "collaborators", "output", "deadline")  # shown side by side in the preview


def repeated_rows(doc: ParsedDocument) -> dict[tuple[int, int], dict]:
    """The task rows that repeat an earlier row of the same document, by (appendix index, row number), each
    with where that earlier row is and the texts of both rows.

    A row repeats another when both give the same task title, the same lead agency and the same deadline,
    as written: accents, case, punctuation, spacing and leading zeros aside ("Tháng 06/2026" is "tháng
    6/2026"). The three together, because each alone says too little: a plan gives the same work to several
    agencies in nearly the same words (002: "Dự án: Đầu tư trang thiết bị phục vụ đào tạo …" for three schools),
    and with the very same words each agency would still owe its own task; the same title and lead with another
    deadline is a second phase or another year, and importing it once would lose that deadline. Only when what,
    who and when are all the same is a second task a copy that nobody owes. A row without a title repeats
    nothing. The other cells (collaborators, output) may differ: the preview shows which, so that the
    coordinator can keep both.
    """
    first: dict[tuple[str, str, str], tuple[int, Appendix, SourceRow]] = {}
    repeats: dict[tuple[int, int], dict] = {}
    for index, appendix in enumerate(doc.appendices):
        if appendix.kind != "tasks":
            continue
        for row in appendix.rows:
            identity = _identity(row.cells)
            if identity is None:
                continue
            if identity not in first:
                first[identity] = (index, appendix, row)
                continue
            at, earlier_appendix, earlier = first[identity]
            repeats[(index, row.number)] = {
                "appendix": at, "appendix_label": _appendix_label(earlier_appendix.title), "number": earlier.number,
                "stt": earlier.stt.strip().rstrip("."), "line": earlier.line,
                "first": {k: earlier.cells.get(k, "") for k in REPEAT_TEXTS},
                "this": {k: row.cells.get(k, "") for k in REPEAT_TEXTS},
                # what importing once would lose: the texts that say something else, not only in other letters
                "differs": [k for k in REPEAT_TEXTS
                            if _words(earlier.cells.get(k, "")) != _words(row.cells.get(k, ""))]}
    return repeats


def _identity(cells: dict[str, str]) -> tuple[str, str, str] | None:
    """What makes two rows one task: title, lead and deadline folded (see `repeated_rows`)."""
    title = _words(cells.get("title", ""))
    if not title:
        return None
    return title, _words(cells.get("lead", "")), _words(cells.get("deadline", ""))


def _words(text: str) -> str:
    """A cell's words without accents, case, punctuation or leading zeros ("Tháng 06/2026" -> "thang 6 2026")."""
    return " ".join(word.lstrip("0") or "0" for word in fold_words(text).split())


def _appendix_label(title: str) -> str:
    """"Phụ lục II" for "Phụ lục II: Danh mục …", else the table's title quoted."""
    return title.split(":")[0] if title.startswith("Phụ lục") else f"«{title[:60]}»"


def _repeat_note(repeat: dict, kept: bool) -> str:
    """The warning of a row that repeats an earlier one."""
    where = (f"dòng STT {repeat['stt']}" if repeat["stt"] else f"dòng thứ {repeat['number']} (không có STT)") \
        + f" của {repeat['appendix_label']}" + (f" (dòng {repeat['line']} của tệp)" if repeat.get("line") else "")
    if kept:
        return f"Lặp lại {where}; đã chọn giữ cả hai dòng: sẽ nhập thành hai nhiệm vụ."
    return (f"Lặp lại {where}: cùng tên nhiệm vụ, đơn vị chủ trì và thời hạn. Chỉ nhập một lần; chọn “Giữ cả "
            "hai” nếu đây là hai nhiệm vụ khác nhau.")


def _indicator_plan(row: SourceRow, ctx: Context) -> dict:
    """One indicator row of the report: its values by year and its responsible agencies."""
    cells = dict(row.cells)
    agencies, groups, reviews, _ = _agencies(cells.get("responsible", ""), ctx, "Chủ trì")
    targets = {k.removeprefix("target_"): v for k, v in cells.items() if k.startswith("target_") and v}
    return {"number": row.number, "stt": row.stt, "section": row.section, "name": cells.get("name", ""),
            "unit": cells.get("unit", ""), "baseline": cells.get("baseline", ""),
            "baseline_date": cells.get("baseline_date", ""), "targets": targets,
            "responsible": agencies, "responsible_groups": groups, "responsible_text": cells.get("responsible", ""),
            "reviews": reviews, "warnings": list(row.warnings), "extra": row.extra}
