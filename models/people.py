"""Agencies, users and API tokens."""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from models.db import db

ROLES = ("admin", "coordinator", "officer", "agency_head", "appraiser", "approver", "viewer")
ROLE_LABELS = {
    "admin": "Quản trị hệ thống",
    "coordinator": "Tổ giúp việc",
    "officer": "Chuyên viên",
    "agency_head": "Lãnh đạo đơn vị",
    "appraiser": "Cơ quan thẩm định",
    "approver": "Cấp có thẩm quyền",
    "viewer": "Lãnh đạo theo dõi",
}
# Roles that see every task, not only those of their agency.
OVERSIGHT_ROLES = frozenset({"admin", "coordinator", "viewer", "approver"})


class Agency(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(db.String(255), unique=True)
    short_name: Mapped[str | None] = mapped_column(db.String(80))
    kind: Mapped[str | None] = mapped_column(db.String(20))
    aliases: Mapped[list] = mapped_column(db.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Agency {self.name}>"


class User(UserMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(db.String(80), unique=True)
    full_name: Mapped[str] = mapped_column(db.String(200))
    agency_id: Mapped[int | None] = mapped_column(db.ForeignKey("agency.id"), index=True)
    roles_text: Mapped[str] = mapped_column("roles", db.String(200), default="")
    password_hash: Mapped[str] = mapped_column(db.String(255))
    email: Mapped[str | None] = mapped_column(db.String(200))
    email_digest: Mapped[bool] = mapped_column(default=False, server_default=sa_false())  # one mail a day
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    failed_logins: Mapped[int] = mapped_column(default=0, server_default="0")  # consecutive wrong passwords
    locked_until: Mapped[datetime | None] = mapped_column()  # naive UTC; see workflows/signin.py

    agency: Mapped[Agency | None] = relationship(lazy="joined")

    @property
    def roles(self) -> list[str]:
        return [r for r in self.roles_text.split(",") if r]

    @roles.setter
    def roles(self, values: list[str]) -> None:
        self.roles_text = ",".join(dict.fromkeys(values))

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def role_labels(self) -> list[str]:
        return [ROLE_LABELS.get(r, r) for r in self.roles]

    @property
    def sees_everything(self) -> bool:
        return bool(OVERSIGHT_ROLES.intersection(self.roles))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def set_password(self, password: str, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its sha256 is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(db.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(lazy="joined")
