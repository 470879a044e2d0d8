"""What every export shares: who may export, the file a download hands back, and how a date, a share, a
deadline and a piece of text are written in a file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from models import Task, User
from workflows import access, clock
from workflows.errors import NotAllowed

FONT = "Times New Roman"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# Characters XML 1.0 cannot hold (text extracted from documents sometimes carries them).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    filename: str  # in Vietnamese; the download adds an ASCII one for old clients
    mimetype: str


def ensure_reader(user: User) -> None:
    """The exports show every task, so only those who see every task may make them (OVERSIGHT_READERS)."""
    if not (user.is_authenticated and user.has_role(*access.OVERSIGHT_READERS)):
        raise NotAllowed("Chỉ Tổ giúp việc, lãnh đạo theo dõi, cấp có thẩm quyền và quản trị được xuất báo cáo.")


def dmy(value: date | None) -> str:
    """A date as the documents write it (05/02/2026); nothing for no date."""
    return value.strftime("%d/%m/%Y") if value else ""


def local_date(moment: datetime | None) -> date | None:
    """The Hà Nội date of a stored (naive UTC) moment."""
    return clock.to_local(moment).date() if moment else None


def percent(part: int, total: int) -> str:
    """A share written the Vietnamese way: 33,3%."""
    if not total:
        return "0%"
    return f"{100 * part / total:.1f}".replace(".", ",") + "%"


def xml_safe(text: str) -> str:
    return _NOT_XML.sub(" ", text)


def deadline_text(task: Task) -> str:
    """The deadline as the directive words it, with the date on a second line when the words do not give it."""
    lines = []
    if task.deadline_text:
        lines.append(" ".join(task.deadline_text.split()))
    elif task.recurrence == "ongoing":  # read as ongoing where the document wrote no deadline
        lines.append("Thường xuyên")
    if task.due_date and dmy(task.due_date) not in " ".join(lines):
        lines.append(dmy(task.due_date))
    return "\n".join(lines)
