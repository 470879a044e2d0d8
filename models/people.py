"""Agencies, users, API tokens and the sign-in counters."""

from __future__ import annotations

import secrets
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from models.db import db

ROLES = ("admin", "coordinator", "officer", "agency_head", "appraiser", "approver", "viewer", "signer")
ROLE_LABELS = {
    "admin": "Quản trị hệ thống",
    "coordinator": "Tổ giúp việc",
    "officer": "Chuyên viên",
    "agency_head": "Lãnh đạo đơn vị",
    "appraiser": "Cơ quan thẩm định",
    "approver": "Cấp có thẩm quyền",
    "viewer": "Lãnh đạo theo dõi",
    "signer": "Người ký số",  # signs the standing agency's reports going out (workflows/signatures/outgoing.py)
}
# Roles that see every task, not only those of their agency.
OVERSIGHT_ROLES = frozenset({"admin", "coordinator", "viewer", "approver", "signer"})


def new_session_secret() -> str:
    return secrets.token_urlsafe(24)


class Agency(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(db.String(255), unique=True)
    short_name: Mapped[str | None] = mapped_column(db.String(80))
    kind: Mapped[str | None] = mapped_column(db.String(20))
    aliases: Mapped[list] = mapped_column(db.JSON, default=list)
    active: Mapped[bool] = mapped_column(default=True)
    # an agency that ended (merged into another, dissolved): when, how, by which document, and who carries on
    ended_on: Mapped[date | None] = mapped_column()
    end_kind: Mapped[str | None] = mapped_column(db.String(20))  # merged | dissolved
    end_document: Mapped[str | None] = mapped_column(db.String(500))
    successor_id: Mapped[int | None] = mapped_column(db.ForeignKey("agency.id"))

    successor: Mapped[Agency | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Agency {self.name}>"


class AgencyGroup(db.Model):
    """A collective that plans assign tasks to ("UBND các xã, phường", "Các sở, ban, ngành"): every member owes
    the task. Its aliases are the other ways documents write it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(db.String(255), unique=True)
    aliases: Mapped[list] = mapped_column(db.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)

    memberships: Mapped[list[AgencyGroupMember]] = relationship(back_populates="group", order_by="AgencyGroupMember.id")

    def members_on(self, day) -> list[Agency]:
        """The agencies that belong to the group on ``day`` (joined on or before it, not left by it)."""
        return [m.agency for m in self.memberships
                if m.joined_on <= day and (m.left_on is None or m.left_on > day) and m.agency.active]


class AgencyGroupMember(db.Model):
    """An agency's membership of a group, from the day it joins to the day it leaves (None: still a member)."""

    __table_args__ = (db.Index("ix_agency_group_member_group_agency", "group_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(db.ForeignKey("agency_group.id"))
    agency_id: Mapped[int] = mapped_column(db.ForeignKey("agency.id"), index=True)
    joined_on: Mapped[date] = mapped_column()
    left_on: Mapped[date | None] = mapped_column()

    group: Mapped[AgencyGroup] = relationship(back_populates="memberships")
    agency: Mapped[Agency] = relationship(lazy="joined")


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
    # A temporary password given by an administrator: the person must choose their own before anything else.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    # Part of every session and remember-me cookie (get_id): a new one ends them all (sign-out, a new password,
    # an administrator's "sign out everywhere"; workflows/accounts/people.py).
    session_secret: Mapped[str] = mapped_column(db.String(64), default=new_session_secret)

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

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: the id and the session secret,
        so that a cookie made before the secret changed names nobody (views/auth.py loads the user)."""
        return f"{self.id}:{self.session_secret}"

    def rotate_session_secret(self) -> None:
        self.session_secret = new_session_secret()

    def set_password(self, password: str, method: str = "scrypt") -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class LoginThrottle(db.Model):
    """Wrong passwords counted in one bucket (a name from an address, an address, a name from anywhere), seen by
    every worker; what they mean is in workflows/accounts/signin.py. ``bucket`` is a sha256, never the name or
    the address itself; a row is deleted after ``expires_at``."""

    bucket: Mapped[str] = mapped_column(db.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)  # wrong passwords since window_start
    window_start: Mapped[datetime] = mapped_column()  # naive UTC
    blocked_until: Mapped[datetime | None] = mapped_column()  # attempts are refused until then
    succeeded_at: Mapped[datetime | None] = mapped_column()  # (name, address): the last right password
    expires_at: Mapped[datetime] = mapped_column(index=True)


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its sha256 is stored."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(db.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=datetime.utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(lazy="joined")


# The people of an agency (every one, active or not), for whoever needs them all at once: who receives a new
# work item, whom an assignment names.
Agency.people = relationship(User, viewonly=True, order_by=User.id, lazy="select")
