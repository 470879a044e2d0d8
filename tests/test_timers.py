"""Reminders and escalations from the BPMN boundary timers, with an injected clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from models import AuditEvent, Notification, db
from tests.conftest import act, item_at, new_task, open_items, waiting_timers
from workflows import clock, holidays
from workflows.process import runtime
from workflows.tasks import deadlines, extensions, reminders, work


def local(y, m, d, hh=8, mm=0) -> datetime:
    """A local (Hà Nội) wall-clock moment as the naive UTC the application stores."""
    return datetime(y, m, d, hh, mm, tzinfo=clock.LOCAL_TZ).astimezone(clock.UTC).replace(tzinfo=None)


def fired(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def pending(task) -> dict[str, datetime]:
    """The task's waiting timers, as stored moments (naive UTC), from the engine."""
    return {f"{t.action}:{t.notify}": t.fire_at.astimezone(clock.UTC).replace(tzinfo=None)
            for t in waiting_timers(task)}


def test_timers_are_scheduled_on_working_days(world, frozen):
    holidays.ensure_defaults()
    # due Friday 13/03/2026: reminder 3 working days before (Tue 10/03 08:00), overdue the next working
    # day (Mon 16/03 08:00), coordinator two working days later (Wed 18/03 08:00)
    task = new_task(world, collaborators=(), due=date(2026, 3, 13))
    assert pending(task) == {"remind:holder": local(2026, 3, 10), "escalate:agency_head": local(2026, 3, 16),
                             "escalate:coordinator": local(2026, 3, 18)}


def test_reminder_fires_once_at_the_right_working_day(world, frozen):
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 3, 13))
    assert reminders.run_due(local(2026, 3, 10, 7, 59))["reminders"] == 0
    assert reminders.run_due(local(2026, 3, 10, 8, 0))["reminders"] == 1
    assert reminders.run_due(local(2026, 3, 11))["reminders"] == 0
    [event] = fired("remind")
    assert (event.task_id, event.from_step) == (task.id, "Phân công chuyên viên")
    assert [i.step_id for i in open_items(task)] == ["assign"]  # non-interrupting: the step still waits


def test_a_reminder_that_fires_after_the_due_date_tells_nobody_it_is_due_soon(world, frozen):
    """The worker was down (or the province went live with old tasks): at its first run the reminder and the
    escalation are both due. "Sắp đến hạn" beside "Quá hạn" would contradict itself: only the overdue notice
    goes out, and the history says the reminder was not sent."""
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 3, 13))
    counts = reminders.run_due(local(2026, 3, 16))  # reminder was due on 10/03, the escalation on 16/03
    assert (counts["instances"], counts["reminders"], counts["escalations"]) == (1, 0, 1)
    [remind] = fired("remind")
    assert remind.comment == "Nhắc hạn không gửi: đã quá thời hạn hoàn thành."
    kinds = set(db.session.scalars(select(Notification.kind).where(Notification.task_id == task.id)))
    assert "reminder" not in kinds and "escalation" in kinds


def test_the_first_milestone_of_an_ongoing_task_is_reminded_and_escalated_as_any_date(world, frozen):
    """"Tháng 8/2025 - Thường xuyên": the plan is due at the end of August 2025, then the work goes on. A plan
    still at its draft a year later was shown "Thường xuyên" everywhere and escalated to nobody; its first
    milestone is due, and late, as any date is (its badge says "Quá hạn" too, workflows.tasks.status)."""
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 3, 13), recurrence="ongoing")
    assert _sent(frozen, local(2026, 3, 10)) == (1, 0)
    assert _sent(frozen, local(2026, 3, 16)) == (0, 1)
    kinds = set(db.session.scalars(select(Notification.kind).where(Notification.task_id == task.id)))
    assert kinds == {"new_item", "reminder", "escalation"}


def test_escalations_fire_once_each_when_overdue(world, frozen):
    holidays.ensure_defaults()
    new_task(world, collaborators=(), due=date(2026, 3, 13))
    reminders.run_due(local(2026, 3, 16))
    reminders.run_due(local(2026, 3, 16, 9))
    assert [e.data["notify"] for e in fired("escalate")] == ["agency_head"]
    reminders.run_due(local(2026, 3, 18))
    reminders.run_due(local(2026, 3, 30))
    assert [e.data["notify"] for e in fired("escalate")] == ["agency_head", "coordinator"]
    assert len(fired("remind")) == 1


def test_nothing_fires_after_completion(world, frozen):
    holidays.ensure_defaults()
    task = new_task(world, output_type="report", collaborators=(), due=date(2026, 3, 13))
    for step in ("draft", "signoff", "confirm"):
        act(world, task, step)
    assert pending(task) == {}
    assert reminders.run_due(local(2027, 1, 1)) == {"instances": 0, "reminders": 0, "escalations": 0, "skipped": 0}
    assert fired("remind") == [] and fired("escalate") == []


def test_completing_a_step_cancels_its_timers_and_the_next_step_gets_its_own(world, frozen):
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 3, 13))
    assert [t.step_name for t in waiting_timers(task)] == ["Phân công chuyên viên"] * 3
    act(world, task, "assign")
    assert [t.step_name for t in waiting_timers(task)] == ["Xây dựng dự thảo"] * 3
    assert task.instances[0].next_timer_at == local(2026, 3, 10)  # the worker's index: the first one to fire


def test_a_return_does_not_escalate_at_once(world, frozen):
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 3, 13))
    for step in ("assign", "draft", "finalise"):
        act(world, task, step)
    frozen.moment = local(2026, 3, 20, 10)  # a week overdue, at the head's sign-off
    reminders.run_due(frozen.moment)
    assert len(fired("escalate")) == 2
    act(world, task, "signoff", "return", "Bổ sung kinh phí")
    # the officer's revision step is already past its dates: they move to the next working mornings
    assert pending(task) == {"remind:holder": local(2026, 3, 23), "escalate:agency_head": local(2026, 3, 23),
                             "escalate:coordinator": local(2026, 3, 25)}
    assert reminders.run_due(frozen.moment)["escalations"] == 0
    assert reminders.run_due(local(2026, 3, 23))["escalations"] == 1


def test_a_new_due_date_moves_the_waiting_timers(world, frozen):
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 3, 13))
    cycle_user = world["coord"]
    with db.session.begin_nested():
        pass
    deadlines.adjust_deadline(cycle_user, task, date(2026, 4, 10), "10/4/2026", "Gia hạn theo đề nghị")
    db.session.commit()
    assert pending(task) == {"remind:holder": local(2026, 4, 7), "escalate:agency_head": local(2026, 4, 13),
                             "escalate:coordinator": local(2026, 4, 15)}
    assert reminders.run_due(local(2026, 3, 16))["escalations"] == 0
    assert item_at(task, "assign").due_at.date() == date(2026, 4, 10)


def test_tasks_without_a_due_date_have_no_timers(world, frozen):
    task = new_task(world, collaborators=(), due=None, recurrence="ongoing")
    assert pending(task) == {}
    assert reminders.run_due(frozen.moment + timedelta(days=400))["instances"] == 0


def _sent(frozen, moment: datetime) -> tuple[int, int]:
    """Run the worker at ``moment``, as the real worker would: the clock says that moment too."""
    frozen.moment = moment
    counts = reminders.run_due(moment)
    return counts["reminders"], counts["escalations"]


def test_after_an_approved_extension_the_reminder_comes_on_time_and_once(world, frozen):
    """Due Friday 15/05/2026; on Wednesday 20/05 an extension to Friday 05/06 is approved. The reminder comes at
    08:00 three working days before the new date (Tuesday 02/06), once; the escalations on Monday 08/06 (the
    head) and Wednesday 10/06 (the coordinators) — not a working day late, not "Nhắc hạn không gửi"."""
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 5, 15))
    act(world, task, "assign")
    frozen.moment = local(2026, 5, 20, 9)
    extensions.request_extension(world["officer"], task.id, date(2026, 6, 5), "Chờ ý kiến của bộ")
    work.complete(item_at(task, "review").id, world["coord"], "approve", "Đề nghị chấp thuận")
    work.complete(item_at(task, "decide").id, world["approver"], "approve", "Đồng ý gia hạn")
    assert _sent(frozen, local(2026, 6, 2, 7, 59)) == (0, 0)
    assert _sent(frozen, local(2026, 6, 2, 8, 0)) == (1, 0)
    assert _sent(frozen, local(2026, 6, 5, 17)) == (0, 0)
    assert _sent(frozen, local(2026, 6, 8, 8, 0)) == (0, 1)
    assert _sent(frozen, local(2026, 6, 10, 8, 0)) == (0, 1)
    [remind] = fired("remind")
    assert remind.comment == "Nhắc hạn: sắp đến hạn hoàn thành." and remind.at == local(2026, 6, 2, 8, 0)


def test_a_date_moved_earlier_by_an_amending_document_reminds_on_time(world, frozen):
    """An amending document moves the due date from 30/06 to Wednesday 10/06/2026: the reminder comes on Friday
    05/06 at 08:00 and the first escalation on Thursday 11/06."""
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 6, 30))
    frozen.moment = local(2026, 5, 20, 9)
    deadlines.adjust_deadline(world["coord"], task, date(2026, 6, 10), "Trước ngày 10/6/2026",
                              "Điều chỉnh theo văn bản", source="Kế hoạch số 125/KH-UBND")
    db.session.commit()
    assert _sent(frozen, local(2026, 6, 5, 7, 59)) == (0, 0)
    assert _sent(frozen, local(2026, 6, 5, 8, 0)) == (1, 0)
    assert _sent(frozen, local(2026, 6, 11, 8, 0)) == (0, 1)


def test_the_engine_keeps_the_moments_of_a_new_due_date_across_a_restore(world, frozen):
    """Engine level: after ``set_due_date`` and a save, the state itself holds the new moments, so that firing
    them later — in another process, after a restore — does not recompute them from the firing moment."""
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 5, 15))
    frozen.moment = local(2026, 5, 20, 9)
    [row] = task.instances
    instance = runtime.load(row)
    instance.set_due_date(date(2026, 6, 5))
    runtime.save(instance, task)
    db.session.commit()
    again = runtime.load(row)
    frozen.moment = local(2026, 6, 2, 8, 0)
    fired_now = again.fire_timers(local(2026, 6, 2, 8, 0).replace(tzinfo=clock.UTC))
    assert [(t.action, t.notify) for t in fired_now] == [("remind", "holder")]


def test_the_task_page_folds_the_system_notices_between_people_s_actions(app, world, frozen):
    """An overdue file gathers a reminder and two overdue notices at every step it enters; the history keeps each
    person's action in view and folds the notices that follow one another into one line that opens."""
    from tests.conftest import Browser

    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 3, 13))
    frozen.moment = local(2026, 3, 30)
    reminders.run_due(frozen.moment)  # the reminder (recorded, not sent: late) and both overdue notices
    frozen.moment = local(2026, 3, 31, 9)
    act(world, task, "assign")
    browser = Browser(app.test_client())
    browser.login("coord")
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    history = page.split('id="history-title"', 1)[1]
    assert history.count('<li class="tl-system">') == 1
    assert "3 thông báo tự động (nhắc hạn, báo quá hạn) · 30/03/2026</summary>" in history
    folded = history.split('<li class="tl-system">', 1)[1].split("</details>", 1)[0]
    assert "Báo quá hạn" in folded and "Quá hạn kéo dài: đã báo Tổ giúp việc." in folded
    assert history.index("Giao nhiệm vụ") < history.index("tl-system") < history.index("Hoàn thành bước")


def test_each_collaborator_is_reminded_of_its_own_opinion_once(world, frozen):
    """The opinion round had no timers: a collaborator could hold the file past its due date and nobody was told.
    Its officer is reminded, then its head and the standing agency told, like any step — each collaborator of
    its own step only, once."""
    holidays.ensure_defaults()
    task = new_task(world, due=date(2026, 3, 13))
    act(world, task, "assign")
    act(world, task, "draft")
    steps = sorted((t.step_name, t.action, t.notify) for t in waiting_timers(task))
    assert steps == sorted([("Góp ý dự thảo", "remind", "holder"), ("Góp ý dự thảo", "escalate", "agency_head"),
                            ("Góp ý dự thảo", "escalate", "coordinator")] * 2)
    assert reminders.run_due(local(2026, 3, 10))["reminders"] == 2
    told = db.session.execute(select(Notification.user_id, Notification.kind).where(
        Notification.task_id == task.id, Notification.kind == "reminder")).all()
    assert sorted(told) == sorted([(world["collab_a"].id, "reminder"), (world["collab_b"].id, "reminder")])
    act(world, task, "give_opinion", user="collab_a")  # its head's signature has its own timers
    reminders.run_due(local(2026, 3, 16))  # overdue: each agency's head is told of his agency's step, with whoever
    # holds it (collab_a's head signs its opinion himself; collab_b's officer has not written it)
    told = db.session.scalars(select(Notification.user_id).where(
        Notification.task_id == task.id, Notification.kind == "escalation")).all()
    assert sorted(told) == sorted([world["collab_a_head"].id, world["collab_b_head"].id, world["collab_b"].id])


def test_the_coordinators_hear_once_of_a_task_late_at_two_collaborators(world, frozen):
    """An outside check: a task late at three collaborators' steps told the coordinator three times in one run, the
    same title each time; one notice names every agency it waits at. Each agency still hears of its own step."""
    holidays.ensure_defaults()
    task = new_task(world, due=date(2026, 3, 13))
    act(world, task, "assign")
    act(world, task, "draft")
    reminders.run_due(local(2026, 3, 20))  # a week late: every level has fired for both opinions
    told = db.session.execute(select(Notification.user_id, Notification.body).where(
        Notification.task_id == task.id, Notification.kind == "escalation")).all()
    to_coord = [body for user_id, body in told if user_id == world["coord"].id]
    assert len(to_coord) == 1 and "Góp ý dự thảo — Sở Tài chính" in to_coord[0] \
        and "Góp ý dự thảo — Sở Xây dựng" in to_coord[0]
    to_a = [body for user_id, body in told if user_id == world["collab_a_head"].id]
    assert len(to_a) == 1 and "Sở Xây dựng" not in to_a[0]


def test_an_extension_approved_after_the_timers_fired_reminds_and_escalates_again_for_the_new_date(world, frozen):
    """Due Friday 15/05/2026: the reminder (12/05) and both escalations (18/05, 20/05) went out; on Thursday 21/05
    an extension to Friday 05/06 is approved. The file is not overdue any more and must not fall silent: the
    reminder comes again on Tuesday 02/06 at 08:00, once, and the escalations on 08/06 and 10/06 if still open."""
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 5, 15))
    act(world, task, "assign")
    assert _sent(frozen, local(2026, 5, 12, 8, 0)) == (1, 0)
    assert _sent(frozen, local(2026, 5, 18, 8, 0)) == (0, 1)
    assert _sent(frozen, local(2026, 5, 20, 8, 0)) == (0, 1)
    assert pending(task) == {}
    frozen.moment = local(2026, 5, 21, 9)
    extensions.request_extension(world["officer"], task.id, date(2026, 6, 5), "Chờ ý kiến của bộ")
    work.complete(item_at(task, "review").id, world["coord"], "approve", "Đề nghị chấp thuận")
    work.complete(item_at(task, "decide").id, world["approver"], "approve", "Đồng ý gia hạn")
    assert pending(task) == {"remind:holder": local(2026, 6, 2), "escalate:agency_head": local(2026, 6, 8),
                             "escalate:coordinator": local(2026, 6, 10)}
    assert task.instances[0].next_timer_at == local(2026, 6, 2)  # the worker's index knows it
    assert _sent(frozen, local(2026, 6, 1, 8, 0)) == (0, 0)
    assert _sent(frozen, local(2026, 6, 2, 8, 0)) == (1, 0)
    assert _sent(frozen, local(2026, 6, 3, 8, 0)) == (0, 0)
    assert _sent(frozen, local(2026, 6, 8, 8, 0)) == (0, 1)
    assert _sent(frozen, local(2026, 6, 10, 8, 0)) == (0, 1)
    assert [e.at for e in fired("remind")] == [local(2026, 5, 12), local(2026, 6, 2)]
    holder = [n.title for n in db.session.scalars(select(Notification).where(
        Notification.user_id == world["officer"].id, Notification.kind == "reminder"))]
    assert len(holder) == 2 and "05/06/2026" in holder[-1]


def test_a_reminder_already_given_is_not_repeated_when_the_new_date_is_too_close(world, frozen):
    """Reminded on 25/06 for 30/06, the date is brought forward to 29/06 on 26/06: its reminder moment (24/06) has
    passed and the holder was reminded already — nothing is sent again; the escalation follows the new date."""
    holidays.ensure_defaults()
    task = new_task(world, collaborators=(), due=date(2026, 6, 30))
    assert _sent(frozen, local(2026, 6, 25, 8, 0)) == (1, 0)
    frozen.moment = local(2026, 6, 26, 9)
    deadlines.adjust_deadline(world["coord"], task, date(2026, 6, 29), "29/6/2026", "Điều chỉnh theo văn bản",
                              source="Kế hoạch số 130/KH-UBND")
    db.session.commit()
    assert pending(task) == {"escalate:agency_head": local(2026, 6, 30), "escalate:coordinator": local(2026, 7, 2)}
    assert _sent(frozen, local(2026, 6, 30, 8, 0)) == (0, 1)


def test_days_off_added_later_move_the_running_tasks_and_their_reminders(world, frozen, browser):
    # the 2027 calendar is entered in December: a task due on a new Tết day kept it (and its reminder fired
    # during Tết), while a task typed in afterwards with the same date got the next working day
    holidays.ensure_defaults()
    on_tet = new_task(world, collaborators=(), due=date(2027, 2, 8), title="Báo cáo đầu năm")
    after_tet = new_task(world, collaborators=(), due=date(2027, 2, 15), title="Kế hoạch sau Tết")
    granted = new_task(world, collaborators=(), due=date(2027, 1, 29), title="Gia hạn đến thứ Bảy")
    deadlines.adjust_deadline(world["coord"], granted, date(2027, 2, 6), "Gia hạn đến 06/02/2027", "Gia hạn")
    db.session.commit()  # (an extension's day is kept as granted, a Saturday: no day off before it moves it)
    assert pending(on_tet)["remind:holder"] == local(2027, 2, 3)
    assert pending(after_tet)["remind:holder"] == local(2027, 2, 10)
    browser.login("admin")
    token = browser.csrf("/admin/holidays")
    for day in ("05/02/2027", "08/02/2027", "09/02/2027", "10/02/2027", "11/02/2027"):
        page = browser.client.post("/admin/holidays", follow_redirects=True,
                                   data={"csrf_token": token, "day": day, "name": "Tết Đinh Mùi", "kind": "off"})
    assert "1 nhiệm vụ đang thực hiện đổi thời hạn theo lịch mới" in page.get_data(as_text=True)
    db.session.expire_all()
    assert on_tet.due_date == date(2027, 2, 12) and on_tet.nominal_due == date(2027, 2, 8)
    assert pending(on_tet) == {"remind:holder": local(2027, 2, 2), "escalate:agency_head": local(2027, 2, 15),
                               "escalate:coordinator": local(2027, 2, 17)}
    assert pending(after_tet)["remind:holder"] == local(2027, 2, 3)  # three working days before, across Tết
    assert after_tet.due_date == date(2027, 2, 15) and granted.due_date == date(2027, 2, 6)
    moved = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "calendar")
                                    .order_by(AuditEvent.id)))
    assert {e.task_id for e in moved} == {on_tet.id}  # each day added moved it one day on, each said
    assert moved[-1].comment == "Lịch nghỉ lễ thay đổi ngày 11/02/2027: thời hạn 11/02/2027 thành 12/02/2027."
    # a day given back brings the date back
    browser.client.post("/admin/holidays/2027-02-08/delete", data={"csrf_token": token})
    db.session.expire_all()
    assert on_tet.due_date == date(2027, 2, 8)
