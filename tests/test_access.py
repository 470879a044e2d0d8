""""May act on this item" is written twice, as it must be: in Python for one item (``access.can_act``, checked
by every action) and in SQL for the inbox (``access.inbox_clause``). Every item an inbox lists can be acted
on, and every item a person can act on is in their inbox — for holders, colleagues, delegates, other roles,
other agencies, inactive people, claimed, queued and finished items."""

from __future__ import annotations

import itertools
import uuid
from datetime import date

from sqlalchemy import select

from models import Delegation, User, WorkItem, db
from tests.conftest import LEAD, new_task
from workflows import access, clock
from workflows.accounts import people


def _item(template: WorkItem, agency_id: int | None, role: str, claimed_by: User | None, status: str) -> WorkItem:
    item = WorkItem(instance_id=template.instance_id, task_id=template.task_id,
                    engine_task_id=str(uuid.uuid4()),
                    step_id="parity", step_name="Kiểm tra", lane="", agency_id=agency_id, role=role,
                    status=status, decisions=["submit"], fields=[], claimed_by=claimed_by,
                    created_at=clock.now())
    db.session.add(item)
    return item


def test_the_inbox_lists_exactly_the_items_one_may_act_on(world):
    task = new_task(world)
    template = db.session.scalars(select(WorkItem).where(WorkItem.task_id == task.id)).first()
    away = people.create_user("away", "mat-khau-1", LEAD, ["agency_head", "officer"], full_name="Người vắng")
    gone = people.create_user("gone", "mat-khau-1", LEAD, ["officer"], full_name="Người đã nghỉ")
    gone.active = False
    db.session.add(Delegation(user_id=away.id, delegate_id=world["officer2"].id, starts_on=date(2000, 1, 1),
                              ends_on=date(2100, 1, 1), created_by_id=away.id, created_at=clock.now()))
    people_ = [world["officer"], world["officer2"], world["head"], world["collab_a"], world["coord"], away, gone]
    lead, collab = world["officer"].agency_id, world["collab_a"].agency_id
    for agency_id, role, claimer, status in itertools.product(
            (lead, collab, None), ("officer", "agency_head", "appraiser"),
            (None, world["officer"], world["officer2"], world["head"], away, gone),
            ("open", "done", "cancelled")):
        _item(template, agency_id, role, claimer, status)
    db.session.commit()
    items = list(db.session.scalars(select(WorkItem)))
    assert len(items) > 150
    for person in people_:
        listed = set(db.session.scalars(select(WorkItem.id).where(access.inbox_clause(person))))
        allowed = {i.id for i in items if access.can_act(person, i)}
        assert listed == allowed, person.username
    # the delegate really acts for the absent head, and nobody acts for an inactive person
    assert any(access.acting_for(world["officer2"], i) == away for i in items)
    assert not any(access.can_act(gone, i) for i in items)


def test_an_agency_sees_the_tasks_it_leads_collaborates_on_or_worked_on_and_no_other(world, app):
    """``involved_clause`` (every list of a department's people) as one set read by its indexes, as
    ``involved_agency_ids`` says it task by task; and on PostgreSQL no JIT compiling of such queries (an outside
    check: 300 ms of compiling for 40 ms of work on a province's third year)."""
    from sqlalchemy import text

    from models import Agency, Task
    from tests.conftest import COLLAB_A, JUSTICE, OTHER, act

    def agency(name: str) -> int:
        return db.session.scalar(select(Agency.id).where(Agency.name == name))

    led, shared, appraised = new_task(world, collaborators=()), new_task(world), new_task(world, collaborators=())
    for step in ("assign", "draft", "finalise", "signoff"):
        act(world, appraised, step)  # now at Sở Tư pháp's appraisal: it works on the task
    for name, expected in ((LEAD, {led.id, shared.id, appraised.id}), (COLLAB_A, {shared.id}),
                           (JUSTICE, {appraised.id}), (OTHER, set())):
        seen = set(db.session.scalars(select(Task.id).where(access.involved_clause(agency(name)))))
        assert seen == expected, name
        assert seen == {t.id for t in (led, shared, appraised) if agency(name) in access.involved_agency_ids(t)}
    if db.engine.dialect.name == "postgresql":
        assert db.session.scalar(text("SHOW jit")) == "off"
    else:  # (SQLite takes no such option)
        assert "connect_args" not in app.config["SQLALCHEMY_ENGINE_OPTIONS"]
