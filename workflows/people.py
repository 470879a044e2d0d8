"""Agencies, users, logins and API tokens."""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from sqlalchemy import select

from models import ROLES, Agency, ApiToken, User, db
from workflows import clock
from workflows.errors import Conflict, Invalid, NotFound
from workflows.tx import transaction


def create_agency(name: str, short_name: str | None = None, kind: str | None = None,
                  aliases: list[str] | None = None) -> Agency:
    name = (name or "").strip()
    if not name:
        raise Invalid("Vui lòng nhập tên đơn vị.")
    with transaction():
        if db.session.scalar(select(Agency).where(Agency.name == name)):
            raise Conflict(f"Đơn vị “{name}” đã có trong danh mục.")
        agency = Agency(name=name, short_name=short_name, kind=kind, aliases=aliases or [])
        db.session.add(agency)
    return agency


def create_user(username: str, password: str, agency_name: str | None, roles: list[str],
                full_name: str | None = None, email: str | None = None) -> User:
    username = (username or "").strip()
    if not username:
        raise Invalid("Vui lòng nhập tên đăng nhập.")
    if len(password or "") < 8:
        raise Invalid("Mật khẩu phải có ít nhất 8 ký tự.")
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise Invalid(f"Vai trò không hợp lệ: {', '.join(bad) or '(trống)'}. Chọn trong: {', '.join(ROLES)}.")
    with transaction():
        agency = None
        if agency_name:
            agency = db.session.scalar(select(Agency).where(Agency.name == agency_name.strip()))
            if agency is None:
                raise NotFound(f"Không tìm thấy đơn vị “{agency_name}”.")
        if db.session.scalar(select(User).where(User.username == username)):
            raise Conflict(f"Tên đăng nhập “{username}” đã tồn tại.")
        user = User(username=username, full_name=full_name or username, agency=agency,
                    email=email, created_at=clock.now())
        user.roles = roles
        user.set_password(password, current_app.config["PASSWORD_HASH_METHOD"])
        db.session.add(user)
    return user


def authenticate(username: str, password: str) -> User | None:
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None or not user.active or not user.check_password(password or ""):
        return None
    return user


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(user: User) -> str:
    token = secrets.token_urlsafe(32)
    with transaction():
        db.session.add(ApiToken(user_id=user.id, token_hash=_hash(token), created_at=clock.now()))
    return token


def user_for_token(token: str) -> User | None:
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _hash(token),
                                                   ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    return row.user


def get_user(user_id: int) -> User | None:
    return db.session.get(User, user_id)
