"""Task status (DOMAIN.md) from the due date and the state, with an injected clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from models import Task, db
from tests.conftest import act, new_task
from workflows import clock
from workflows.tasks import status

TODAY = date(2026, 3, 10)


def make(state="active", due=None, started=False, completed_on=None, recurrence=None, starts=None) -> Task:
    return Task(state=state, due_date=due, started_at=datetime(2026, 3, 1) if started else None,
                completed_on=completed_on, recurrence=recurrence, recurrence_starts=starts)


@pytest.mark.parametrize(("task", "expected"), [
    # a task is under way once its process has started, before anyone finished a step (issue 16)
    (make(due=TODAY + timedelta(days=30)), "in_progress"),
    (make(due=TODAY + timedelta(days=30), started=True), "in_progress"),
    # it has not started while the start its document sets ("Từ Quý III/2026") lies ahead
    (make(due=TODAY + timedelta(days=300), recurrence="quarterly", starts=TODAY + timedelta(days=20)), "not_started"),
    (make(due=TODAY + timedelta(days=300), recurrence="quarterly", starts=TODAY), "in_progress"),
    (make(due=None, started=True), "in_progress"),
    (make(due=TODAY + timedelta(days=3), started=True), "due_soon"),
    (make(due=TODAY, started=False), "due_soon"),
    (make(due=TODAY - timedelta(days=1), started=True), "overdue"),
    (make(due=None, recurrence="ongoing"), "ongoing"),
    # a first milestone beside "Thường xuyên" ("Tháng 8/2025 - Thường xuyên") is due, and late, as any date is
    (make(due=TODAY - timedelta(days=100), recurrence="ongoing"), "overdue"),
    (make(due=TODAY + timedelta(days=30), recurrence="ongoing"), "in_progress"),
    (make(state="done", due=TODAY, completed_on=TODAY), "done_on_time"),
    (make(state="done", due=TODAY, completed_on=TODAY + timedelta(days=1)), "done_late"),
    (make(state="done", due=None, completed_on=TODAY), "done_on_time"),
])
def test_compute(task, expected):
    assert status.compute(task, TODAY, due_soon_days=3) == expected


def test_sql_clause_agrees_with_compute(world, frozen):
    """Seed tasks in every status; each status filter selects exactly the tasks compute() names."""
    today = clock.today()
    for offset in (-20, -1, 0, 2, 3, 4, 40):
        new_task(world, collaborators=(), due=today + timedelta(days=offset), title=f"Hạn {offset}")
    started = new_task(world, collaborators=(), due=today + timedelta(days=40), title="Đã bắt đầu")
    act(world, started, "assign")
    new_task(world, collaborators=(), due=None, recurrence="ongoing", title="Thường xuyên")
    new_task(world, collaborators=(), due=today - timedelta(days=10), recurrence="ongoing", title="Mốc đầu đã qua")
    later = new_task(world, collaborators=(), due=today + timedelta(days=200), title="Từ quý sau")
    later.recurrence_starts = today + timedelta(days=100)
    db.session.commit()
    for late in (False, True):
        task = new_task(world, output_type="report", collaborators=(), title=f"Báo cáo {late}",
                        due=today + timedelta(days=1))
        if late:
            frozen.advance(days=2)
        for step in ("draft", "signoff", "confirm"):
            act(world, task, step)
    today = clock.today()
    tasks = list(db.session.scalars(select(Task)))
    expected = {s: {t.id for t in tasks if status.compute(t, today, 3) == s} for s in status.STATUSES}
    assert all(expected.values()), expected  # the seed covers every status
    for s in status.STATUSES:
        got = set(db.session.scalars(select(Task.id).where(status.clause(s, today, 3))))
        assert got == expected[s], s


def test_local_date_is_used_for_today(frozen):
    frozen.moment = datetime(2026, 3, 9, 17, 30)  # 00:30 on 10/03 in Hà Nội
    assert clock.today() == date(2026, 3, 10)
