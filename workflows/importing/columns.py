"""Which column of a table holds what: recognising a header row (one or two rows, a task or an indicator
table), naming each column by its role, and putting a row's cells under those names."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from workflows.importing.cell_text import agency_like, clean_cell
from workflows.importing.parsed import COLUMNS, INDICATOR_COLUMNS
from workflows.text import fold_words

HEADER_SLIPS = 2  # characters a header repeated on a scanned page may differ by (OCR misreadings)
_STT_NAMES = {"stt", "tt", "so tt", "s tt", "so thu tu", "thu tu"}
_TASK_RULES = (
    ("adjustment", ("dieu chinh",)),
    ("assigning_doc", ("van ban giao", "can cu", "nguon giao", "van ban chi dao")),
    # a table of tasks shared with the central level names the ministry that leads nationally and the province's
    # own unit ("Bộ, ngành chủ trì" | "Đơn vị của tỉnh chủ trì phối hợp"): the province's unit is the lead
    ("central_lead", ("bo nganh chu tri", "bo chu tri", "bo nganh", "co quan trung uong", "trung uong chu tri",
                      "bo nganh trung uong")),
    ("lead", ("cua tinh chu tri", "don vi cua tinh", "co quan cua tinh", "tinh chu tri")),
    ("collaborators", ("phoi hop",)),
    ("lead", ("chu tri", "don vi thuc hien", "co quan thuc hien", "don vi dau moi", "co quan dau moi")),
    ("output", ("ket qua", "san pham")),
    ("deadline", ("thoi gian", "thoi han", "tien do", "han hoan thanh")),
    ("note", ("ghi chu",)),
    ("title", ("nhiem vu", "noi dung", "ten cong viec", "cong viec", "ten de an")),
)
_INDICATOR_RULES = (
    ("note", ("ghi chu",)),
    ("unit", ("don vi tinh", "dvt", "don vi do")),
    ("baseline", ("hien trang", "hien tai", "nam goc", "thuc trang")),
    ("responsible", ("chu tri", "co quan", "don vi", "theo doi", "trach nhiem")),
    ("name", ("chi tieu", "noi dung", "ten")),
)
_GROUPS = {"chi tieu", "cac chi tieu", "muc tieu", "gia tri", "chi tieu phan dau", "lo trinh", "ke hoach"}
_YEAR = re.compile(r"\b(19|20)\d{2}\b")


def _has_words(folded: str, words: tuple[str, ...]) -> bool:
    """Whether a folded text contains one of the folded phrases, as whole words."""
    padded = f" {folded} "
    return any(f" {w} " in padded for w in words)


def _task_key(text: str) -> str | None:
    """The canonical task column a header cell names ("Đơn vị chủ trì" -> "lead"), if any."""
    folded = fold_words(text, ascii_only=True)
    if not folded:
        return None
    if folded in _STT_NAMES:
        return "stt"
    for key, words in _TASK_RULES:
        if _has_words(folded, words):
            return key
    return None


def _indicator_key(text: str) -> str | None:
    """The canonical indicator column a header cell names ("Năm 2030" -> "target_2030"), if any."""
    folded = fold_words(text, ascii_only=True)
    if not folded:
        return None
    if folded in _STT_NAMES:
        return "stt"
    for key, words in _INDICATOR_RULES[:3]:
        if _has_words(folded, words):
            return key
    year = _YEAR.search(folded)
    if year:
        return f"target_{year.group(0)}"
    for key, words in _INDICATOR_RULES[3:]:
        if _has_words(folded, words):
            return key
    return None


@dataclass
class Header:
    """A recognised header: its cells as written, one canonical key per column, and the table's kind."""

    top: list[str]  # the header row as written
    sub: list[str] | None  # the second header row, if any
    leaves: list[str]
    columns: list[str | None]
    kind: str
    unknown: list[str]
    baseline_date: str

    @property
    def title_key(self) -> str:
        return "name" if self.kind == "indicators" else "title"

    def position(self, key: str) -> int | None:
        return self.columns.index(key) if key in self.columns else None


def _combine(top: list[str], sub: list[str]) -> list[str]:
    """One header from two rows: the lower row's cells under a group cell ("CHỈ TIÊU"), the upper elsewhere.

    In text exports the upper row's later cells are not aligned with the lower row ("Cơ quan chủ trì" sits
    above "Năm 2040"): a named upper cell standing over a lower one comes after the group it overlaps.
    """
    leaves: list[str] = []
    pending: list[str] = []
    for index in range(max(len(top), len(sub))):
        upper = top[index].strip() if index < len(top) else ""
        lower = sub[index].strip() if index < len(sub) else ""
        if lower:
            leaves.append(lower)
            if upper and fold_words(upper, ascii_only=True) not in _GROUPS \
                    and (_task_key(upper) or _indicator_key(upper)):
                pending.append(upper)
            continue
        leaves.extend(pending)
        pending = []
        leaves.append(upper)
    leaves.extend(pending)
    while leaves and not leaves[-1]:
        leaves.pop()
    return leaves


def make_header(top: list[str], sub: list[str] | None) -> Header | None:
    """The header described by a row (and the row below it), or None if the row is no header."""
    first = next((c.strip() for c in top if c.strip()), "")
    if not first or first[0].isdigit():  # a data row: most rows, so answered before any cleaning
        return None
    cleaned_top = [clean_cell(c)[0].replace("\n", " ") for c in top]
    cleaned_sub = [clean_cell(c)[0].replace("\n", " ") for c in sub] if sub else None
    leaves = _combine(cleaned_top, cleaned_sub) if cleaned_sub else list(cleaned_top)
    while leaves and not leaves[-1]:
        leaves.pop()
    filled = [c for c in leaves if c]
    if len(filled) < 2 or any(len(c) > 120 for c in filled):
        return None
    if re.match(r"^\d", leaves[0].strip() if leaves else ""):
        return None
    kind, columns = _column_roles(leaves)
    recognised = [k for k in columns if k]
    enough = len(recognised) >= 3 or (len(recognised) == 2 and "stt" in recognised)
    if (("name" if kind == "indicators" else "title") not in recognised or not enough
            or len(recognised) * 2 < len(filled)):
        return None
    unknown = [c for c, k in zip(leaves, columns, strict=True) if c and k is None]
    baseline_date = ""
    if "baseline" in columns:
        match = re.search(r"\(([^)]*)\)", leaves[columns.index("baseline")])
        baseline_date = match.group(1).strip() if match else ""
    return Header(top, sub, leaves, columns, kind, unknown, baseline_date)


def _column_roles(leaves: list[str]) -> tuple[str, list[str | None]]:
    """The table's kind and the canonical key of each header cell (a key named twice counts once)."""
    task_keys = [_task_key(c) for c in leaves]
    indicator_keys = [_indicator_key(c) for c in leaves]
    is_indicator = (
        any(k == "name" and "chi tieu" in fold_words(c, ascii_only=True)
            for k, c in zip(indicator_keys, leaves, strict=True))
        or sum(1 for k in indicator_keys if k and k.startswith("target_")) >= 2
        or "baseline" in indicator_keys
    ) and "deadline" not in task_keys
    keys = indicator_keys if is_indicator else task_keys
    columns: list[str | None] = []
    for key in keys:
        columns.append(key if key and key not in columns else None)
    return ("indicators" if is_indicator else "tasks"), columns


def sub_header_row(top: list[str], cells: list[str]) -> bool:
    """Whether `cells` is the lower row of a two-row header whose upper row is `top`."""
    lower = []
    for index, cell in enumerate(cells):
        text = clean_cell(cell)[0]
        # a vertically merged header cell may be repeated in the lower row
        same = index < len(top) and fold_words(text, ascii_only=True) == fold_words(top[index], ascii_only=True)
        lower.append("" if same else text)
    filled = [c for c in lower if c]
    if not filled or (lower and lower[0]) or any(len(c) > 80 for c in filled):
        return False
    if not all(_YEAR.search(fold_words(c, ascii_only=True)) or _indicator_key(c) or _task_key(c) for c in filled):
        return False
    for index, cell in enumerate(lower):
        upper = top[index].strip() if index < len(top) else ""
        if cell and (not upper or fold_words(upper, ascii_only=True) in _GROUPS
                     or not (_task_key(upper) or _indicator_key(upper))):
            return True
    return False


def numbering_row(cells: list[str]) -> bool:
    """Whether a row only numbers the columns: "(1) (2) (3) …" or "1 2 3 …"."""
    filled = [c.strip() for c in cells if c.strip()]
    if len(filled) < 3 or not all(re.fullmatch(r"\(?\d{1,2}\)?", c) for c in filled):
        return False
    return [int(c.strip("()")) for c in filled] == list(range(1, len(filled) + 1))


def same_header(header: Header, cells: list[str]) -> bool:
    """Whether a row repeats a header's upper row (the header repeated after a page break), up to a letter or two
    that OCR misread on one page of a scan ("ST" for "STT"): the same cells, and their texts differ by at
    most ``HEADER_SLIPS`` characters."""
    mine, theirs = _folded_cells(header.top), _folded_cells(cells)
    if len(mine) != len(theirs):
        return False
    first, second = " | ".join(mine), " | ".join(theirs)
    matching = difflib.SequenceMatcher(None, first, second, autojunk=False).get_matching_blocks()
    same = sum(block.size for block in matching)
    return len(first) + len(second) - 2 * same <= HEADER_SLIPS


def same_cells(first: list[str], second: list[str]) -> bool:
    """Whether two rows have the same texts, accents, case and trailing empty cells aside."""
    return _folded_cells(first) == _folded_cells(second)


def _folded_cells(cells: list[str]) -> list[str]:
    folded = [fold_words(clean_cell(c)[0], ascii_only=True) for c in cells]
    while folded and not folded[-1]:
        folded.pop()
    return folded


def label_of(header: Header, key: str) -> str:
    """The header text of a canonical column, for a warning."""
    position = header.position(key)
    return header.leaves[position] if position is not None else key


# ---------------------------------------------------------------- a row's cells under the header

@dataclass
class Mapped:
    """A row's cells under canonical keys, before it is known which task they belong to."""

    cells: dict[str, str]
    extra: dict[str, str]
    warnings: list[str]

    def filled(self) -> set[str]:
        return {k for k, v in self.cells.items() if v and k not in ("stt", "baseline_date")} | \
            {f"extra:{k}" for k, v in self.extra.items() if v}

    def get(self, key: str) -> str:
        return self.extra.get(key[6:], "") if key.startswith("extra:") else self.cells.get(key, "")


def _empty_cells(header: Header) -> dict[str, str]:
    """Every canonical key of a table's kind, empty (a row always has all of them)."""
    if header.kind == "tasks":
        return {k: "" for k in COLUMNS}
    cells = {k: "" for k in INDICATOR_COLUMNS}
    cells.update({k: "" for k in header.columns if k and k.startswith("target_")})
    cells["baseline_date"] = header.baseline_date
    return cells


def map_row(raw: list[str], header: Header) -> Mapped:
    """Canonical cells of one row, by the position of its cells under the header."""
    cells = _empty_cells(header)
    extra: dict[str, str] = {}
    warnings: list[str] = []
    cleaned = []
    for text in raw:
        value, notes = clean_cell(text)
        cleaned.append(value)
        warnings.extend(n for n in notes if n not in warnings)
    if header.kind == "indicators":
        shifted = _indicator_by_meaning(cleaned, header, cells, extra, warnings)
        if shifted:
            return Mapped(cells, extra, warnings)
    overflow = 0
    for index, value in enumerate(cleaned):
        if index < len(header.columns):
            key = header.columns[index]
            if key:
                cells[key] = value
            elif header.leaves[index]:
                extra[header.leaves[index]] = value
            elif value:
                extra[f"Cột {index + 1}"] = value
        elif value:
            extra[f"Cột {index + 1}"] = value
            overflow += 1
    for index, leaf in enumerate(header.leaves):
        if header.columns[index] is None and leaf:
            extra.setdefault(leaf, "")
    if overflow:
        warnings.append(f"Nghi lệch cột: dòng có {overflow} ô có nội dung nằm ngoài {len(header.leaves)} cột "
                        "của tiêu đề (đã giữ trong phần cột khác).")
    return Mapped(cells, extra, warnings)


def _indicator_by_meaning(cleaned: list[str], header: Header, cells: dict[str, str], extra: dict[str, str],
                          warnings: list[str]) -> bool:
    """Map an indicator row whose cells are not under their headers; False if the positions hold.

    Text exports lose the empty or merged cells of indicator rows: a row may have five values for six
    year columns, its responsible agency landing under "Năm 2045". The agency is the last cell; the
    values are what lies between the unit and the agency.
    """
    values_at = [i for i, k in enumerate(header.columns) if k and (k == "baseline" or k.startswith("target_"))]
    responsible_at = header.position("responsible")
    filled = [i for i, c in enumerate(cleaned) if c]
    if not values_at or responsible_at is None or not filled:
        return False
    last = max(filled)
    if last == responsible_at or last <= values_at[0] or not agency_like(cleaned[last]):
        return False
    for index in range(values_at[0]):
        key = header.columns[index] if index < len(header.columns) else None
        if key:
            cells[key] = cleaned[index]
        elif cleaned[index]:
            extra[header.leaves[index] or f"Cột {index + 1}"] = cleaned[index]
    values = cleaned[values_at[0]:last]
    value_keys = [header.columns[i] for i in values_at]
    for key, value in zip(value_keys, values, strict=False):
        cells[key] = value
    for offset, value in enumerate(values[len(value_keys):]):
        if value:
            extra[f"Cột {values_at[0] + len(value_keys) + offset + 1}"] = value
    cells["responsible"] = cleaned[last]
    if any(values):
        if len(values) < len(value_keys):
            warnings.append(f"Nghi lệch cột: dòng chỉ có {len(values)}/{len(value_keys)} ô giá trị chỉ tiêu; "
                            f"đã xếp lần lượt từ cột «{header.leaves[values_at[0]]}», cần kiểm tra.")
        elif len(values) > len(value_keys):
            warnings.append(f"Nghi lệch cột: dòng có {len(values)} ô giá trị, nhiều hơn {len(value_keys)} cột "
                            "chỉ tiêu (phần thừa giữ trong phần cột khác).")
    return True
