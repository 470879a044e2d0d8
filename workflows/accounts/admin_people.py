"""People and agencies managed in the UI: an administrator's lists, accounts with a temporary password, the
agency registry; an agency head's read-only view of their own people. Deactivating someone (which gives their
claimed work back to the queue) is in workflows/tasks/leavers.py: work items belong to the tasks room."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, case, func, select

from models import ROLE_LABELS, ROLES, Agency, AuditEvent, Task, User, WorkItem, db, task_collaborators
from workflows import audit, clock
from workflows.accounts import people
from workflows.accounts.signin import TEMPORARY_HASH_METHOD
from workflows.errors import N_, Conflict, Invalid, Message, NotAllowed, NotFound
from workflows.paging import page_of
from workflows.text import fold_words, sort_key
from workflows.tx import serialize_on, transaction

PER_PAGE = 25
AGENCY_KINDS = {"so": "Sở", "ban": "Ban", "nganh": "Ngành, cơ quan khác", "ubnd": "UBND", "commune": "Xã, phường"}
# no 0/o, 1/l/i: read aloud or copied from a screen without a mistake
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


@dataclass
class Issued:
    """An account given a temporary password: shown once to the administrator, never stored in clear."""

    user: User
    password: str


def temporary_password() -> str:
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(3))


def require_admin(actor: User) -> None:
    if not actor.has_role("admin"):
        raise NotAllowed("Chỉ quản trị hệ thống được quản lý người dùng và đơn vị.")


def _paginate(rows, page: int) -> Pagination:
    return page_of(rows, page, PER_PAGE)


def _vietnamese_order(model, name) -> ColumnElement:
    """An ORDER BY of ``model``'s rows by ``name`` in Vietnamese order ("Bảo hiểm…" after "Báo…", "Đ" after "D",
    "Hạc Thành" after "Hàm Rồng"), which neither database's collation gives: each row's rank, read in Python."""
    ranks = {row_id: rank for rank, (row_id, text) in enumerate(sorted(
        db.session.execute(select(model.id, name)), key=lambda row: sort_key(row[1] or "")))}
    return case(ranks, value=model.id, else_=len(ranks)) if ranks else model.id


# ---------------------------------------------------------------- reads

def people_page(actor: User, query: str = "", page: int = 1, status: str = "") -> Pagination:
    """Users by name; an administrator sees everyone, an agency head the people of their own agency.
    ``query`` matches words of the username, full name, e-mail or agency (accents and case ignored);
    ``status`` "active" or "inactive" narrows the list."""
    if not actor.has_role("admin") and (not actor.has_role("agency_head") or actor.agency_id is None):
        # (before anything is read: a refusal read and ranked every name first)
        raise NotAllowed("Chỉ quản trị hệ thống và lãnh đạo đơn vị được xem danh sách người dùng.")
    rows = select(User).order_by(_vietnamese_order(User, User.full_name), User.id)
    if not actor.has_role("admin"):
        rows = rows.where(User.agency_id == actor.agency_id)
    if status in ("active", "inactive"):
        rows = rows.where(User.active.is_(status == "active"))
    wanted = fold_words(query or "")
    if wanted:
        people = db.session.execute(select(User.id, User.username, User.full_name, User.email, Agency.name)
                                    .outerjoin(Agency, Agency.id == User.agency_id))
        ids = [row[0] for row in people if wanted in fold_words(" ".join(str(v or "") for v in row[1:]))]
        rows = rows.where(User.id.in_(ids))
    return _paginate(rows, page)


def agency_page(actor: User, query: str = "", page: int = 1) -> Pagination:
    """The agency registry by name; ``query`` matches its name, short name or aliases (accents ignored)."""
    require_admin(actor)
    rows = select(Agency).order_by(Agency.active.desc(), _vietnamese_order(Agency, Agency.name))
    wanted = fold_words(query or "")
    if wanted:
        ids = [a.id for a in db.session.scalars(select(Agency))
               if wanted in fold_words(" ".join([a.name, a.short_name or "", *(a.aliases or [])]))]
        rows = rows.where(Agency.id.in_(ids))
    return _paginate(rows, page)


def open_work(agency_id: int) -> tuple[int, int]:
    """The running tasks an agency leads or collaborates on, and its open work items."""
    involved = (Task.lead_agency_id == agency_id) | Task.id.in_(
        select(task_collaborators.c.task_id).where(task_collaborators.c.agency_id == agency_id))
    tasks = db.session.scalar(select(func.count()).select_from(Task).where(
        Task.kind == "task", Task.state == "active", involved))
    items = db.session.scalar(select(func.count()).select_from(WorkItem).where(
        WorkItem.agency_id == agency_id, WorkItem.status == "open"))
    return tasks, items


def active_agencies() -> list[Agency]:
    return sorted(db.session.scalars(select(Agency).where(Agency.active.is_(True))), key=lambda a: sort_key(a.name))


def get_user(actor: User, user_id: int) -> User:
    require_admin(actor)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("Không tìm thấy người dùng.")
    return user


def get_agency(actor: User, agency_id: int) -> Agency:
    require_admin(actor)
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise NotFound("Không tìm thấy đơn vị.")
    return agency


# ---------------------------------------------------------------- users

def _checked_fields(full_name: str, agency_id: int | None, roles: list[str], email: str | None,
                    current_agency_id: int | None = None) -> dict:
    """The field errors of a user's details (the agency must exist, and be active unless it is already theirs)."""
    errors = {}
    if not (full_name or "").strip():
        errors["full_name"] = N_("Vui lòng nhập họ và tên.")
    elif len(full_name.strip()) > people.FULL_NAME_MAX:
        errors["full_name"] = N_("Họ và tên tối đa 200 ký tự.")
    if not roles:
        errors["roles"] = N_("Vui lòng chọn ít nhất một vai trò.")
    elif any(r not in ROLES for r in roles):
        errors["roles"] = N_("Vai trò không hợp lệ.")
    agency = db.session.get(Agency, agency_id) if agency_id else None
    if agency_id and (agency is None or not (agency.active or agency.id == current_agency_id)):
        errors["agency_id"] = N_("Đơn vị không có trong danh mục hoặc đã ngừng hoạt động.")
    elif agency is None and set(roles) & people.NEEDS_AGENCY:
        errors["agency_id"] = people.NEEDS_AGENCY_RULE
    if email and (len(email) > 200 or not people.EMAIL.match(email)):
        errors["email"] = people.EMAIL_RULE
    return errors


def _describe(user: User) -> str:
    roles = ", ".join(ROLE_LABELS.get(r, r) for r in user.roles)
    return f"{user.full_name} ({user.username}; {user.agency.name if user.agency else 'không thuộc đơn vị'}; {roles})"


def new_account(username: str, full_name: str, agency_id: int | None, roles: list[str], email: str | None) -> Issued:
    """Add one account with a temporary password (inside the caller's transaction)."""
    password = temporary_password()
    user = User(username=username, full_name=full_name.strip(), agency_id=agency_id, email=email or None,
                created_at=clock.now(), must_change_password=True)
    user.roles = roles
    user.set_password(password, TEMPORARY_HASH_METHOD)
    db.session.add(user)
    db.session.flush()
    db.session.refresh(user)
    return Issued(user, password)


def create_user(actor: User, username: str, full_name: str, agency_id: int | None, roles: list[str],
                email: str | None = None) -> Issued:
    """A new account with a temporary password to change at the first sign-in; one audit event."""
    require_admin(actor)
    username, email = (username or "").strip().lower(), (email or "").strip() or None
    with transaction():
        errors = _checked_fields(full_name, agency_id, roles, email)
        if not people.USERNAME.match(username):
            errors["username"] = people.USERNAME_RULE
        elif db.session.scalar(select(User.id).where(User.username == username)):
            errors["username"] = N_("Tên đăng nhập này đã có người dùng.")
        if errors:
            raise Invalid("Chưa tạo được tài khoản: vui lòng sửa các ô được đánh dấu.", errors)
        issued = new_account(username, full_name, agency_id, roles, email)
        audit.record("user_create", actor, data={"user_id": issued.user.id, "username": username},
                     comment=f"Tạo tài khoản {_describe(issued.user)}")
    return issued


def change_account(actor: User, user_id: int, full_name: str, agency_id: int | None, roles: list[str],
                   email: str | None = None) -> User:
    """Change a person's name, agency, roles or e-mail (inside the caller's transaction: the work they can no
    longer hold goes back to the queue with it, ``workflows.tasks.leavers.update_user``); an audit event says
    what was and what is."""
    require_admin(actor)
    email = (email or "").strip() or None
    user = get_user(actor, user_id)
    errors = _checked_fields(full_name, agency_id, roles, email, user.agency_id)
    if user.id == actor.id and "admin" not in roles:
        errors["roles"] = N_("Bạn không thể tự bỏ vai trò quản trị của mình.")
    if errors:
        raise Invalid("Chưa lưu được: vui lòng sửa các ô được đánh dấu.", errors)
    before = _describe(user)
    user.full_name, user.agency_id, user.email = full_name.strip(), agency_id, email
    user.roles = roles
    db.session.flush()
    db.session.refresh(user)
    audit.record("user_update", actor, data={"user_id": user.id, "username": user.username},
                 comment=f"Sửa tài khoản: {before} → {_describe(user)}")
    return user


def reactivate_user(actor: User, user_id: int) -> User:
    require_admin(actor)
    with transaction():
        user = get_user(actor, user_id)
        if not user.active:
            user.active = True
            audit.record("user_reactivate", actor, data={"user_id": user.id, "username": user.username},
                         comment=f"Mở lại tài khoản {_describe(user)}")
    return user


def reset_password(actor: User, user_id: int, submission: str | None = None) -> Issued:
    """A new temporary password (to change at the next sign-in); every session of that person ends.

    ``submission`` is the form's one-time key: the same form sent again (a page refreshed, which a browser sends
    again) is refused rather than replacing the password the administrator has just written down."""
    require_admin(actor)
    with transaction():
        user = get_user(actor, user_id)
        if submission:
            serialize_on(User, user.id)
            if (done := _reset_by(user, submission)) is not None:
                raise Conflict("Mật khẩu tạm thời của yêu cầu này đã được cấp lúc %(time)s và chỉ hiện một lần; mật "
                               "khẩu không đổi lại. Nếu chưa ghi lại được, hãy cấp mật khẩu tạm thời mới.",
                               time=f"{clock.to_local(done.at):%H:%M %d/%m/%Y}")
        password = temporary_password()
        user.set_password(password, TEMPORARY_HASH_METHOD)
        user.must_change_password = True
        people.end_access(user)  # sessions and API tokens: the reset may be because the password leaked
        audit.record("password_reset", actor, data={"user_id": user.id, "username": user.username,
                                                    "submission": submission},
                     comment=f"Cấp mật khẩu tạm thời cho {user.full_name} ({user.username})")
    return Issued(user, password)


def _reset_by(user: User, submission: str) -> AuditEvent | None:
    """The reset of ``user``'s password a form of key ``submission`` made, if any (among the latest few)."""
    recent = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "password_reset")
                                .order_by(AuditEvent.id.desc()).limit(50))
    return next((e for e in recent if (e.data or {}).get("user_id") == user.id
                 and (e.data or {}).get("submission") == submission), None)


# ---------------------------------------------------------------- agencies

def parse_aliases(text: str | None) -> list[str]:
    """One alias a line, blank lines and repeats (accents and case ignored) dropped."""
    seen, aliases = set(), []
    for line in (text or "").splitlines():
        line = " ".join(line.split())
        if line and fold_words(line) not in seen:
            seen.add(fold_words(line))
            aliases.append(line)
    return aliases


def _checked_agency(agency_id: int | None, name: str, short_name: str | None, kind: str | None,
                    aliases: list[str]) -> dict:
    errors = {}
    problem = people.agency_name_problem(name, agency_id)
    if problem is not None:
        errors["name"] = problem
    # one name, one agency: an alias that is another working agency's name or alias would make imports guess (an
    # agency merged into this one has passed its names on)
    index = people.agency_index() if aliases else {}
    taken = next(((alias, other) for alias in aliases
                  if (other := index.get(fold_words(alias))) is not None and other.id != agency_id), None)
    if taken:
        errors["aliases"] = Message("Tên gọi khác “%(alias)s” đã là tên hoặc tên gọi khác của “%(agency)s”: mỗi "
                                    "tên chỉ dùng cho một đơn vị.", alias=taken[0], agency=taken[1].name)
    if short_name and len(short_name) > 80:
        errors["short_name"] = N_("Tên viết tắt tối đa 80 ký tự.")
    if kind and kind not in AGENCY_KINDS:
        errors["kind"] = N_("Loại đơn vị không hợp lệ.")
    return errors


def create_agency(actor: User, name: str, short_name: str | None, kind: str | None,
                  aliases_text: str | None) -> Agency:
    require_admin(actor)
    name, short_name = " ".join((name or "").split()), (short_name or "").strip() or None
    with transaction():
        aliases = parse_aliases(aliases_text)
        errors = _checked_agency(None, name, short_name, kind or None, aliases)
        if errors:
            raise Invalid("Chưa tạo được đơn vị: vui lòng sửa các ô được đánh dấu.", errors)
        agency = Agency(name=name, short_name=short_name, kind=kind or None, aliases=aliases)
        db.session.add(agency)
        db.session.flush()
        audit.record("agency_create", actor, data={"agency_id": agency.id, "name": name},
                     comment=f"Thêm đơn vị {name}")
    return agency


def update_agency(actor: User, agency_id: int, name: str, short_name: str | None, kind: str | None,
                  aliases_text: str | None) -> Agency:
    """Rename or edit an agency. A renamed agency keeps its old name as an alias, so that documents written
    before the change still match it on import."""
    require_admin(actor)
    name, short_name = " ".join((name or "").split()), (short_name or "").strip() or None
    with transaction():
        agency = get_agency(actor, agency_id)
        old_name, aliases = agency.name, parse_aliases(aliases_text)
        errors = _checked_agency(agency.id, name, short_name, kind or None, aliases)
        if errors:
            raise Invalid("Chưa lưu được: vui lòng sửa các ô được đánh dấu.", errors)
        renamed = old_name != name
        if renamed and fold_words(old_name) not in {fold_words(a) for a in aliases}:
            aliases.append(old_name)
        aliases = [a for a in aliases if fold_words(a) != fold_words(name)]
        changes = [f"tên “{old_name}” → “{name}” (tên cũ giữ làm tên gọi khác)"] if renamed else []
        if (agency.short_name or None) != short_name:
            changes.append(f"tên viết tắt “{agency.short_name or ''}” → “{short_name or ''}”")
        if (agency.kind or None) != (kind or None):
            changes.append(f"loại “{AGENCY_KINDS.get(agency.kind or '', '')}” → “{AGENCY_KINDS.get(kind or '', '')}”")
        if list(agency.aliases or []) != aliases:
            changes.append(f"tên gọi khác: {'; '.join(aliases) or '(không có)'}")
        agency.name, agency.short_name, agency.kind, agency.aliases = name, short_name, kind or None, aliases
        if changes:
            audit.record("agency_rename" if renamed else "agency_update", actor,
                         data={"agency_id": agency.id, "old_name": old_name, "name": name},
                         comment=f"Sửa đơn vị {old_name}: " + "; ".join(changes))
    return agency


def set_agency_active(actor: User, agency_id: int, active: bool) -> Agency:
    """Close an agency with nothing left to do (it gets no new work; its finished tasks stay as they are) or open
    it again — never one that merged, split or was dissolved: its names and work have passed on."""
    require_admin(actor)
    with transaction():
        agency = get_agency(actor, agency_id)
        if agency.active == active:
            return agency
        if active and agency.ended_on is not None:
            ended = {"name": agency.name, "date": f"{agency.ended_on:%d/%m/%Y}", "document": agency.end_document}
            if agency.successor is not None:
                raise Invalid("Đơn vị “%(name)s” đã sáp nhập vào “%(successor)s” từ %(date)s theo %(document)s: "
                              "không mở lại được.", successor=agency.successor.name, **ended)
            raise Invalid("Đơn vị “%(name)s” đã chia tách hoặc giải thể từ %(date)s theo %(document)s: không mở lại "
                          "được.", **ended)
        tasks, items = open_work(agency.id) if not active else (0, 0)
        if tasks or items:  # closed, its work would wait where nobody sees it, and still count overdue
            raise Invalid("Đơn vị “%(name)s” còn %(tasks)s nhiệm vụ đang thực hiện và %(items)s việc đang chờ xử lý: "
                          "hãy dùng “Sáp nhập, chia tách” để chuyển chúng cho đơn vị khác trước khi ngừng hoạt động.",
                          name=agency.name, tasks=tasks, items=items)
        if not active and db.session.scalar(select(User.id).where(User.agency_id == agency.id,
                                                                  User.active.is_(True)).limit(1)):
            raise Invalid("Đơn vị “%(name)s” còn người dùng đang hoạt động: hãy chuyển họ sang đơn vị khác "
                          "hoặc ngừng tài khoản của họ trước.", name=agency.name)
        agency.active = active
        audit.record("agency_reactivate" if active else "agency_deactivate", actor,
                     data={"agency_id": agency.id, "name": agency.name},
                     comment=("Mở lại đơn vị " if active else "Ngừng hoạt động đơn vị ") + agency.name)
    return agency
