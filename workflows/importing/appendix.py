"""Build one appendix from the rows under its header: section rows that label the rows below, rows cut by a
page break, cells that slipped onto a neighbouring row, and the checks every finished row goes through."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from math import ceil

from workflows.importing.cell_text import (
    agency_like,
    clean_cell,
    continues,
    deadline_like,
    from_roman,
    join_cell,
    sentence_ended,
    starts_lower,
    to_roman,
)
from workflows.importing.columns import Header, Mapped, label_of, map_row
from workflows.importing.file_formats import Item
from workflows.importing.parsed import EMPTY_TITLE, Appendix, SourceRow
from workflows.tasks.deadline_text import parse_deadline

_ROMAN = re.compile(r"^(?=[IVX])X{0,3}(IX|IV|V?I{0,3})$")
_SUBHEAD = re.compile(r"^(\d+(\.\d+)*[.)]|[a-zđ][.)])\s+[A-ZĐÀ-Ỹ]")

# columns whose text runs on over several lines, so that a page break may cut it anywhere; the others hold one
# value each (an agency list, a deadline, a figure)
_TEXT_KEYS = frozenset({"title", "name", "output", "assigning_doc", "adjustment"})
_AGENCY_KEYS = frozenset({"lead", "collaborators", "responsible"})

# cells where a deadline or an agency's name lands when a row's cells slipped (the order is the order looked in)
_DEADLINE_ASTRAY = ("output", "collaborators", "lead", "note")
_AGENCY_ASTRAY = ("output", "deadline")

# cells waiting for the next task row: the cells, the row they came from as written, and the warning to give
Carried = tuple[Mapped, list[str], str]


def section_of(cleaned: list[str], header: Header) -> tuple[str, list[int]] | None:
    """The label of a section row ("IV. Đầu tư …") and the positions of its other filled cells."""
    stt_at = header.position("stt")
    title_at = header.position(header.title_key)
    first_at = stt_at if stt_at is not None else 0
    first = cleaned[first_at] if first_at < len(cleaned) else ""
    title = cleaned[title_at] if title_at is not None and title_at < len(cleaned) else ""
    others = [i for i, c in enumerate(cleaned) if c and i not in (first_at, title_at)]
    first_line = first.replace("\n", " ")
    match = re.fullmatch(r"([IVX]{1,7})\s*[.)]?", first_line)
    if match and _ROMAN.match(match.group(1)):
        return (f"{match.group(1)}. {title}" if title else match.group(1)).replace("\n", " "), others
    match = re.match(r"([IVX]{1,7})[.)]?\s+(\S.*)", first_line)
    if match and _ROMAN.match(match.group(1)):
        rest = match.group(2) + (f" {title}" if title else "")
        return f"{match.group(1)}. {rest}".replace("\n", " "), others
    if others:
        return None
    match = re.fullmatch(r"([A-H])\s*[.)]?", first_line)
    if match and title:
        return f"{match.group(1)}. {title}".replace("\n", " "), []
    match = re.match(r"([A-H])[.)]\s+(\S.*)", first_line)
    if match and not title:
        return f"{match.group(1)}. {match.group(2)}", []
    lone = [c for c in (first, title) if c]
    if len(lone) == 1 and not first_line[:1].isdigit():
        text = lone[0].replace("\n", " ")
        letters = [ch for ch in text if ch.isalpha()]
        if len(text.split()) >= 2 and letters and not any(ch.islower() for ch in letters):
            return text, []
    return None


def subsection_of(cleaned: list[str], header: Header, next_stt: str) -> str | None:
    """The label of a sub-section row ("1. Title" with nothing else on the row), or None."""
    stt_at = header.position("stt")
    title_at = header.position(header.title_key)
    if title_at is None:
        return None
    first = cleaned[stt_at] if stt_at is not None and stt_at < len(cleaned) else ""
    title = cleaned[title_at] if title_at < len(cleaned) else ""
    if not title or any(c for i, c in enumerate(cleaned) if c and i not in (stt_at, title_at)):
        return None
    if not first and _SUBHEAD.match(title):
        return title.replace("\n", " ")
    number = first.rstrip(".")
    if re.fullmatch(r"\d+(\.\d+)*", number) and next_stt.startswith(number + ".") and len(next_stt) > len(number) + 1:
        return f"{number}. {title}".replace("\n", " ")
    return None


@dataclass
class _Work:
    """A data row being assembled: page-break pieces and moved cells are merged into it."""

    stt: str
    section: str | None
    mapped: Mapped
    raw: list[str]
    line: int | None
    warnings: list[str]
    pages: list[int] = field(default_factory=list)  # PDF: the pages the row is on (a page break may cut it)
    confidence: int | None = None  # read from a scan: the least sure of its pieces


def _merge_into(target: _Work, piece: Mapped, raw: list[str], separator: str | None = None) -> None:
    """Merge the filled cells of `piece` into `target`, cell by cell."""
    for key, value in piece.cells.items():
        if value and key not in ("stt", "baseline_date"):
            old = target.mapped.cells.get(key, "")
            target.mapped.cells[key] = _joined(old, value, separator)
    for key, value in piece.extra.items():
        if value:
            old = target.mapped.extra.get(key, "")
            target.mapped.extra[key] = _joined(old, value, separator)
    for note in piece.warnings:
        if note not in target.warnings:
            target.warnings.append(note)
    merged = list(target.raw) + [""] * max(0, len(raw) - len(target.raw))
    for index, value in enumerate(raw):
        if value.strip():
            merged[index] = f"{merged[index]}\n{value}" if merged[index].strip() else value
    target.raw = merged


def _joined(old: str, value: str, separator: str | None) -> str:
    """A cell's text with a piece added: after `separator` when given, else as a page break joins them."""
    if separator:
        return old + separator + value if old else value
    return join_cell(old, value)


def _fits(piece: Mapped, target: Mapped) -> bool:
    """Whether every filled cell of `piece` falls on an empty cell of `target`."""
    filled = piece.filled()
    return bool(filled) and all(not target.get(k) for k in filled)


def _where(item: Item) -> str:
    """" (trang 3)" or " (dòng 12)" for a warning, or nothing when the source has neither pages nor lines."""
    return f" (trang {item.page})" if item.page else f" (dòng {item.line})" if item.line else ""


@dataclass
class _Assembly:
    """The rows under one header being turned into task rows, in order."""

    header: Header
    items: list[Item]
    cleaned: list[list[str]]
    work: list[_Work] = field(default_factory=list)
    section: str | None = None
    subsection: str | None = None
    carried: list[Carried] = field(default_factory=list)

    def stt_of(self, index: int) -> str:
        cells = self.items[index].cells
        stt_at = self.header.position("stt")
        return cells[stt_at].strip() if stt_at is not None and stt_at < len(cells) else ""

    def is_task_row(self, index: int) -> bool:
        return 0 <= index < len(self.items) and bool(self.stt_of(index)) \
            and section_of(self.cleaned[index], self.header) is None

    def take_section(self, index: int) -> bool:
        """Whether the row labels a section; cells written on it wait for the next task row."""
        found = section_of(self.cleaned[index], self.header)
        if not found:
            return False
        item = self.items[index]
        self.section, others = found
        self.subsection = None
        if others:
            piece = map_row([c if i in others else "" for i, c in enumerate(item.cells)], self.header)
            self.carried.append((piece, [item.cells[i] if i in others else "" for i in range(len(item.cells))],
                                 f"Nghi lệch dòng: các ô trên dòng mục «{self.section.split('.')[0]}»"
                                 f"{_where(item)} đã được chuyển sang nhiệm vụ này, cần kiểm tra."))
        return True

    def take_subsection(self, index: int) -> bool:
        next_stt = self.stt_of(index + 1) if index + 1 < len(self.items) else ""
        sub = subsection_of(self.cleaned[index], self.header, next_stt)
        if sub:
            self.subsection = sub
        return bool(sub)

    def take_row(self, index: int) -> None:
        """A row with cells: a task of its own, or a piece of a neighbour (see `_place_without_stt`)."""
        item = self.items[index]
        stt = self.stt_of(index)
        where = f"{self.section} › {self.subsection}" if self.section and self.subsection \
            else (self.section or self.subsection)
        raw = list(item.cells)
        if stt and item.inherited:
            raw = [c if c.strip() else item.inherited.get(i, c) for i, c in enumerate(raw)]
        mapped = map_row(raw, self.header)
        if not stt and not mapped.filled():
            return
        previous = self.work[-1] if self.work else None
        if previous is not None and not stt:
            following = self.items[index + 1] if self.is_task_row(index + 1) else None
            if _place_without_stt(item, mapped, previous, following, self.header, self.carried):
                return
        row = _Work(stt, where, mapped, raw, item.line, list(mapped.warnings), [item.page] if item.page else [],
                    item.confidence)
        if not stt:
            row.warnings.insert(0, "Thiếu STT.")
        self.give_carried(row)
        self.work.append(row)

    def give_carried(self, row: _Work) -> None:
        """The cells waiting for a task row go into its empty cells, or beside them when they do not fit."""
        for piece, piece_raw, note in self.carried:
            if _fits(piece, row.mapped):
                _merge_into(row, piece, piece_raw)
            else:
                for key in piece.filled():
                    label = key[6:] if key.startswith("extra:") else label_of(self.header, key)
                    row.mapped.extra[f"Chuyển từ dòng khác: {label}"] = piece.get(key)
            row.warnings.append(note)
        self.carried = []


def build_appendix(title: str, header: Header, items: list[Item]) -> tuple[Appendix, list[str]]:
    """The appendix built from the table rows that follow one header, and warnings about cells left over."""
    cleaned = [[clean_cell(c)[0] for c in item.cells] for item in items]
    header, unnamed = _lead_by_content(header, cleaned)
    assembly = _Assembly(header, items, cleaned)
    for index in range(len(items)):
        if not assembly.take_section(index) and not assembly.take_subsection(index):
            assembly.take_row(index)
    _mend_read_numbers(assembly.work)
    rows = []
    for number, item in enumerate(assembly.work, start=1):
        moves = _move_misplaced(item.mapped, header)
        warnings = _dedupe(item.warnings + moves + _row_checks(item.mapped, header))
        rows.append(SourceRow(number, item.stt, item.section, item.mapped.cells, item.mapped.extra, item.raw,
                              item.line, warnings, pages=tuple(item.pages), confidence=item.confidence))
    leftovers = [f"{title[:60]}: dòng mục cuối bảng có nội dung không thuộc nhiệm vụ nào: "
                 + "; ".join(piece.get(k) for k in sorted(piece.filled())) for piece, _, _ in assembly.carried]
    if unnamed is not None:
        leftovers.insert(0, f"{title[:60]}: cột {unnamed + 1} không đọc được tiêu đề; các ô của cột là tên đơn vị "
                            "nên được hiểu là cột “Đơn vị chủ trì”. Hãy đối chiếu với bản gốc.")
    return Appendix(title, header.kind, header.leaves, header.columns, header.unknown, rows, len(rows)), leftovers


def _lead_by_content(header: Header, cleaned: list[list[str]]) -> tuple[Header, int | None]:
    """A task table without a lead column whose one column without a header holds agency names — a scanned header
    cell OCR could not read ("Đơn vị chủ trì" came back empty and every row lost its lead) — reads that column as
    the lead; with which column, or None."""
    if header.kind != "tasks" or "lead" in header.columns:
        return header, None
    blank = [i for i, (leaf, key) in enumerate(zip(header.leaves, header.columns, strict=True)) if not leaf and not key]
    blank += [i for i in range(len(header.leaves), max(map(len, cleaned), default=0))]  # past the header's end
    for index in blank:
        values = [row[index] for row in cleaned if index < len(row) and row[index]]
        if len(values) >= 2 and sum(agency_like(v) for v in values) * 4 >= len(values) * 3:
            leaves = header.leaves + [""] * (index + 1 - len(header.leaves))
            columns = header.columns + [None] * (index + 1 - len(header.columns))
            columns[index] = "lead"
            return replace(header, leaves=leaves, columns=columns), index
    return header, None


_ARABIC = re.compile(r"(\d{1,3})(\.?)")
_NUMBERED_OTHERWISE = re.compile(r"\d+(\.\d+)+\.?|[a-zđ][.)]")  # "1.2", "a)": a sub-row numbered so on purpose


def _mend_read_numbers(rows: list[_Work]) -> None:
    """A row's number OCR misread alone in its cell ("1" read "XU,", "11" read "TÚI §") is taken from the rows
    either side when they agree on it (the row before n-1, the row after n+1), or from its one neighbour when it is
    the first or last; where the numbering starts again in each section, from the rows of its own section. A
    misreading that still looks like a number ("18" between 7 and 9, "II") is mended only between two neighbours
    that agree. Rows of a typed document are left as written; a mended row says what was read."""
    for index, row in enumerate(rows):
        read = row.stt
        if row.confidence is None or not read or _NUMBERED_OTHERWISE.fullmatch(read):
            continue
        told = _told_by_neighbours(rows, index)
        if told is None:
            continue
        number, neighbours = told
        looks_numbered = _ARABIC.fullmatch(read) or _ROMAN.fullmatch(read.rstrip("."))
        if number < 1 or looks_numbered and (len(neighbours) < 2 or read.rstrip(".") == str(number)):
            continue
        row.stt = f"{number}{_ARABIC.fullmatch(neighbours[-1].stt).group(2)}"  # "2." or "2", as the next one
        if "stt" in row.mapped.cells:
            row.mapped.cells["stt"] = row.stt
        row.warnings.append(f"STT đọc từ ảnh là «{read}», lấy theo các dòng liền kề: {row.stt}.")


def _told_by_neighbours(rows: list[_Work], index: int) -> tuple[int, list[_Work]] | None:
    """The number the rows either side give row ``index`` (numbered on across sections, or else within its own)
    and those rows; None when they are not plain numbers or do not agree."""
    row = rows[index]
    for own_section_only in (False, True):
        neighbours = [(rows[at], step) for at, step in ((index - 1, 1), (index + 1, -1))
                      if 0 <= at < len(rows) and (not own_section_only or rows[at].section == row.section)]
        said = {int(m.group(1)) + step if (m := _ARABIC.fullmatch(n.stt)) else None for n, step in neighbours}
        if len(said) == 1 and None not in said:
            return said.pop(), [n for n, _ in neighbours]
    return None


def _place_without_stt(item: Item, mapped: Mapped, previous: _Work, following: Item | None, header: Header,
                       carried: list[Carried]) -> bool:
    """Place a row without STT; True if it was merged or moved, False if it stays a row of its own.

    - its STT cell is merged with the row above (docx): the same task goes on, cells joined line by line;
    - each of its cells continues the cell above, or fills an empty one: the rest of the previous row,
      cut by a page break (even when it has a title and most cells: "57-NQ/TW và …" goes on a title);
    - it is complete (a title and most cells): a task whose number was lost — it stays, flagged;
    - its cells fit the empty cells of the next task row, as they are or one column to the right: they
      slipped there (the next row takes them, flagged);
    - it stands right after a page break and each of its cells fills an empty cell or goes on a text the
      break cut (never a second agency, deadline or figure beside one): the rest of the previous row;
    - otherwise it stays a row of its own, flagged, so that nothing is lost.

    A piece merged into the row above is no row: it is not counted in `rows_in_source`.
    """
    stt_at = header.position("stt")
    if item.inherited.get(stt_at if stt_at is not None else 0) is not None:
        _merge_into(previous, mapped, item.cells, "\n")
        return True
    filled = mapped.filled()
    if all(not previous.mapped.get(k) or continues(previous.mapped.get(k), mapped.get(k)) for k in filled):
        _merge_rest(previous, mapped, item)
        return True
    cut = item.after_break and _rest_after_break(previous.mapped, mapped, header)
    title = mapped.cells.get(header.title_key, "")
    value_columns = sum(1 for k in header.columns if k and k != "stt")
    if not cut and title and not starts_lower(title) and len(filled) >= max(2, ceil(value_columns / 2)):
        return False
    if following is not None:
        target = map_row(following.cells, header)
        for shift in ((0, 1) if header.kind == "tasks" else (0,)):
            cells = [""] * shift + list(item.cells)
            piece = map_row(cells, header) if shift else mapped
            if _fits(piece, target):
                carried.append((piece, cells, f"Nghi lệch cột: các ô của dòng không có STT{_where(item)} đã "
                                              "được chuyển vào các ô trống của nhiệm vụ này"
                                              f"{' (lùi sang phải một cột)' if shift else ''}, cần kiểm tra."))
                return True
    if cut:
        _merge_rest(previous, mapped, item)
        return True
    mapped.warnings.append("Dòng không có STT và không ghép được với dòng trên hay dưới; nghi lệch cột, "
                           "cần kiểm tra.")
    return False


def _merge_rest(previous: _Work, mapped: Mapped, item: Item) -> None:
    """Merge the rest of a row cut by a page break into it, and say so."""
    _merge_into(previous, mapped, item.cells)
    if item.page and item.page not in previous.pages:
        previous.pages.append(item.page)
    if item.confidence is not None:
        previous.confidence = min(item.confidence, previous.confidence or 100)
    previous.warnings.append(f"Dòng nối tiếp từ trang trước đã được ghép{_where(item)}.")


def _rest_after_break(previous: Mapped, piece: Mapped, header: Header) -> bool:
    """Whether a row after a page break can be the rest of the row before it: each of its cells fills an empty
    cell, continues one, or goes on a text that the break cut before its sentence ended.

    A page break cuts every cell of a row at the same height, so the rest of a long title may begin with a
    capital ("… quán triệt" | "Nghị quyết số 57-NQ/TW …"), and the rest of an agency's name with a word that
    begins no name ("Ban Quản lý Khu Kinh tế Nghi" | "Sơn và các KCN"). A deadline, a note or a figure beside
    the one already there is a value of another row, never the rest of this one; so is an agency, unless the
    title goes on from the row above ("Ban Tuyên giáo và Dân vận" | "Tỉnh ủy" beside "57-NQ/TW và …").
    """
    title_key = header.title_key
    title_goes_on = bool(piece.get(title_key)) and bool(previous.get(title_key)) \
        and continues(previous.get(title_key), piece.get(title_key))
    for key in piece.filled():
        before, after = previous.get(key), piece.get(key)
        if not before or continues(before, after):
            continue
        if key in _TEXT_KEYS:
            if sentence_ended(before):
                return False
        elif key not in _AGENCY_KEYS or not (title_goes_on or not agency_like(re.split(r"[;,]", after)[0])):
            return False
    return True


def _dedupe(notes: list[str]) -> list[str]:
    """The notes in order, each once."""
    return list(dict.fromkeys(notes))


def _move_misplaced(mapped: Mapped, header: Header) -> list[str]:
    """Move a value recognised in the wrong cell of a task row into the empty cell it belongs to, and list each
    move: a deadline written under "Kết quả" (or another agency or note cell) goes to the empty deadline cell;
    an agency's name written under "Kết quả" or the deadline goes to the empty lead cell.

    Only a cell that is that value and nothing else moves ("Tháng 6/2026", not "Báo cáo hàng năm", an output
    that names its rhythm), only into an empty cell, and never out of the title: a row keeps every text it
    has, and what stays doubtful is told by `_row_checks`. The row's `raw` cells stay as written.
    """
    if header.kind != "tasks":
        return []
    cells = mapped.cells
    notes: list[str] = []

    def move(source: str, target: str) -> None:
        value = cells[source]
        cells[target], cells[source] = value, ""
        notes.append(f"Đã chuyển «{value}» từ ô {label_of(header, source)} sang ô {label_of(header, target)}.")

    def empty(key: str) -> bool:
        return key in header.columns and not cells.get(key)

    if empty("deadline"):
        source = next((k for k in _DEADLINE_ASTRAY if k in header.columns and _only_deadline(cells.get(k, ""))),
                      None)
        if source:
            move(source, "deadline")
    if empty("lead"):
        source = next((k for k in _AGENCY_ASTRAY if k in header.columns and _only_agencies(cells.get(k, ""))),
                      None)
        if source:
            move(source, "lead")
    return notes


def _only_deadline(text: str) -> bool:
    """Whether a cell holds a deadline and nothing else ("Tháng 6/2026", "Quý II năm 2026", "Thường xuyên")."""
    if not deadline_like(text):
        return False
    parsed = parse_deadline(text)
    return bool(parsed.nominal_due or parsed.recurrence or parsed.done_at_issue) and not parsed.unparsed.strip()


def _only_agencies(text: str) -> bool:
    """Whether a cell holds agencies' names and nothing else ("Sở Y tế; Công an tỉnh")."""
    pieces = [p.strip() for p in re.split(r"[;\n]", text) if p.strip()]
    return bool(pieces) and all(agency_like(p) and len(p.split()) <= 10 for p in pieces)


def _row_checks(mapped: Mapped, header: Header) -> list[str]:
    """Warnings about a finished row: empty key cells and cells that look shifted."""
    cells = mapped.cells
    notes = []
    if header.kind == "indicators":
        if not cells.get("name"):
            notes.append("Tên chỉ tiêu trống.")
        if "responsible" in header.columns and not cells.get("responsible"):
            notes.append("Ô cơ quan chủ trì trống.")
        return notes
    title = cells.get("title", "")
    if not title:
        notes.append(EMPTY_TITLE)
    elif agency_like(title) and len(title.split()) <= 5:
        notes.append(f"Nghi lệch cột: tên nhiệm vụ «{title}» trông như tên cơ quan.")
    if "lead" in header.columns and not cells.get("lead"):
        notes.append("Ô đơn vị chủ trì trống.")
    deadline = cells.get("deadline", "")
    if "deadline" in header.columns:
        if not deadline:
            notes.append("Ô thời hạn trống.")
        if not deadline_like(deadline):
            for key in ("output", "collaborators", "lead", "note"):
                if key in header.columns and cells.get(key) and deadline_like(cells[key]):
                    notes.append(f"Nghi lệch cột: ô «{label_of(header, key)}» chứa thời hạn «{cells[key]}».")
                    break
            else:
                if deadline and (agency_like(deadline) or len(deadline) > 120):
                    notes.append(f"Nghi lệch cột: ô thời hạn chứa «{deadline[:80]}».")
    return notes


def numbering_checks(appendix: Appendix) -> list[str]:
    """Warnings about gaps and repeats in an appendix's STT and section numbering."""
    name = appendix.title.split(":")[0] if appendix.title.startswith("Phụ lục") else f"«{appendix.title[:60]}»"
    notes = []
    if not appendix.rows:
        notes.append(f"{name}: bảng không có dòng dữ liệu.")
    numbers = [int(r.stt.rstrip(".")) for r in appendix.rows if re.fullmatch(r"\d+\.?", r.stt)]
    for before, after in zip(numbers, numbers[1:], strict=False):
        if after > before + 1:
            notes.append(f"{name}: STT nhảy từ {before} lên {after}.")
        elif after == before:
            notes.append(f"{name}: STT {after} lặp lại.")
    sections = []
    for row in appendix.rows:
        match = re.match(r"([IVX]+)\. ", row.section or "")
        if match and (not sections or sections[-1] != match.group(1)):
            sections.append(match.group(1))
    for before, after in zip(sections, sections[1:], strict=False):
        if from_roman(after) > from_roman(before) + 1:
            missing = ", ".join(to_roman(n) for n in range(from_roman(before) + 1, from_roman(after)))
            notes.append(f"{name}: không có mục {missing} (sau mục {before} là mục {after}).")
    return notes
