"""Agency groups: the collectives plans assign tasks to ("UBND các xã, phường", "Các sở, ban, ngành"), each with the
names documents write it under and its members, each member from the day it joined to the day it left.

A task assigned to a group is owed by every member (``workflows.tasks.fanout``); who is a member is read on the
day of the assignment, so a commune that joins later does not inherit last month's tasks, and one that left
does not owe next month's.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Agency, AgencyGroup, AgencyGroupMember, User, db
from workflows import audit, clock
from workflows.errors import Conflict, Invalid, NotAllowed, NotFound
from workflows.text import fold_words
from workflows.tx import transaction


def require_admin(actor: User | None) -> None:
    if actor is not None and not actor.has_role("admin"):
        raise NotAllowed("Chỉ quản trị hệ thống được quản lý nhóm đơn vị.")


def groups() -> list[AgencyGroup]:
    """Every group, by name, with its memberships loaded."""
    return list(db.session.scalars(select(AgencyGroup).order_by(AgencyGroup.name)
                                   .options(selectinload(AgencyGroup.memberships))))


def group_named(name: str | None) -> AgencyGroup | None:
    """The group a document names: by its name or one of its aliases (accents, case and spacing aside)."""
    wanted = fold_words(name or "")
    if not wanted:
        return None
    for group in db.session.scalars(select(AgencyGroup)):
        if wanted in {fold_words(n) for n in [group.name, *(group.aliases or [])]}:
            return group
    return None


def get_group(group_id: int) -> AgencyGroup:
    group = db.session.get(AgencyGroup, group_id)
    if group is None:
        raise NotFound("Không tìm thấy nhóm đơn vị.")
    return group


def create_group(actor: User | None, name: str, members: list[str], aliases: list[str] | tuple[str, ...] = (),
                 joined_on: date | None = None) -> AgencyGroup:
    """A group of existing agencies (Invalid naming those not in the registry), members from ``joined_on``
    (today). ``actor`` None: the command line. One transaction."""
    require_admin(actor)
    name = " ".join((name or "").split())
    if not name:
        raise Invalid("Vui lòng nhập tên nhóm.")
    if group_named(name) is not None or db.session.scalar(select(Agency.id).where(Agency.name == name)):
        raise Conflict("Đã có nhóm hoặc đơn vị tên “%(name)s”.", name=name)
    agencies = _agencies(members)
    with transaction():
        group = AgencyGroup(name=name, aliases=[a.strip() for a in aliases if a.strip()], created_at=clock.now())
        db.session.add(group)
        day = joined_on or clock.today()
        group.memberships = [AgencyGroupMember(agency=a, joined_on=day) for a in agencies]
        db.session.flush()
        audit.record("group_created", actor, data={"group": name, "members": [a.name for a in agencies]})
    return group


def _agencies(names: list[str]) -> list[Agency]:
    names = list(dict.fromkeys(" ".join(n.split()) for n in names if n and n.strip()))
    if not names:
        raise Invalid("Nhóm cần ít nhất một đơn vị thành viên.")
    found = {a.name: a for a in db.session.scalars(select(Agency).where(Agency.name.in_(names)))}
    missing = [n for n in names if n not in found]
    if missing:
        raise Invalid("Không tìm thấy trong danh mục: %(names)s.", names=", ".join(f"“{n}”" for n in missing))
    return [found[n] for n in names]


def change_membership(actor: User | None, group: AgencyGroup, agency_id: int | None, member: bool,
                      on: date) -> Agency:
    """``set_membership`` for the agency of that id, as one transaction (the administration page)."""
    agency = db.session.get(Agency, agency_id) if agency_id else None
    if agency is None:
        raise Invalid("Vui lòng chọn đơn vị.")
    with transaction():
        set_membership(actor, group, agency, member, on)
    return agency


def set_membership(actor: User | None, group: AgencyGroup, agency: Agency, member: bool,
                   on: date | None = None) -> None:
    """``agency`` joins (``member``) or leaves ``group`` on ``on`` (today); flushes only. Tasks already
    assigned to the group keep their members: a coordinator adds or withdraws one on the task's page."""
    require_admin(actor)
    day = on or clock.today()
    current = next((m for m in group.memberships if m.agency_id == agency.id and m.left_on is None), None)
    if member and current is None:
        group.memberships.append(AgencyGroupMember(agency=agency, joined_on=day))
    elif not member and current is not None:
        current.left_on = day
    else:
        return
    audit.record("group_member_joined" if member else "group_member_left", actor,
                 data={"group": group.name, "agency": agency.name, "on": day.isoformat()})
