"""Many accounts at once from an .xlsx sheet: a preview that names every problem of every row, then a commit
that creates all of them or none, each with a temporary password shown once."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

from openpyxl import load_workbook
from sqlalchemy import select

from models import ROLE_LABELS, ROLES, User, db
from workflows import audit
from workflows.accounts import admin_people, people
from workflows.errors import Invalid, Message
from workflows.text import fold_words
from workflows.tx import transaction

MAX_ROWS = 1000
MAX_BYTES = 2 * 1024 * 1024
# the column each header names (its words without accents)
HEADERS = {
    "ten dang nhap": "username", "tai khoan": "username", "username": "username",
    "ho va ten": "full_name", "ho ten": "full_name", "full name": "full_name",
    "don vi": "agency", "co quan": "agency", "agency": "agency",
    "vai tro": "roles", "roles": "roles", "role": "roles",
    "email": "email", "thu dien tu": "email", "e mail": "email",
}
_ROLE_WORDS = {**{fold_words(r): r for r in ROLES}, **{fold_words(label): r for r, label in ROLE_LABELS.items()}}


@dataclass
class Row:
    line: int
    username: str = ""
    full_name: str = ""
    agency: str = ""
    roles_text: str = ""
    email: str = ""
    agency_id: int | None = None
    roles: list[str] = field(default_factory=list)
    problems: list[Message] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"line": self.line, "username": self.username, "full_name": self.full_name, "agency": self.agency,
                "roles": self.roles_text, "email": self.email}


def read_sheet(data: bytes) -> list[Row]:
    """The rows of the first sheet under its header row (the first row naming "Tên đăng nhập")."""
    if len(data) > MAX_BYTES:
        raise Invalid("Tệp quá lớn: giới hạn là 2 MB.")
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        values = [["" if v is None else str(v).strip() for v in row] for row in sheet.iter_rows(values_only=True)]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, IndexError) as exc:
        raise Invalid("Không đọc được tệp: hãy chọn một bảng tính Excel (.xlsx).") from exc
    headers = [{i: HEADERS[fold_words(c)] for i, c in enumerate(cells) if fold_words(c) in HEADERS}
               for cells in values]
    at = next((n for n, columns in enumerate(headers) if "username" in columns.values()), None)
    if at is None:
        raise Invalid("Không thấy dòng tiêu đề: bảng cần các cột “Tên đăng nhập”, “Họ và tên”, “Đơn vị”, "
                      "“Vai trò”, “Email”.")
    rows, columns = [], headers[at]
    for line, cells in enumerate(values[at + 1:], start=at + 2):
        if not any(cells):
            continue
        row = Row(line)
        for i, name in columns.items():
            setattr(row, "roles_text" if name == "roles" else name, cells[i] if i < len(cells) else "")
        rows.append(row)
    if len(rows) > MAX_ROWS:
        raise Invalid("Tệp có %(count)s dòng: mỗi lần nhập tối đa %(max)s người.", count=len(rows), max=MAX_ROWS)
    return rows


def rows_from_dicts(items: list) -> list[Row]:
    """The rows a preview page sent back for the commit (checked again from the start)."""
    rows = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            line = item.get("line")  # the page's own number; anything else (a list, 1e400) is no line
            line = line if isinstance(line, int) and 0 < line <= 1_048_576 else 0  # (a sheet's rows at most)
            rows.append(Row(line, *(str(item.get(k) or "").strip()
                                    for k in ("username", "full_name", "agency", "roles", "email"))))
    return rows


def check(rows: list[Row]) -> list[Row]:
    """Fill each row's agency, roles and problems (in Vietnamese)."""
    agencies = people.agency_index()
    taken = set(db.session.scalars(select(User.username)))
    seen: dict[str, int] = {}
    for row in rows:
        row.username = row.username.strip().lower()
        row.problems = []
        if not people.USERNAME.match(row.username):
            row.problems.append(Message("Tên đăng nhập “%(name)s” không hợp lệ (2–80 chữ cái không dấu, chữ số, "
                                        "dấu chấm, gạch ngang, gạch dưới).", name=row.username))
        elif row.username in taken:
            row.problems.append(Message("Tên đăng nhập “%(name)s” đã có người dùng.", name=row.username))
        elif row.username in seen:
            row.problems.append(Message("Tên đăng nhập “%(name)s” trùng với dòng %(line)s.", name=row.username,
                                        line=seen[row.username]))
        seen.setdefault(row.username, row.line)
        if not row.full_name:
            row.problems.append(Message("Thiếu họ và tên."))
        agency = agencies.get(fold_words(row.agency)) if row.agency else None
        row.agency_id = agency.id if agency else None
        if row.agency and agency is None:
            row.problems.append(Message("Không có đơn vị “%(name)s” trong danh mục.", name=row.agency))
        words = [w for w in re.split(r"[,;/\n]+", row.roles_text) if w.strip()]
        row.roles = [_ROLE_WORDS[fold_words(w)] for w in words if fold_words(w) in _ROLE_WORDS]
        bad = [w.strip() for w in words if fold_words(w) not in _ROLE_WORDS]
        if bad or not words:
            row.problems.append(Message("Vai trò không hợp lệ: %(bad)s. Chọn trong: %(roles)s.",
                                        bad=", ".join(bad) or "(trống)", roles=", ".join(ROLE_LABELS.values())))
        elif not row.agency and set(row.roles) & people.NEEDS_AGENCY:
            row.problems.append(Message(people.NEEDS_AGENCY_RULE))
        if row.email and not people.EMAIL.match(row.email):
            row.problems.append(Message("Địa chỉ thư điện tử “%(email)s” không hợp lệ.", email=row.email))
    return rows


def preview(actor, data: bytes) -> list[Row]:
    admin_people.require_admin(actor)
    return check(read_sheet(data))


def commit(actor, rows: list[Row], filename: str = "") -> list[admin_people.Issued]:
    """Create every account of ``rows`` or none (any row with a problem refuses the whole import)."""
    admin_people.require_admin(actor)
    with transaction():
        check(rows)
        if not rows:
            raise Invalid("Không có dòng nào để nhập.")
        if any(row.problems for row in rows):
            raise Invalid("Chưa nhập: còn %(count)s dòng có lỗi. Hãy sửa tệp rồi tải lên lại.",
                          count=sum(1 for row in rows if row.problems))
        issued = [admin_people.new_account(r.username, r.full_name, r.agency_id, r.roles, r.email or None)
                  for r in rows]
        audit.record("user_import", actor, data={"usernames": [i.user.username for i in issued],
                                                 "file": filename[:200]},
                     comment=f"Nhập {len(issued)} tài khoản từ tệp {filename[:200]}".strip())
    return issued
