"""Agencies, users, logins and API tokens."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from models import ROLES, Agency, ApiToken, Delegation, User, db
from workflows import audit, clock, settings
from workflows.accounts import signin
from workflows.errors import N_, Conflict, Invalid, Message, NotAllowed, NotFound
from workflows.notify import events
from workflows.text import fold_words
from workflows.tx import transaction

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}$")
USERNAME_RULE = N_("Tên đăng nhập gồm 2–80 chữ cái không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới (ví dụ: "
                   "cv.sonv).")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_RULE = N_("Địa chỉ thư điện tử không hợp lệ (ví dụ: ten@donvi.gov.vn).")
NEEDS_AGENCY = {"officer", "agency_head", "appraiser"}  # (their work is an agency's work)
NEEDS_AGENCY_RULE = N_("Chuyên viên, lãnh đạo đơn vị và cơ quan thẩm định phải thuộc một đơn vị.")
NAME_MAX, FULL_NAME_MAX = 255, 200


def create_agency(name: str, short_name: str | None = None, kind: str | None = None,
                  aliases: list[str] | None = None) -> Agency:
    """Add an agency to the registry (the command line, the demo, the tests; an administrator's form adds the
    checks of its other fields and the audit: ``admin_people.create_agency``)."""
    name = " ".join((name or "").split())
    with transaction():
        problem = agency_name_problem(name)
        if problem is not None:
            raise Conflict(problem) if problem.msgid == SAME_NAME else Invalid(problem)
        agency = Agency(name=name, short_name=short_name, kind=kind, aliases=aliases or [])
        db.session.add(agency)
    return agency


SAME_NAME = N_("Đã có đơn vị mang tên này (“%(agency)s” đã có trong danh mục).")


def agency_name_problem(name: str, agency_id: int | None = None) -> Message | None:
    """Why ``name`` cannot name an agency (``agency_id``, or a new one), or None: one name, one agency — spaces,
    case and accents aside, as imports match names — and not another agency's alias, which would make imports
    guess."""
    if not name:
        return Message(N_("Vui lòng nhập tên đơn vị."))
    if len(name) > NAME_MAX:
        return Message(N_("Tên đơn vị tối đa 255 ký tự."))
    key = fold_words(name)
    same = next((a for a in db.session.scalars(select(Agency)) if a.id != agency_id and fold_words(a.name) == key),
                None)
    if same is not None:
        return Message(SAME_NAME, agency=same.name)
    other = agency_index().get(key)
    if other is not None and other.id != agency_id:
        return Message(N_("Tên này đã là tên gọi khác của “%(agency)s”: mỗi tên chỉ dùng cho một đơn vị."),
                       agency=other.name)
    return None


def successors() -> dict[int, int]:
    """Each agency merged into another → the agency that carries its work on now (through later merges too)."""
    merged = dict(db.session.execute(select(Agency.id, Agency.successor_id).where(Agency.successor_id.is_not(None)))
                  .all())
    now = {}
    for agency_id in merged:
        seen, current = {agency_id}, merged[agency_id]
        while current in merged and current not in seen:
            seen.add(current)
            current = merged[current]
        now[agency_id] = current
    return now


def create_user(username: str, password: str, agency_name: str | None, roles: list[str],
                full_name: str | None = None, email: str | None = None) -> User:
    """Add an account with the password given (the command line, the demo, the tests), checked as an
    administrator's form checks one (``admin_people.create_user`` gives a temporary password instead)."""
    username, email = (username or "").strip(), (email or "").strip() or None
    if not USERNAME.match(username):
        raise Invalid(USERNAME_RULE)
    if len(password or "") < 8:
        raise Invalid("Mật khẩu phải có ít nhất 8 ký tự.")
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise Invalid("Vai trò không hợp lệ: %(bad)s. Chọn trong: %(roles)s.",
                      bad=", ".join(bad) or "(trống)", roles=", ".join(ROLES))
    if full_name and len(full_name.strip()) > FULL_NAME_MAX:
        raise Invalid("Họ và tên tối đa 200 ký tự.")
    if email and (len(email) > 200 or not EMAIL.match(email)):
        raise Invalid(EMAIL_RULE)
    if not agency_name and NEEDS_AGENCY & set(roles):
        raise Invalid(NEEDS_AGENCY_RULE)
    with transaction():
        agency = None
        if agency_name:
            agency = db.session.scalar(select(Agency).where(Agency.name == agency_name.strip()))
            if agency is None:
                raise NotFound("Không tìm thấy đơn vị “%(name)s”.", name=agency_name)
            if not agency.active:
                raise Invalid("Đơn vị “%(name)s” đã ngừng hoạt động.", name=agency.name)
        if db.session.scalar(select(User).where(User.username == username)):
            raise Conflict("Tên đăng nhập “%(username)s” đã tồn tại.", username=username)
        user = User(username=username, full_name=(full_name or "").strip() or username, agency=agency,
                    email=email, created_at=clock.now())
        user.roles = roles
        user.set_password(password, settings.get("PASSWORD_HASH_METHOD"))
        db.session.add(user)
    return user


def authenticate(username: str, password: str, address: str | None = None) -> User | None:
    """The user for a right password, else None; raises ``signin.SlowDown`` (429) while a delay runs after wrong
    passwords (workflows/accounts/signin.py). ``address`` defaults to the current request's."""
    result = signin.attempt(username, password, address if address is not None else signin.request_address())
    if result.slowed_until is not None:
        raise signin.SlowDown(result.msgid, signin.seconds_until(result.slowed_until), **result.params)
    return result.user


# --- sessions: every session and remember-me cookie carries the user's session secret (User.get_id) ---------

def session_user(session_id: str | None) -> User | None:
    """The user a session or remember-me cookie names ("<id>:<secret>", ``User.get_id``), read on every request;
    None once that secret has been replaced (signed out, a new password, an administrator's sign-out)."""
    user_id, _, secret = (session_id or "").partition(":")
    if not (user_id.isascii() and user_id.isdigit() and len(user_id) <= 9):
        return None  # made up
    user = db.session.get(User, int(user_id))
    # an id of the old form (no secret, from before the upgrade) matches nobody either
    if user is None or not hmac.compare_digest(user.session_secret.encode(), secret.encode()):
        return None
    return user


def sign_out(user: User) -> None:
    """Signing out ends every session and remember-me cookie of ``user``, in every browser: a cookie copied
    before must not outlive it. API tokens stay (revoke them under /api/v1/tokens)."""
    with transaction():
        db.session.get(User, user.id).rotate_session_secret()


def sign_out_everywhere(admin: User | None, user_id: int) -> User:
    """An administrator (None: the operator at the server's command line) ends every session, remember-me cookie
    and API token of a user: a lost phone, a shared password, someone who has left."""
    if admin is not None and not admin.has_role("admin"):
        raise NotAllowed("Chỉ quản trị hệ thống được đăng xuất người khác khỏi mọi nơi.")
    with transaction():
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound("Không tìm thấy người dùng.")
        user.rotate_session_secret()
        tokens = list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                                ApiToken.revoked_at.is_(None))))
        for token in tokens:
            token.revoked_at = clock.now()
        audit.record("sign_out_everywhere", admin, data={"user_id": user.id, "tokens_revoked": len(tokens)},
                     comment=f"Đăng xuất {user.full_name} khỏi mọi nơi (thu hồi {len(tokens)} mã truy cập API)")
    return user


def change_password(actor: User, user_id: int, new_password: str, current_password: str | None = None) -> User:
    """A new password: one's own (with the current one) or anyone's for an administrator. Every session,
    remember-me cookie and API token of that person ends, so a stolen cookie or token dies with the old password;
    the page that calls this signs its own browser in again."""
    if actor.id != user_id and not actor.has_role("admin"):
        raise NotAllowed("Chỉ chính người dùng hoặc quản trị hệ thống được đổi mật khẩu.")
    if len(new_password or "") < 8:
        raise Invalid("Mật khẩu phải có ít nhất 8 ký tự.")
    with transaction():
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound("Không tìm thấy người dùng.")
        if actor.id == user_id and not user.check_password(current_password or ""):
            raise Invalid("Mật khẩu hiện tại không đúng.")
        user.set_password(new_password, settings.get("PASSWORD_HASH_METHOD"))
        user.must_change_password = actor.id != user_id  # one chosen by someone else is temporary
        end_access(user)
        audit.record("change_password", actor, data={"user_id": user.id},
                     comment=f"Đổi mật khẩu của {user.full_name}")
    return user


def agency_index() -> dict[str, Agency]:
    """Every working agency by its name, short name and aliases, folded (accents, case and spacing aside): how a
    name a person typed is found, nothing guessed. Names are unique among working agencies (``admin_people``)."""
    index = {}
    for agency in db.session.scalars(select(Agency).where(Agency.active.is_(True))):
        for name in [*(agency.aliases or []), agency.short_name or "", agency.name]:
            if fold_words(name):
                index[fold_words(name)] = agency
    return index


def user_named(username: str) -> User | None:
    return db.session.scalar(select(User).where(User.username == (username or "").strip()))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User) -> tuple[str, datetime]:
    """A new API token for ``user`` and the moment it stops working (``API_TOKEN_DAYS`` on); refused while the
    account holds a temporary password (the web's gate to "Đổi mật khẩu" must not be walked around through the
    API)."""
    if user.must_change_password:
        raise NotAllowed("Tài khoản đang dùng mật khẩu tạm thời: hãy đăng nhập trên trang web và đổi mật khẩu trước "
                         "khi lấy mã truy cập API.")
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, token_hash=_hash(token), created_at=clock.now())
    with transaction():
        db.session.add(row)
    return token, token_expiry(row)


def token_expiry(row: ApiToken) -> datetime:
    """The moment a token stops working: ``API_TOKEN_DAYS`` after it was made (``live_token``)."""
    return row.created_at + timedelta(days=settings.get("API_TOKEN_DAYS"))


def end_access(user: User) -> None:
    """End every session and API token of ``user`` (a closed account, a reset password); flushes nothing."""
    user.rotate_session_secret()
    for row in db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
        row.revoked_at = clock.now()


def live_token(token: str) -> ApiToken | None:
    """The token's row if it is not revoked nor older than ``API_TOKEN_DAYS`` and its user is active, else None."""
    row = db.session.scalar(select(ApiToken).where(
        ApiToken.token_hash == _hash(token), ApiToken.revoked_at.is_(None),
        ApiToken.created_at > clock.now() - timedelta(days=settings.get("API_TOKEN_DAYS"))))  # (``token_expiry``)
    if row is None or not row.user.active:
        return None
    return row


def tokens_query(actor: User, username: str | None = None):
    """The API tokens of ``actor`` (an admin may name another user), newest first, revoked ones included."""
    owner = actor
    if username and username != actor.username:
        if not actor.has_role("admin"):
            raise NotAllowed("Chỉ quản trị hệ thống được xem mã truy cập của người khác.")
        owner = db.session.scalar(select(User).where(User.username == username))
        if owner is None:
            raise NotFound("Không tìm thấy người dùng “%(username)s”.", username=username)
    return select(ApiToken).where(ApiToken.user_id == owner.id).order_by(ApiToken.created_at.desc(),
                                                                        ApiToken.id.desc())


def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Revoke one's own API token (an admin: anyone's); revoking twice changes nothing."""
    with transaction():
        row = db.session.get(ApiToken, token_id)
        if row is None or (row.user_id != actor.id and not actor.has_role("admin")):
            raise NotFound("Không tìm thấy mã truy cập.")
        if row.revoked_at is None:
            row.revoked_at = clock.now()
            audit.record("revoke_token", actor, data={"token_id": row.id, "user_id": row.user_id},
                         comment=f"Thu hồi mã truy cập API số {row.id} của {row.user.full_name}")
    return row


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)


MAX_DELEGATION_DAYS = 366


def set_delegate(actor: User, user_id: int, delegate_username: str, starts_on, ends_on) -> Delegation:
    """Name a colleague who acts for ``user`` while away (the user, or their agency head, decides)."""
    errors = {}
    with transaction():
        user = db.session.get(User, user_id)
        if user is None:
            raise NotFound("Không tìm thấy người dùng.")
        if actor.id != user.id and not (actor.has_role("agency_head") and actor.agency_id == user.agency_id):
            raise NotAllowed("Chỉ chính người vắng mặt hoặc lãnh đạo đơn vị được ủy quyền.")
        delegate = db.session.scalar(select(User).where(User.username == (delegate_username or "").strip()))
        if delegate is None or not delegate.active or delegate.agency_id != user.agency_id or delegate.id == user.id:
            errors["delegate"] = N_("Người được ủy quyền phải là đồng nghiệp cùng đơn vị.")
        if starts_on is None or ends_on is None or ends_on < starts_on:
            errors["ends_on"] = N_("Khoảng thời gian không hợp lệ (đến ngày phải từ ngày bắt đầu trở đi).")
        elif ends_on < clock.today():
            errors["ends_on"] = N_("Khoảng thời gian đã qua.")
        elif (ends_on - starts_on).days >= MAX_DELEGATION_DAYS:  # a standing power to act for someone is no leave
            errors["ends_on"] = N_("Mỗi lần ủy quyền tối đa một năm; khi hết hạn có thể ủy quyền lại.")
        if errors:
            raise Invalid("Chưa lưu được ủy quyền.", errors)
        delegation = Delegation(user_id=user.id, delegate_id=delegate.id, starts_on=starts_on, ends_on=ends_on,
                                created_by_id=actor.id, created_at=clock.now())
        db.session.add(delegation)
        audit.record("delegate", actor, on_behalf_of=user,
                     comment=f"Ủy quyền cho {delegate.full_name} từ {starts_on:%d/%m/%Y} đến {ends_on:%d/%m/%Y}")
        events.delegated(delegation, user, delegate)
    return delegation


def cancel_delegation(actor: User, delegation_id: int) -> None:
    with transaction():
        delegation = db.session.get(Delegation, delegation_id)
        if delegation is None or (actor.id != delegation.user_id and not (
                actor.has_role("agency_head") and actor.agency_id == delegation.user.agency_id)):
            raise NotFound("Không tìm thấy ủy quyền.")
        if delegation.cancelled_at is None:
            delegation.cancelled_at = clock.now()
            audit.record("delegate_cancel", actor, on_behalf_of=delegation.user,
                         comment=f"Hủy ủy quyền cho {delegation.delegate.full_name} "
                                 f"({delegation.starts_on:%d/%m/%Y}–{delegation.ends_on:%d/%m/%Y})")


def delegations_of(user: User) -> list[Delegation]:
    """The user's current and coming delegations (given and received)."""
    today = clock.today()
    return list(db.session.scalars(select(Delegation).where(
        Delegation.cancelled_at.is_(None), Delegation.ends_on >= today,
        (Delegation.user_id == user.id) | (Delegation.delegate_id == user.id)).order_by(Delegation.starts_on)))


def colleagues(user: User) -> list[User]:
    if user.agency_id is None:
        return []
    return list(db.session.scalars(select(User).where(User.agency_id == user.agency_id, User.active.is_(True),
                                                      User.id != user.id).order_by(User.full_name)))


def ensure_agencies(names: list[str]) -> list[Agency]:
    """Add the agencies of ``names`` that the registry lacks (init-db: the bodies the processes name); one
    transaction. Returns those added."""
    with transaction():
        have = set(db.session.scalars(select(Agency.name).where(Agency.name.in_(names))))
        added = [Agency(name=n, aliases=[]) for n in dict.fromkeys(names) if n not in have]
        db.session.add_all(added)
    return added
