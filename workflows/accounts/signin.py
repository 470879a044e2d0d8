"""Password sign-in with an account lockout (web form and API token alike).

After ``LOGIN_MAX_FAILURES`` consecutive wrong passwords for one username the account is locked for
``LOGIN_LOCK_MINUTES``; a right password resets the count. Messages never tell whether a username exists,
except that a locked account says until when. A successful sign-in upgrades a password hash made with an
older scheme (e.g. pbkdf2) to ``PASSWORD_HASH_METHOD``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from models import User, db
from workflows import clock, settings
from workflows.errors import N_
from workflows.tx import transaction

WRONG = N_("Tên đăng nhập hoặc mật khẩu không đúng.")
LOCKED = N_("Tài khoản tạm khóa đến %(time)s do đăng nhập sai nhiều lần.")
_dummy_hash: str | None = None


@dataclass
class Attempt:
    user: User | None
    message: str | None = None  # why it failed, in Vietnamese
    msgid: str | None = None  # the message before its parameters are filled in (translated by the views)
    params: dict | None = None


def _locked(user: User) -> Attempt:
    params = {"time": f"{clock.to_local(user.locked_until):%H:%M}"}
    return Attempt(None, LOCKED % params, LOCKED, params)


def _burn_time(password: str) -> None:
    """Check against a throwaway hash so unknown usernames take as long as known ones."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = generate_password_hash("not-a-password", method=settings.get("PASSWORD_HASH_METHOD"))
    check_password_hash(_dummy_hash, password)


def _scheme(method_or_hash: str) -> str:
    return method_or_hash.split("$", 1)[0].split(":", 1)[0]


def attempt(username: str, password: str) -> Attempt:
    """Check a username and password; count failures and lock, or reset and maybe rehash."""
    user = db.session.scalar(select(User).where(User.username == (username or "").strip()))
    password = password or ""
    if user is None or not user.active:
        _burn_time(password)
        return Attempt(None, WRONG)
    now = clock.now()
    if user.locked_until is not None and user.locked_until > now:
        return _locked(user)
    with transaction():
        if not user.check_password(password):
            user.failed_logins = (user.failed_logins or 0) + 1
            user.locked_until = None
            if user.failed_logins >= settings.get("LOGIN_MAX_FAILURES"):
                user.locked_until = now + timedelta(minutes=settings.get("LOGIN_LOCK_MINUTES"))
                user.failed_logins = 0
                return _locked(user)
            return Attempt(None, WRONG)
        user.failed_logins = 0
        user.locked_until = None
        method = settings.get("PASSWORD_HASH_METHOD")
        if _scheme(user.password_hash) != _scheme(method):
            user.set_password(password, method)
    return Attempt(user)
