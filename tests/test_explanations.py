"""Explanations (giải trình) of late tasks: who may write one, what is refused, where it shows, and that the
period report quotes it — never a head's return note to their own officer."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from docx import Document
from sqlalchemy import select

from models import AuditEvent, Notification, TaskExplanation, db
from tests.conftest import act, item_at, new_task
from workflows.errors import Invalid, NotAllowed
from workflows.notify import events
from workflows.reporting import period_report
from workflows.tasks import explanations, scope
from workflows.tx import transaction

RETURN_NOTE = "Cần chỉnh sửa bố cục"
WHY = "Chờ số liệu của Cục Thống kê; đơn vị đã có văn bản đôn đốc ngày 18/03."


def at(frozen, day: int, month: int = 3, hour: int = 9) -> None:
    frozen.moment = datetime(2026, month, day, hour - 7)


@pytest.fixture
def late(world, frozen):
    """A task of Sở Công Thương due 13/03/2026, drafted and returned by the head with a note to the officer; the
    clock on 20/03/2026 (seven days late)."""
    task = new_task(world, collaborators=(), due=date(2026, 3, 13), title="Xây dựng Đề án thương mại điện tử")
    at(frozen, 2)
    act(world, task, "assign")
    act(world, task, "draft")
    act(world, task, "finalise")
    at(frozen, 11)
    act(world, task, "signoff", "return", RETURN_NOTE)
    at(frozen, 20)
    db.session.refresh(task)
    return task


def report_docx(browser, period: str = "2026-03") -> Document:
    browser.login("coord")
    response = browser.client.get(f"/exports/report.docx?period={period}")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return Document(io.BytesIO(response.data))


def overdue_table(doc: Document) -> list[list[str]]:
    table = next(t for t in doc.tables if t.rows[0].cells[-1].text == "Lý do, giải trình")
    return [[c.text for c in row.cells] for row in table.rows[1:]]


def doc_text(doc: Document) -> str:
    return "\n".join([p.text for p in doc.paragraphs]
                     + [c.text for t in doc.tables for row in t.rows for c in row.cells])


# ---------------------------------------------------------------- who may explain

@pytest.mark.parametrize("username", ["officer", "officer2", "head", "coord"])
def test_the_lead_agency_and_coordinators_may_explain(world, late, username):
    explanation = explanations.explain(world[username], late.id, WHY, date(2026, 3, 31))
    assert explanation.author_id == world[username].id and explanation.expected_on == date(2026, 3, 31)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "explain"))
    assert event.task_id == late.id and event.comment == WHY and event.data["expected_on"] == "2026-03-31"


@pytest.mark.parametrize("username", ["collab_a", "collab_a_head", "justice", "approver", "viewer", "admin",
                                      "x_head", "x_officer"])
def test_others_may_not_explain(world, late, username):
    with pytest.raises(NotAllowed):
        explanations.explain(world[username], late.id, WHY, date(2026, 3, 31))
    assert db.session.scalar(select(TaskExplanation.id)) is None


def test_a_done_task_needs_no_explanation(world, frozen):
    task = new_task(world, collaborators=(), output_type="report", due=date(2026, 3, 31))
    for step in ("draft", "signoff", "confirm"):
        act(world, task, step)
    db.session.refresh(task)
    assert task.state == "done" and not explanations.may_explain(world["officer"], task)
    with pytest.raises(Invalid):
        explanations.explain(world["officer"], task.id, WHY, date(2026, 3, 31))


def test_a_stranger_posting_the_form_is_refused(browser, world, late):
    browser.login("collab_a")
    token = browser.csrf(f"/tasks/{late.id}")
    r = browser.client.post(f"/tasks/{late.id}/explanations",
                            data={"csrf_token": token, "explain-text": WHY, "explain-expected_on": "31/03/2026"})
    assert r.status_code == 403
    assert db.session.scalar(select(TaskExplanation.id)) is None


# ---------------------------------------------------------------- what is refused

@pytest.mark.parametrize(("text", "expected_on", "field", "message"), [
    ("", date(2026, 3, 31), "text", "Vui lòng nêu lý do chậm và những việc đơn vị đang làm."),
    ("   ", date(2026, 3, 31), "text", "Vui lòng nêu lý do chậm và những việc đơn vị đang làm."),
    ("x" * 2001, date(2026, 3, 31), "text", "Giải trình dài quá 2000 ký tự; vui lòng viết ngắn gọn hơn."),
    (WHY, None, "expected_on", "Vui lòng nhập ngày dự kiến hoàn thành."),
    (WHY, date(2026, 3, 19), "expected_on", "Ngày dự kiến hoàn thành không được ở trong quá khứ."),
])
def test_bad_input_is_refused_at_its_field(world, late, text, expected_on, field, message):
    with pytest.raises(Invalid) as exc:
        explanations.explain(world["officer"], late.id, text, expected_on)
    assert exc.value.fields == {field: message}
    assert db.session.scalar(select(TaskExplanation.id)) is None


def test_today_is_a_possible_completion_date(world, late):
    assert explanations.explain(world["officer"], late.id, WHY, date(2026, 3, 20)).expected_on == date(2026, 3, 20)


def test_the_page_shows_each_error_beside_its_field(browser, world, late):
    browser.login("officer")
    token = browser.csrf(f"/tasks/{late.id}")
    r = browser.client.post(f"/tasks/{late.id}/explanations",
                            data={"csrf_token": token, "explain-text": "", "explain-expected_on": "01/03/2026"})
    assert r.status_code == 422
    html = r.get_data(as_text=True)
    card = html[html.index('id="giai-trinh"'):]
    assert re.search(r'id="explain-text"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="explain-text"', card)
    assert "Vui lòng nêu lý do chậm và những việc đơn vị đang làm." in card
    assert "Ngày dự kiến hoàn thành không được ở trong quá khứ." in card
    assert 'value="01/03/2026"' in card  # what was typed stays


# ---------------------------------------------------------------- the task page

def test_the_task_page_asks_the_lead_agency_and_keeps_the_history(browser, world, late, frozen):
    at(frozen, 18)
    explanations.explain(world["head"], late.id, "Đang chỉnh sửa bố cục dự thảo.", date(2026, 3, 25))
    at(frozen, 20)
    browser.login("officer")
    token = browser.csrf(f"/tasks/{late.id}")
    r = browser.client.post(f"/tasks/{late.id}/explanations", data={
        "csrf_token": token, "explain-text": WHY, "explain-expected_on": "31/03/2026"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/tasks/{late.id}#giai-trinh")
    html = browser.client.get(f"/tasks/{late.id}").get_data(as_text=True)
    assert "Đã ghi giải trình." in html
    card = html[html.index('id="giai-trinh"'):html.index('id="so-do"')]
    assert "Nhiệm vụ đã quá hạn 7 ngày." in card and "Ghi giải trình" in card
    # latest first, with its author and expected date; the earlier one stays below
    assert card.index(WHY.replace(";", ";")) < card.index("Đang chỉnh sửa bố cục dự thảo.")
    assert "Dự kiến hoàn thành 31/03/2026" in card and "Dự kiến hoàn thành 25/03/2026" in card
    assert "Ông/Bà officer (Sở Công Thương)" in card and "Ông/Bà head (Sở Công Thương)" in card
    assert "Giải trình" in html[html.index('id="history-title"'):]  # and in the task's history


def test_readers_see_the_explanations_without_the_form(browser, world, late):
    explanations.explain(world["officer"], late.id, WHY, date(2026, 3, 31))
    browser.login("viewer")
    html = browser.client.get(f"/tasks/{late.id}").get_data(as_text=True)
    card = html[html.index('id="giai-trinh"'):html.index('id="so-do"')]
    assert "Dự kiến hoàn thành 31/03/2026" in card and "explain-text" not in card


def test_no_card_for_a_task_in_time_without_explanations(browser, world, frozen):
    task = new_task(world, collaborators=(), due=date(2026, 6, 30))
    browser.login("officer")
    assert 'id="giai-trinh"' not in browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)


def test_a_task_due_soon_asks_too(browser, world, frozen):
    task = new_task(world, collaborators=(), due=date(2026, 3, 3))
    browser.login("head")
    html = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'id="giai-trinh"' in html and "Nhiệm vụ sắp đến hạn (03/03/2026)." in html


# ---------------------------------------------------------------- the overdue reminder asks for it

def test_the_overdue_notice_asks_for_an_explanation_and_links_the_form(world, late):
    with transaction():
        notes = events.escalation(late, [item_at(late, "finalise")], "agency_head")
    assert sorted(n.user.username for n in notes) == ["head", "officer"]  # the officer holding it writes it
    for note in notes:
        assert note.link == f"/tasks/{late.id}#giai-trinh"
        assert "Đề nghị Sở Công Thương ghi giải trình (lý do chậm, ngày dự kiến hoàn thành)" in note.body
        assert db.session.get(Notification, note.id).link.endswith("#giai-trinh")


# ---------------------------------------------------------------- the report quotes it, never a return note

def test_the_period_report_quotes_the_latest_explanation_not_the_return_note(browser, world, late, frozen):
    other = new_task(world, collaborators=(), output_type="report", due=date(2026, 3, 16),
                     title="Báo cáo chỉ số thương mại điện tử")
    at(frozen, 18)
    explanations.explain(world["head"], late.id, "Đang chỉnh sửa.", date(2026, 3, 25))
    at(frozen, 19)
    explanations.explain(world["officer"], late.id, WHY, date(2026, 3, 31))
    at(frozen, 20)
    rows = overdue_table(report_docx(browser))
    by_title = {r[1].split(" (")[0]: r for r in rows}
    assert by_title["Xây dựng Đề án thương mại điện tử"][5] == f"{WHY}\nDự kiến hoàn thành 31/03/2026"
    assert by_title["Báo cáo chỉ số thương mại điện tử"][5] == "Chưa có giải trình"
    text = doc_text(report_docx(browser))
    assert RETURN_NOTE not in text and "Trả lại ngày" not in text and "Đang chỉnh sửa." not in text
    assert other.id  # the second task is in the table


def test_a_return_note_alone_reads_no_explanation(world, late):
    report = period_report.period_report(world["coord"], scope.filters_from({"period": "2026-03"}))
    [row] = report.overdue
    assert row.reason == "Chưa có giải trình" and row.expected_on is None
