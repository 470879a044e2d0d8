"""Creating a task by hand (issue 16, item 4): a task of the same title from the same document is named and
linked before a second one is made; a form sent twice makes one task; periodic reports have their own codes."""

from __future__ import annotations

import re
import threading
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from models import Directive, Notification, Task, db
from tests.conftest import LEAD, act, new_task, open_items
from workflows import clock, holidays
from workflows.errors import Invalid
from workflows.importing import pipeline
from workflows.process import runtime
from workflows.tasks import create, deadlines, period_reports, reads

DOCUMENT = "Kế hoạch số 266-KH/TU ngày 26/4/2025"


def form(token: str, **changes) -> dict:
    return {"csrf_token": token, "title": "Xây dựng Đề án phát triển nhân lực số", "lead_agency": LEAD,
            "output_type": "plan", "due_date": "30/06/2026", "source_document": DOCUMENT, **changes}


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Task))


def test_the_same_title_from_the_same_document_is_linked_and_asked_once(browser, world, frozen):
    first = new_task(world, title="Xây dựng Đề án phát triển nhân lực số")
    first.source_document = DOCUMENT
    db.session.commit()
    browser.login("coord")
    token = browser.csrf("/tasks/new")
    # accents, case and spacing aside, it is the same title
    r = browser.client.post("/tasks/new", data=form(token, title="xây dựng  đề án Phát triển nhân lực số"))
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and count() == 1
    assert f"Văn bản này đã giao nhiệm vụ cùng tên ({first.code})." in page
    assert f'href="/tasks/{first.id}">{first.code}</a>' in page
    assert "Đúng, đây là một nhiệm vụ khác, cùng tên" in page
    r = browser.client.post("/tasks/new", data=form(token, duplicate_ok="y"))
    assert r.status_code == 302 and count() == 2


def test_the_same_title_from_another_document_is_not_asked(browser, world, frozen):
    new_task(world, title="Xây dựng Đề án phát triển nhân lực số").source_document = "Kế hoạch số 12/KH-UBND"
    db.session.commit()
    browser.login("coord")
    r = browser.client.post("/tasks/new", data=form(browser.csrf("/tasks/new")))
    assert r.status_code == 302 and count() == 2


def test_a_form_sent_twice_creates_one_task(browser, world, frozen):
    browser.login("coord")
    page = browser.client.get("/tasks/new").get_data(as_text=True)
    key = re.search(r'name="submission" type="hidden" value="([0-9a-f]{32})"', page).group(1)
    token = browser.csrf("/tasks/new")
    first = browser.client.post("/tasks/new", data=form(token, submission=key))
    again = browser.client.post("/tasks/new", data=form(token, submission=key))
    assert first.status_code == again.status_code == 302
    assert first.headers["Location"] == again.headers["Location"] and count() == 1
    shown = browser.client.get(again.headers["Location"]).get_data(as_text=True)
    code = db.session.scalar(select(Task.code))
    assert f"Nhiệm vụ {code} đã được giao khi biểu mẫu được gửi lần trước; không tạo thêm nhiệm vụ." in shown
    # each showing of the form has its own key: a second task on purpose is another form
    assert key not in browser.client.get("/tasks/new").get_data(as_text=True)
    # a key the form never gave (an API client's, "api:<account>:…") is replaced by the form's own
    create.create_task(world["coord"], title="Nhiệm vụ gửi qua API", lead_agency=LEAD, output_type="plan",
                       due_date=date(2026, 6, 30), submission=f"api:{world['coord'].id}:vb-42")
    other = browser.client.post("/tasks/new", data=form(token, submission=f"api:{world['coord'].id}:vb-42",
                                                        title="Nhiệm vụ khác, gửi từ biểu mẫu"))
    assert other.status_code == 302 and count() == 3


def test_two_sendings_at_the_same_moment_create_one_task(app, world, frozen):
    """A double click: both requests pass the "already created?" check before either commits; the unique key
    lets one win and gives the other the winner's task."""
    coord_id, results = world["coord"].id, []
    barrier = threading.Barrier(2)

    def send() -> None:
        with app.app_context():
            from models import User

            coord = db.session.get(User, coord_id)
            barrier.wait()
            task = create.create_task(coord, title="Kế hoạch gửi hai lần", lead_agency=LEAD, output_type="plan",
                                      due_date=date(2026, 6, 30), submission="k" * 32)
            results.append(task.id)
            db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0] == results[1] and count() == 1


def test_the_api_refuses_a_same_named_task_unless_told(world, frozen, api):
    create.create_task(world["coord"], title="Báo cáo sơ kết", lead_agency=LEAD, output_type="report",
                       due_date=date(2026, 6, 30), source_document=DOCUMENT)
    r = api.post("/api/v1/tasks", headers=api.token("coord"), json={  # told how, in the API's own terms
        "title": "Báo cáo sơ kết", "lead_agency": LEAD, "output_type": "report", "due_date": "2026-06-30",
        "source_document": DOCUMENT})
    assert r.status_code == 422 and r.get_json()["fields"]["title"].endswith(
        'Nếu đây là một nhiệm vụ khác, gửi lại kèm "duplicate_ok": true.')
    try:
        create.create_task(world["coord"], title="Báo cáo sơ kết", lead_agency=LEAD, output_type="report",
                           due_date=date(2026, 6, 30), source_document=DOCUMENT)
    except Invalid as exc:
        assert "title" in exc.fields
    else:
        raise AssertionError("a second task of the same title and document was created without asking")
    create.create_task(world["coord"], title="Báo cáo sơ kết", lead_agency=LEAD, output_type="report",
                       due_date=date(2026, 6, 30), source_document=DOCUMENT, duplicate_ok=True)
    assert count() == 2


def test_periodic_reports_are_numbered_apart_from_assigned_tasks(world, frozen):
    frozen.moment = frozen.moment.replace(year=2026, month=1, day=5)
    task = create.create_task(world["coord"], title="Tuyên truyền Nghị quyết 57", lead_agency=LEAD,
                              output_type="report", deadline_text="Thường xuyên", recurrence="ongoing")
    assert task.code == f"NV-{task.id:05d}"
    period_reports.generate(world["coord"], through=date(2026, 2, 28))
    codes = sorted(db.session.scalars(select(Task.code).where(Task.kind != "task")))
    assert codes and all(re.fullmatch(r"BC-2026-0[12]-\d{5}", c) for c in codes), codes


def test_a_new_task_reads_in_progress_once_its_process_has_started(browser, world, frozen):
    browser.login("coord")
    r = browser.client.post("/tasks/new", data=form(browser.csrf("/tasks/new")))
    page = browser.client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Quy trình đã bắt đầu" in page and "Đang thực hiện" in page and "Chưa bắt đầu" not in page


def test_the_task_page_keeps_the_menu_entry_it_was_opened_from(browser, world, frozen):
    task = new_task(world, title="Kế hoạch mở từ hộp việc")
    browser.login("coord")

    def current(referrer: str | None) -> list[str]:
        headers = {"Referer": referrer} if referrer else {}
        html = browser.client.get(f"/tasks/{task.id}", headers=headers).get_data(as_text=True)
        return re.findall(r'<a href="(/[a-z]*)"[^>]*aria-current="page"', html)

    assert current("http://localhost/inbox") == ["/inbox"]
    assert current("http://localhost/dashboard?agency=3") == ["/dashboard"]
    assert current(None) == ["/tasks"]
    assert current("https://elsewhere.example/inbox") == ["/tasks"]  # another site says nothing


def test_the_head_s_assignment_gives_an_internal_deadline_and_instructions(browser, world, frozen):
    """The head names the officer, a date for the draft and what to do; the officer reads them on the task."""
    task = new_task(world)
    today = frozen.moment.date()
    try:
        act(world, task, "assign", data={"assignee": "officer2", "internal_due": "2026-01-01"})
    except Invalid as exc:
        assert exc.fields["internal_due"].startswith("Hạn nội bộ nộp dự thảo không thể trước hôm nay")
    else:
        raise AssertionError("an internal deadline in the past was taken")
    with pytest.raises(Invalid) as caught:  # after the task's own deadline (30/06/2026)
        act(world, task, "assign", data={"assignee": "officer2", "internal_due": "2026-07-15"})
    assert caught.value.fields["internal_due"] == (
        "Hạn nội bộ nộp dự thảo không thể sau thời hạn của nhiệm vụ (30/06/2026).")
    act(world, task, "assign", data={"assignee": "officer2", "internal_due": (today.replace(day=28)).isoformat(),
                                     "instructions": "Bám sát Kế hoạch 266-KH/TU; xin ý kiến Sở Tài chính trước."})
    browser.login("officer2")
    page = browser.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Hạn nội bộ nộp dự thảo" in page and f"28/{today:%m/%Y}" in page
    assert "Bám sát Kế hoạch 266-KH/TU; xin ý kiến Sở Tài chính trước." in page
    # and in the notice of the new work itself: the date the head set was in none before
    notice = db.session.scalars(select(Notification).where(Notification.user_id == world["officer2"].id,
                                                           Notification.kind == "new_item")).one()
    assert f"- Hạn nội bộ nộp dự thảo: 28/{today:%m/%Y}" in notice.body
    assert "- Chỉ đạo, yêu cầu đối với chuyên viên: Bám sát Kế hoạch 266-KH/TU" in notice.body


def test_the_officer_s_list_shows_the_internal_deadline_the_draft_is_due_on(browser, world, frozen):
    """The head asked for the draft by 20/03 and the officer's list said only the task's 30/06: the draft's own
    deadline is its work item's, in the list, while earlier than the task's and not passed before the item was
    opened (a draft returned after it is due with the task)."""
    task = new_task(world)
    act(world, task, "assign", data={"assignee": "officer2", "internal_due": "2026-03-20"})
    [draft] = open_items(task)
    assert draft.due_at == datetime(2026, 3, 20)
    browser.login("officer2")

    def due_cell() -> str:
        html = browser.client.get("/inbox").get_data(as_text=True)
        row = next(r for r in html.split("<tr>") if f"#wi{open_items(task)[0].id}" in r)
        return " ".join(re.search(r'data-label="Thời hạn">(.*?)</td>', row, re.S).group(1).split())
    assert due_cell() == '30/06/2026 <div class="small">Hạn nội bộ: 20/03/2026</div>'
    # "Việc có hạn gần nhất ở trên cùng": the draft due on 20/03 before a task due on 31/03
    sooner = new_task(world, collaborators=(), due=date(2026, 3, 31), title="Báo cáo nhanh")
    act(world, sooner, "assign", data={"assignee": "officer2"})
    assert [i.task_id for i in reads.inbox(world["officer2"]).items] == [task.id, sooner.id]
    frozen.advance(days=20)  # 21/03: the head's day has passed (and the session with it)
    browser.login("officer2")
    assert due_cell() == '30/06/2026 <div class="small warning-text">Hạn nội bộ: 20/03/2026</div>'
    # the task's deadline moved before it: the earlier day is the task's, said once
    deadlines.adjust_deadline(world["coord"], task, date(2026, 3, 18), "18/3/2026", "Rút ngắn theo chỉ đạo")
    db.session.commit()
    assert open_items(task)[0].due_at == datetime(2026, 3, 18) and due_cell() == "18/03/2026"
    deadlines.adjust_deadline(world["coord"], task, date(2026, 6, 30), "30/6/2026", "Trở lại thời hạn cũ")
    db.session.commit()
    assert open_items(task)[0].due_at == datetime(2026, 3, 20)
    # a model that brings the file back to the draft after the head's day: the draft is due with the task
    [step] = runtime.load(task.instances[0]).ready_steps()
    assert step.due == date(2026, 3, 20) and runtime.due_at(task, step, opened=clock.now()) == datetime(2026, 6, 30)


def test_a_deadline_written_as_the_document_writes_it_sets_the_due_date(world, frozen):
    """The form takes "Thời hạn ghi trong văn bản" without a date; the task had no due date then, was never
    overdue and fell out of every report. It is now read as an import reads it, or refused."""
    def created(text: str) -> Task:
        return create.create_task(world["coord"], title=f"Báo cáo theo hạn “{text}”", lead_agency=LEAD,
                                  output_type="report", deadline_text=text)

    quarter = created("Quý II năm 2027")
    assert (quarter.nominal_due, quarter.due_date, quarter.recurrence) == (date(2027, 6, 30), date(2027, 6, 30), None)
    month = created("Tháng 10/2026")  # 31/10/2026 is a Saturday: due the next working day
    assert (month.nominal_due, month.due_date) == (date(2026, 10, 31), date(2026, 11, 2))
    monthly = created("Hằng tháng")
    assert monthly.recurrence == "monthly" and monthly.due_date == date(2026, 3, 20)
    ongoing = created("Thường xuyên")
    assert (ongoing.recurrence, ongoing.due_date) == ("ongoing", None)
    for text in ("sớm nhất có thể", "theo tiến độ dự án"):
        with pytest.raises(Invalid) as caught:
            created(text)
        assert caught.value.fields["deadline_text"].startswith(f"Chưa đọc được thời hạn “{text}”: nhập ngày")
    with pytest.raises(Invalid) as caught:  # (it was 30/06/2027, silently)
        created("Trước Quý II/2027")
    assert str(caught.value.fields["deadline_text"]) == (
        "Thời hạn “Trước Quý II/2027” không rõ là ngày nào (“Trước Quý…”: trước kỳ đó, đầu kỳ hay cuối kỳ? nếu là "
        "cuối kỳ thì là 30/06/2027). Ghi ngày cụ thể, ví dụ “31/3/2027”.")
    assert count() == 4


def test_the_form_reads_the_document_s_wording_and_asks_about_a_date_already_past(browser, world, frozen):
    browser.login("coord")
    token = browser.csrf("/tasks/new")
    r = browser.client.post("/tasks/new", data=form(token, due_date="", deadline_text="sớm nhất có thể"))
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Chưa đọc được thời hạn “sớm nhất có thể”" in page and count() == 0
    r = browser.client.post("/tasks/new", data=form(token, due_date="", deadline_text="Quý II năm 2025"))
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and "Thời hạn 30/06/2025 đã qua" in page and count() == 0
    r = browser.client.post("/tasks/new", data=form(token, due_date="", deadline_text="Quý II năm 2026"))
    assert r.status_code == 302
    task = db.session.scalars(select(Task)).one()
    assert task.due_date == date(2026, 6, 30) and task.deadline_text == "Quý II năm 2026"
    assert "30/06/2026" in browser.client.get(r.headers["Location"]).get_data(as_text=True)


def test_a_task_added_by_hand_counts_with_the_plan_its_document_names(browser, world, frozen):
    """14 tasks of the demo cite "Kế hoạch số 266-KH/TU" typed by hand: the plan's filter found none of them."""
    plan = Directive(number="Kế hoạch số 266-KH/TU", issued_on=date(2025, 4, 26))
    other = Directive(number="Kế hoạch số 66-KH/TU", issued_on=date(2025, 1, 6))
    unnumbered = Directive(number=f"{create.UNNUMBERED} (dán ngày 01/03/2026)")
    db.session.add_all([plan, other, unnumbered])
    db.session.commit()

    def linked(source: str) -> int | None:
        return create.create_task(world["coord"], title=f"Nhiệm vụ theo {source}", lead_agency=LEAD,
                                  output_type="report", due_date=date(2026, 6, 30),
                                  source_document=source).directive_id

    assert linked("Kế hoạch số 266-KH/TU ngày 26/4/2025") == plan.id
    assert linked("kế hoạch số 66-KH/TU") == other.id  # (not the plan whose number ends the same)
    assert linked("Văn bản chưa ghi số (dán ngày 01/03/2026)") is None
    assert linked("Theo chỉ đạo của Chủ tịch UBND tỉnh tại cuộc họp") is None  # no number: no document to record
    # a document never imported is recorded by the number the task gives: a choice of every filter (the demo's
    # register listed six documents, the filters offered one), and the one its import later finds
    letter = db.session.get(Directive, linked("Công văn số 1234/UBND-KGVX"))
    assert (letter.number, letter.issued_on) == ("Công văn số 1234/UBND-KGVX", None)
    assert linked("công văn số 1234/UBND-KGVX về chuyển đổi số") == letter.id
    assert linked("CV số 1234/UBND-KGVX") == letter.id  # its number, however the kind is written: one document
    steering = db.session.get(Directive, linked("Theo Kế hoạch số 04-KH/BCĐ ngày 05/01/2026 của Ban Chỉ đạo tỉnh"))
    assert (steering.number, steering.issued_on, steering.issuer) == (
        "Kế hoạch số 04-KH/BCĐ", date(2026, 1, 5), "Ban Chỉ đạo tỉnh")
    assert linked("Thực hiện Kế hoạch số 4-KH/BCĐ ngày 05/01/2026") == steering.id  # (a zero more or less)
    assert linked("Kế hoạch số 04-KH/BCĐ ngày 06/01/2025") != steering.id  # the same number another year: another
    undated, dated = Directive(number="Kế hoạch số 09-KH/BCĐ"), Directive(number="Kế hoạch số 09-KH/BCĐ",
                                                                         issued_on=date(2026, 2, 2))
    db.session.add_all([undated, dated])
    db.session.commit()
    assert linked("Kế hoạch số 09-KH/BCĐ ngày 02/02/2026") == dated.id  # that very day's before one of no day
    earlier = create.create_task(world["coord"], title="Nhiệm vụ giao trước khi nhập kế hoạch", lead_agency=LEAD,
                                 output_type="report", due_date=date(2026, 6, 30),
                                 source_document="Kế hoạch số 12/KH-UBND ngày 10/01/2026 của UBND tỉnh")
    assert (earlier.directive.number, earlier.directive.issued_on) == ("Kế hoạch số 12/KH-UBND", date(2026, 1, 10))
    table = (f"| STT | Nhiệm vụ | Đơn vị chủ trì | Thời hạn | Sản phẩm |\n|---|---|---|---|---|\n"
             f"| 1 | Tổng kết thực hiện kế hoạch | {LEAD} | 30/11/2026 | Báo cáo |\n")
    batch = pipeline.preview(world["coord"], pipeline.PASTED, table.encode(), "12/KH-UBND", date(2026, 1, 10))
    pipeline.commit(world["coord"], batch.id)
    assert db.session.get(type(batch), batch.id).directive_id == earlier.directive_id  # one document, not two
    assert db.session.scalar(select(func.count()).select_from(Task).where(
        Task.directive_id == earlier.directive_id)) == 2
    browser.login("coord")
    listed = browser.client.get(f"/tasks?scope=dashboard&directive={plan.id}").get_data(as_text=True)
    assert "Văn bản giao: Kế hoạch số 266-KH/TU" in listed
    assert "Nhiệm vụ theo Kế hoạch số 266-KH/TU ngày" in listed and "Nhiệm vụ theo kế hoạch số 66" not in listed


def test_a_date_given_as_a_date_on_a_day_off_moves_to_the_next_working_day_as_written_words_do(world, api, frozen):
    """"Tháng 10/2026" was moved from Saturday 31/10 to Monday 02/11, but 31/10/2026 typed in the form's date box
    (or the API's due_date) stayed a Saturday: the same deadline, a different due date and lateness. Both move;
    the task keeps the date as given (its page says it fell on a day off)."""
    holidays.ensure_defaults()
    typed = create.create_task(world["coord"], title="Báo cáo sơ kết theo ngày", lead_agency=LEAD,
                               output_type="report", due_date=date(2026, 10, 31))
    assert (typed.nominal_due, typed.due_date) == (date(2026, 10, 31), date(2026, 11, 2))
    r = api.post("/api/v1/tasks", headers=api.token("coord"), json={
        "title": "Báo cáo nhân dịp Quốc khánh", "lead_agency": LEAD, "output_type": "report",
        "due_date": "2026-09-02"})  # the National Day holiday (01–02/09/2026)
    assert r.status_code == 201 and r.get_json()["due_date"] == "2026-09-03"
    working = create.create_task(world["coord"], title="Báo cáo ngày thường", lead_agency=LEAD,
                                 output_type="report", due_date=date(2026, 10, 30))
    assert (working.nominal_due, working.due_date) == (date(2026, 10, 30), date(2026, 10, 30))
