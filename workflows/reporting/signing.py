"""What a user chooses for the documents they export — who signs and how ("KT.", "TL.", "Q."), "Nơi nhận", and
whether the Friday pack is an internal note or a numbered document — read from the export form, remembered per
user (``export_preference``), and taken from the settings for whoever has chosen nothing."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import ExportPreference, User, db
from workflows import clock
from workflows.errors import N_, Invalid
from workflows.reporting import nd30
from workflows.tx import transaction

WEEK_FORMS = ("note", "document")  # an internal note for the meeting; a document to issue (NĐ 30/2020)
MAX_TITLE = 120  # characters of a title or a name
MAX_RECIPIENT = 200  # characters of one "Nơi nhận" line
MAX_RECIPIENTS = 20
_NUMBER = re.compile(r"[0-9]{1,6}")

NEEDS_AUTHORITY = N_("Nhập chức danh của người đứng đầu, ví dụ GIÁM ĐỐC.")
NEEDS_POSITION = N_("Khi ký thay (KT.) hoặc thừa lệnh (TL.), nhập chức vụ của người ký, ví dụ PHÓ GIÁM ĐỐC.")
NEEDS_RECIPIENT = N_("Nhập ít nhất một nơi nhận, mỗi nơi một dòng (ví dụ “Lưu: VT.”).")
BAD_NUMBER = N_("Số văn bản là một số, ví dụ 125; để trống để văn thư ghi khi phát hành.")


@dataclass(frozen=True)
class ExportChoice:
    signer: nd30.Signer
    week_form: str = "note"

    def data(self) -> dict[str, Any]:
        """The JSON kept in ``export_preference.data``."""
        s = self.signer
        return {"signing_prefix": s.prefix, "signer_authority": s.authority, "signer_position": s.position,
                "signer_name": s.name, "recipients": list(s.recipients), "week_form": self.week_form}

    def summary(self) -> str:
        """"KT. GIÁM ĐỐC – PHÓ GIÁM ĐỐC – Nguyễn Văn A": the signature block in one line."""
        return " – ".join([*self.signer.title_lines(), *([self.signer.name] if self.signer.name else [])])

    def form_values(self) -> dict[str, str]:
        """The export form's fields, filled with this choice."""
        return {**self.data(), "recipients": "\n".join(self.signer.recipients)}


def _from_data(data: Mapping[str, Any]) -> ExportChoice:
    """A stored choice; what it does not hold (a key never saved) comes from the settings."""
    base = nd30.configured_signer()

    def kept(key: str, default):
        value = data.get(key)
        return default if value is None else value

    prefix = kept("signing_prefix", base.prefix)
    signer = nd30.Signer(
        authority=kept("signer_authority", base.authority),
        prefix=prefix if prefix in nd30.SIGNING_PREFIXES else base.prefix,
        position=kept("signer_position", base.position), name=kept("signer_name", base.name),
        recipients=tuple(kept("recipients", base.recipients)))
    week_form = kept("week_form", "note")
    return ExportChoice(signer, week_form if week_form in WEEK_FORMS else "note")


def preference(user: User) -> ExportChoice:
    """What ``user`` chose last time, or the settings' signer and "Nơi nhận" when they have chosen nothing."""
    row = db.session.scalar(select(ExportPreference).where(ExportPreference.user_id == user.id))
    return _from_data(row.data if row is not None else {})


# ---------------------------------------------------------------- the form

def _line(form: Mapping[str, str], name: str, problems: dict[str, str]) -> str:
    value = " ".join((form.get(name) or "").split())
    if len(value) > MAX_TITLE:
        problems[name] = N_("Quá dài: tối đa 120 ký tự.")
    return value


def _recipients(text: str, problems: dict[str, str]) -> tuple[str, ...]:
    lines = []
    for raw in text.replace("\r", "").split("\n"):
        line = " ".join(raw.split()).lstrip("-–•+ ").strip()
        if line:
            lines.append(line)
    if not lines:
        problems["recipients"] = NEEDS_RECIPIENT
    elif len(lines) > MAX_RECIPIENTS or any(len(line) > MAX_RECIPIENT for line in lines):
        problems["recipients"] = N_("Tối đa 20 nơi nhận, mỗi dòng tối đa 200 ký tự.")
    return tuple(lines)


def parse(form: Mapping[str, str], current: ExportChoice) -> tuple[ExportChoice, str]:
    """The choice an export form sends, and the document number typed ("" leaves it to the văn thư); fields the
    form does not carry keep ``current``. Invalid names each bad field."""
    problems: dict[str, str] = {}
    prefix = (form.get("signing_prefix") or "").strip()
    if prefix not in nd30.SIGNING_PREFIXES:
        problems["signing_prefix"] = N_("Chọn một cách ký trong danh sách.")
    authority = _line(form, "signer_authority", problems)
    if not authority:
        problems.setdefault("signer_authority", NEEDS_AUTHORITY)
    position = _line(form, "signer_position", problems)
    if prefix in nd30.PREFIXES_WITH_POSITION and not position:
        problems.setdefault("signer_position", NEEDS_POSITION)
    if prefix not in nd30.PREFIXES_WITH_POSITION:
        position = ""  # signing in one's own right or as acting head: the title alone (NĐ 30/2020)
    name = _line(form, "signer_name", problems)
    recipients = _recipients(form.get("recipients") or "", problems)
    week_form = form.get("week_form") or current.week_form
    if week_form not in WEEK_FORMS:
        problems["week_form"] = N_("Chọn ghi chú nội bộ hoặc văn bản theo Nghị định 30.")
    number = (form.get("number") or "").strip()
    if number and not _NUMBER.fullmatch(number):
        problems["number"] = BAD_NUMBER
    if problems:
        raise Invalid(N_("Kiểm tra lại người ký và nơi nhận: có thông tin chưa hợp lệ."), problems)
    signer = nd30.Signer(authority=authority, prefix=prefix, position=position, name=name, recipients=recipients)
    return replace(current, signer=signer, week_form=week_form), number


# ---------------------------------------------------------------- remembering

def remember(user: User, choice: ExportChoice) -> None:
    """Keep ``choice`` as ``user``'s preference for the next export. One transaction."""
    try:
        _save(user, choice)
    except IntegrityError:
        _save(user, choice)  # a second tab saved the first row meanwhile: update it


def _save(user: User, choice: ExportChoice) -> None:
    with transaction():
        row = db.session.scalar(select(ExportPreference).where(ExportPreference.user_id == user.id))
        if row is None:
            row = ExportPreference(user_id=user.id)
            db.session.add(row)
        row.data, row.updated_at = choice.data(), clock.now()
