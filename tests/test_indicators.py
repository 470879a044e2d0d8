"""Indicators: the indicator_report process on every path, values written only on acceptance, progress
against targets as the documents write them, the group pages, who may ask for a report, duplicates."""

from __future__ import annotations

import io
import re
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from models import Attachment, Directive, Indicator, IndicatorValue, Task, db
from tests.conftest import COLLAB_A, LEAD, OTHER, SCIENCE, act, csrf_from, item_at, open_items, waiting_timers
from tests.test_bpmn_paths import Run
from workflows import clock
from workflows.errors import Invalid, NotAllowed
from workflows.process import engine
from workflows.tasks import agency_changes, indicator_reports, indicators, reads, work

GROUP = "II. PHÁT TRIỂN NGUỒN LỰC"


def text(response) -> str:
    return response.get_data(as_text=True)


def make_indicator(stt="7", name="Tỷ lệ cán bộ, công chức cấp xã được bồi dưỡng kỹ năng số căn bản", unit="%",
                   baseline="82,7%", targets=None, responsible=(LEAD,), group=GROUP) -> Indicator:
    """An indicator as the import writes it (row 7 of Phụ lục I, Kế hoạch 266-KH/TU, by default)."""
    indicator = Indicator(group=group, stt=stt, name=name, unit=unit, baseline=baseline, baseline_date="tháng 3/2025",
                          targets=targets or {"2025": "85%", "2030": "100%", "2035": "100%"},
                          responsible=list(responsible), responsible_text="; ".join(responsible))
    db.session.add(indicator)
    db.session.commit()
    return indicator


class Upload:
    def __init__(self, filename: str, content: bytes):
        self.filename, self._content = filename, content

    def read(self, size: int = -1) -> bytes:
        return self._content


def report(world, indicator, year=2025, agency=LEAD, by="coord") -> Task:
    return indicator_reports.start_report(world[by], indicator.id, year, agency)


def values() -> list[IndicatorValue]:
    return list(db.session.scalars(select(IndicatorValue).order_by(IndicatorValue.id)))


# ---------------------------------------------------------------- the process, at the engine level

WHO = {"draft": ("officer", LEAD, "Đơn vị chủ trì"), "signoff": ("agency_head", LEAD, "Đơn vị chủ trì"),
       "confirm": ("coordinator", SCIENCE, "Tổ giúp việc")}


def test_indicator_report_straight_through():
    run = Run("indicator_report")
    [first] = engine.ready_steps(run.wf)
    assert [(f.name, f.type, f.required) for f in first.fields] == [
        ("value", "text", True), ("note", "text", False), ("evidence_file", "file", False)]
    assert run.walk({}) == ["draft", "signoff", "confirm"]
    assert engine.result_data(run.wf)["outcome"] == "accepted"
    assert {s.step_id: (s.role, s.lane) for s in run.spec.steps} == {k: (v[0], v[2]) for k, v in WHO.items()}


def test_indicator_report_returned_at_sign_off():
    trail = Run("indicator_report").walk({"signoff": ["return", "approve"]})
    assert trail == ["draft", "signoff", "draft", "signoff", "confirm"]


def test_indicator_report_returned_at_acceptance():
    trail = Run("indicator_report").walk({"confirm": ["return", "approve"], "signoff": ["approve", "return"]})
    assert trail == ["draft", "signoff", "confirm", "draft", "signoff", "draft", "signoff", "confirm"]


def test_every_step_has_the_three_timers(world, frozen):
    task = report(world, make_indicator())
    for step in ("draft", "signoff", "confirm"):
        rows = waiting_timers(task)
        assert sorted(f"{r.action}:{r.notify}" for r in rows) == [
            "escalate:agency_head", "escalate:coordinator", "remind:holder"], step
        act(world, task, step, data={"value": "85%"} if step == "draft" else None)


# ---------------------------------------------------------------- asking for a report

def test_a_report_is_a_task_at_the_agency_officers(world, frozen):
    indicator = make_indicator()
    task = report(world, indicator)
    assert task.title == f"Báo cáo chỉ tiêu: {indicator.name} — năm 2025"
    assert (task.kind, task.indicator_id, task.period, task.output_type, task.lead_agency.name) == (
        "indicator_report", indicator.id, "2025", "report", LEAD)
    assert "chỉ tiêu năm 2025: 85%" in task.expected_output
    # the yearly report date (25/11) is long past on 01/03/2026: ten working days from today
    assert task.due_date == date(2026, 3, 13) and task.deadline_text == "Trước ngày 13/03/2026"
    [item] = open_items(task)
    assert (item.step_id, item.step_name, item.role, item.agency.name) == (
        "draft", "Nhập số liệu chỉ tiêu", "officer", LEAD)
    # a work item in the officers' inbox, with a clear step name
    inbox = reads.inbox(world["officer"])
    assert [(i.task_id, i.step_name) for i in inbox.items] == [(task.id, "Nhập số liệu chỉ tiêu")]
    # a milestone year still ahead reports by that year's yearly report date
    later = report(world, indicator, 2030)
    assert later.due_date == date(2030, 11, 25)


def test_who_may_ask_for_a_report(world, frozen):
    indicator = make_indicator(responsible=(LEAD, COLLAB_A))
    for username in ("x_officer", "x_head", "officer", "viewer", "approver"):
        with pytest.raises(NotAllowed):
            report(world, indicator, by=username)
    # an agency head for their own agency, when it is responsible; not for another responsible agency
    assert report(world, indicator, by="head").lead_agency.name == LEAD
    with pytest.raises(Invalid) as refused:
        report(world, indicator, agency=COLLAB_A, by="head")
    assert "đơn vị mình" in refused.value.fields["agency"]
    # coordinators for any responsible agency, but only a responsible one and only a milestone year
    assert report(world, indicator, agency=COLLAB_A).lead_agency.name == COLLAB_A
    with pytest.raises(Invalid) as refused:
        report(world, indicator, 2026, agency=OTHER)
    assert set(refused.value.fields) == {"year", "agency"}
    # in 2026: the 2025 figure, or the progress towards 2030 — 2035's would stand as the latest figure (an outside
    # check asked for it in 2026 and it replaced the 2025 figure on the group's page)
    with pytest.raises(Invalid) as refused:
        report(world, indicator, 2035)
    assert refused.value.fields["year"] == ("Chưa đến kỳ báo cáo số liệu năm 2035: số liệu năm nay báo cáo cho mốc "
                                            "2030.")
    assert indicators.reportable_years(indicator) == [2025, 2030]
    assert db.session.scalar(select(func.count()).select_from(Task)) == 2


def test_a_second_open_report_is_refused_until_the_first_is_accepted(world, frozen):
    indicator = make_indicator()
    first = report(world, indicator)
    with pytest.raises(Invalid) as refused:
        report(world, indicator, by="head")
    assert first.code in refused.value.fields["year"] and "đang có báo cáo số liệu năm 2025" in refused.value.message
    assert report(world, indicator, 2030).period == "2030"  # another year is another report
    act(world, first, "draft", data={"value": "85%"})
    act(world, first, "signoff")
    act(world, first, "confirm")
    again = report(world, indicator)  # a correction after acceptance
    assert again.id != first.id and again.state == "active"


def test_an_agency_merged_into_another_is_asked_no_more_its_successor_is(world, frozen, browser):
    """The plan names the agencies as they were; after a merge the old one is closed and nobody could be asked for
    the indicator's figure (the form listed no agency). Its successor reports for the whole; two responsible
    agencies merged into one are that one once."""
    indicator = make_indicator(responsible=(LEAD, COLLAB_A))
    open_before = report(world, indicator, agency=COLLAB_A)
    frozen.moment = datetime(2026, 8, 3, 1)  # (a merge is made on its day or after)
    agency_changes.merge_agency(None, COLLAB_A, LEAD, date(2026, 7, 1), "Quyết định số 15/QĐ-UBND", users="keep")
    assert [a.name for a in indicators.responsible_agencies(indicator)] == [LEAD]
    with pytest.raises(Invalid) as refused:  # the old agency's open report passed to the successor: still one
        report(world, indicator, agency=LEAD)
    assert open_before.code in refused.value.fields["year"]
    agency_changes.merge_agency(None, LEAD, OTHER, date(2026, 8, 1), "Quyết định số 20/QĐ-UBND", users="keep")
    assert [a.name for a in indicators.responsible_agencies(indicator)] == [OTHER]  # through both merges
    assert report(world, indicator, 2030, agency=OTHER, by="x_head").lead_agency.name == OTHER
    assert indicator.responsible == [LEAD, COLLAB_A]  # the plan's own words are kept

    browser.login("coord")
    assert f"Chủ trì: {OTHER}</div>" in text(browser.client.get(f"/indicators/groups/{indicator.id}"))
    form = text(browser.client.get(f"/indicators/{indicator.id}/report"))
    assert re.findall(r'<option value="([^"]+)"', form) == ["2025", "2030", OTHER]  # (2035 not yet)


def test_a_merge_into_an_agency_asked_for_the_same_figure_leaves_it_one_report(world, frozen):
    """Both agencies had been asked for the 2030 figure: passing the merged one's report on gave the successor two
    open reports of one year, and two values once both were accepted. The successor's own stays; the other stops."""
    indicator = make_indicator(responsible=(LEAD, COLLAB_A))
    own, merged = report(world, indicator, 2030, agency=LEAD), report(world, indicator, 2030, agency=COLLAB_A)
    frozen.moment = datetime(2026, 8, 3, 1)  # (a merge is made on its day or after)
    agency_changes.merge_agency(None, COLLAB_A, LEAD, date(2026, 7, 1), "Quyết định số 15/QĐ-UBND", users="keep")
    assert (own.state, own.kind, merged.kind) == ("active", indicators.KIND, "withdrawn")
    assert indicators.open_reports(indicator) == [own]


# ---------------------------------------------------------------- acceptance writes the value

def test_the_value_is_written_only_when_the_coordinator_accepts(world, frozen):
    indicator = make_indicator()
    task = report(world, indicator)
    act(world, task, "draft", data={"value": "83%", "note": "Số liệu quý I"})
    act(world, task, "signoff", "return", "Đề nghị cập nhật số liệu đến hết tháng 12.")
    act(world, task, "draft", data={"value": "84%", "note": "Bản đầu"})
    act(world, task, "signoff")
    act(world, task, "confirm", "return", "Thiếu tệp minh chứng.")
    assert values() == []
    act(world, task, "draft", data={"value": "  86,5% ", "note": "Theo báo cáo của Sở Nội vụ, tháng 12/2025"})
    act(world, task, "signoff")
    assert values() == [] and task.state == "active"
    act(world, task, "confirm", comment="Tiếp nhận.")
    [value] = values()
    assert (value.indicator_id, value.year, value.value_text, value.value, value.agency_id, value.task_id) == (
        indicator.id, 2025, "86,5%", 86.5, world["head"].agency_id, task.id)
    assert value.note == "Theo báo cáo của Sở Nội vụ, tháng 12/2025"
    assert value.accepted_by_id == world["coord"].id and value.accepted_at is not None
    assert task.state == "done" and task.period_key is None


def test_a_text_value_is_kept_as_written_without_a_number(world, frozen):
    indicator = make_indicator(stt="4", name="Có Trung tâm an ninh mạng cấp tỉnh", unit="Trung tâm", baseline="Có",
                               targets={"2025": "Có", "2030": "Có"})
    task = report(world, indicator)
    act(world, task, "draft", data={"value": "Đạt"})
    act(world, task, "signoff")
    act(world, task, "confirm")
    [value] = values()
    assert (value.value_text, value.value, value.note) == ("Đạt", None, None)


@pytest.mark.parametrize(("typed", "message"), [
    ("8 tổ chức", "Chỉ tiêu năm 2025 là 2.500: vui lòng ghi giá trị thực hiện là một số, ví dụ 2.500 hoặc 12,5"),
    ("abc", "vui lòng ghi giá trị thực hiện là một số"),
    ("2,500", "“2,500” đọc là 2,5 (dấu phẩy trước phần thập phân), quá xa chỉ tiêu 2.500: nếu là số hàng nghìn, "
              "vui lòng ghi 2.500 (dấu chấm ngăn hàng nghìn)."),
    ("1,950", "đọc là 1,95 (dấu phẩy trước phần thập phân)"),
    ("9" * 40, "lớn bất thường: vui lòng kiểm tra lại."),
])
def test_a_figure_that_cannot_be_read_one_way_is_refused_and_nothing_moves(world, frozen, typed, message):
    """An outside check: "2,500" against a target of 2.500 was accepted as 2,5 (0,1 %), "abc" became the latest
    figure, 40 nines stretched the page 6,000 px wide — each signed off and accepted without a word."""
    indicator = make_indicator(name="Số cán bộ được bồi dưỡng", unit="người", baseline="1.200",
                               targets={"2025": "2.500", "2030": "4.000"})
    task = report(world, indicator)
    with pytest.raises(Invalid) as refused:
        act(world, task, "draft", data={"value": typed})
    assert message in str(refused.value.fields["value"])
    assert [i.step_id for i in open_items(task)] == ["draft"]
    for fine in ("2.500", "2,5", "0,125", "-3", "2500", "300,125"):  # (a fall may be negative; 300,125 is near)
        assert indicators.value_problem(task, fine) is None, fine
    percent = report(world, make_indicator(stt="9"))  # against 85%: "1,125" is the decimal it says (review)
    assert indicators.value_problem(percent, "1,125") is None and indicators.value_problem(percent, "1,125%") is None
    act(world, task, "draft", data={"value": "2.050"})
    assert [i.step_id for i in open_items(task)] == ["signoff"]


def test_the_note_of_a_returned_draft_is_not_carried_over(world, frozen):
    task = report(world, make_indicator())
    act(world, task, "draft", data={"value": "80%", "note": "Số liệu tạm tính"})
    act(world, task, "signoff", "return", "Đề nghị dùng số liệu chính thức.")
    act(world, task, "draft", data={"value": "85%"})
    act(world, task, "signoff")
    act(world, task, "confirm")
    [value] = values()
    assert (value.value_text, value.note) == ("85%", None)


def test_the_evidence_file_is_an_attachment_of_the_report_task(world, frozen):
    task = report(world, make_indicator())
    item = item_at(task, "draft")
    work.complete(item.id, world["officer"], "submit", None, {"value": "85%"},
                   {"evidence_file": Upload("Báo cáo số liệu 2025.pdf", b"%PDF-1.4 so lieu")})
    [attachment] = db.session.scalars(select(Attachment)).all()
    assert (attachment.task_id, attachment.field, attachment.label, attachment.filename) == (
        task.id, "evidence_file", "Tệp minh chứng", "Báo cáo số liệu 2025.pdf")
    assert attachment.step_name == "Nhập số liệu chỉ tiêu"


# ---------------------------------------------------------------- progress against targets

@pytest.mark.parametrize(("value", "target", "percent", "shown"), [
    ("85%", "100%", 85.0, "85%"),
    ("12,5", "10", 125.0, "125%"),
    ("0,8%", "≥ 1%", 80.0, "80%"),
    ("2.100", "2.000", 105.0, "105%"),  # thousands dot
    ("0.7", "0.75", 93.33, "93,3%"),  # a decimal dot as OCR left it
    ("6", "≤ 10", 100.0, "100%"),  # a rank: at or under the bound is met
    ("Đạt", "Có", None, "Đạt"),
    ("Nhóm 15", "Nhóm 10", None, "Nhóm 15"),
])
def test_progress_against_the_target(value, target, percent, shown):
    result = indicators.progress(value, target)
    assert result.text == shown
    assert (result.percent is None) if percent is None else result.percent == pytest.approx(percent, abs=0.01)


def test_numbers_as_the_documents_write_them():
    assert [indicators.parse_number(t) for t in ("85%", "12,5", "Đạt", "07", "0,7314", "1.200", "50-60", "-")] == [
        85.0, 12.5, None, 7.0, 0.7314, 1200.0, None, None]
    assert indicators.progress("85%", "-") is None  # no target that year


# ---------------------------------------------------------------- pages

def accepted(world, indicator, value, year=2025):
    task = report(world, indicator, year)
    act(world, task, "draft", data={"value": value})
    act(world, task, "signoff")
    act(world, task, "confirm")
    return task


def test_the_group_page_shows_baseline_targets_and_latest_value(world, frozen, browser):
    seven = make_indicator()
    eight = make_indicator(stt="8", name="Tỷ lệ cán bộ, công chức, viên chức làm chủ kỹ năng số", baseline="35,7%",
                           targets={"2025": "100%", "2030": "100%"})
    other = make_indicator(stt="1", name="Tỷ lệ phủ sóng 5G trên địa bàn", group="I. PHÁT TRIỂN HẠ TẦNG")
    accepted(world, seven, "80%")
    first = accepted(world, seven, "87,5%")  # a later accepted value for the same year wins
    running = report(world, eight)
    browser.login("viewer")
    listing = text(browser.client.get("/indicators"))
    assert GROUP in listing and "I. PHÁT TRIỂN HẠ TẦNG" in listing
    page = text(browser.client.get(f"/indicators/groups/{seven.id}"))
    assert seven.name in page and eight.name in page and other.name not in page
    for year in ("Năm 2025", "Năm 2030", "Năm 2035"):
        assert year in page
    assert "82,7%" in page and "(tháng 3/2025)" in page and "35,7%" in page
    assert "<strong>87,5%</strong>" in page and "102,9%" in page  # 87,5 of 85
    assert re.search(r'<progress max="100" value="100"', page)
    assert "Lịch sử số liệu đã tiếp nhận (2)" in page and "(đã có số liệu mới hơn)" in page
    assert f'href="/tasks/{first.id}"' in page
    assert f"Đang báo cáo năm 2025: <a href=\"/tasks/{running.id}\">{running.code}</a>" in page
    assert "hạn 13/03/2026</li>" in page  # not late yet: no chip
    assert "Chưa có số liệu" in page
    assert "Báo cáo số liệu<span" not in page  # a viewer reads, does not ask
    frozen.moment = datetime(2026, 3, 20, 1)  # a week past its date: said beside it (an outside check saw nothing)
    browser.login("viewer")
    page = text(browser.client.get(f"/indicators/groups/{seven.id}"))
    line = page[page.index(f'<a href="/tasks/{running.id}">'):]
    assert "Quá hạn" in line[:line.index("</li>")]
    # any indicator's address leads to its group
    assert browser.client.get(f"/indicators/{eight.id}").headers["Location"].endswith(
        f"/indicators/groups/{seven.id}#ind-{eight.id}")


def test_the_report_form_for_those_allowed(world, frozen, browser):
    indicator = make_indicator(responsible=(LEAD, COLLAB_A))
    browser.login("officer")
    assert "Báo cáo số liệu<span" not in text(browser.client.get(f"/indicators/groups/{indicator.id}"))
    assert browser.client.get(f"/indicators/{indicator.id}/report").status_code == 403
    browser.login("x_head")
    token = browser.csrf("/inbox")
    r = browser.client.post(f"/indicators/{indicator.id}/report", data={"csrf_token": token, "year": "2025",
                                                                         "agency": OTHER})
    assert r.status_code == 403
    browser.login("head")
    assert "Báo cáo số liệu<span" in text(browser.client.get(f"/indicators/groups/{indicator.id}"))
    form = text(browser.client.get(f"/indicators/{indicator.id}/report"))
    assert '<option value="2030">Năm 2030</option>' in form and f">{LEAD}</option>" in form
    assert f">{COLLAB_A}</option>" not in form  # a head asks only for their own agency
    token = csrf_from(form)
    r = browser.client.post(f"/indicators/{indicator.id}/report", data={"csrf_token": token, "year": "2025",
                                                                         "agency": LEAD})
    assert r.status_code == 302
    task = db.session.scalars(select(Task)).one()
    assert r.headers["Location"].endswith(f"/tasks/{task.id}")
    shown = text(browser.client.get(r.headers["Location"]))
    assert "Báo cáo chỉ tiêu:" in shown and "Xem chỉ tiêu theo năm và số liệu đã tiếp nhận" in shown
    # the same again: refused beside the year, naming the open report
    r = browser.client.post(f"/indicators/{indicator.id}/report", data={"csrf_token": token, "year": "2025",
                                                                         "agency": LEAD})
    assert r.status_code == 422 and task.code in text(r) and "đang có báo cáo số liệu năm 2025" in text(r)
    r = browser.client.post(f"/indicators/{indicator.id}/report", data={"csrf_token": token, "year": "",
                                                                         "agency": LEAD})
    assert r.status_code == 422 and "Vui lòng chọn năm cần báo cáo." in text(r)


def test_the_officer_reports_with_evidence_through_the_page(world, frozen, browser):
    indicator = make_indicator()
    task = report(world, indicator)
    item = item_at(task, "draft")
    browser.login("officer")
    page = text(browser.client.get(f"/tasks/{task.id}"))
    assert "Việc của bạn: Nhập số liệu chỉ tiêu" in page and "Giá trị thực hiện" in page
    # the target beside the box, and how a number is written (an outside check: nothing said either)
    assert "Chỉ tiêu năm 2025: 85%. Ghi giá trị là một số theo cách viết Việt Nam: 2.500 là hai nghìn năm trăm" in page
    token = csrf_from(page)
    r = browser.client.post(f"/work-items/{item.id}/complete", data={
        f"wi{item.id}-csrf_token": token, "decision": "submit"})
    assert r.status_code == 422 and "Vui lòng nhập giá trị thực hiện." in text(r)
    # a figure is one line: a paragraph pasted into it is refused at its field, not cut at acceptance
    pasted = "86%, trong đó " + "; ".join(["khối xã đạt 90%, khối phường đạt 82%"] * 8)
    r = browser.client.post(f"/work-items/{item.id}/complete", data={
        f"wi{item.id}-csrf_token": token, "decision": "submit", f"wi{item.id}-value": pasted})
    assert r.status_code == 422 and f'value="{pasted}"' in text(r)
    assert f"Tối đa 255 ký tự (nội dung gửi có {len(pasted)} ký tự)." in text(r)  # (and how long it is)
    with pytest.raises(Invalid) as refused:  # and through the API's use case
        act(world, task, "draft", data={"value": pasted})
    assert refused.value.fields["value"] == (f"Giá trị thực hiện: tối đa 255 ký tự "
                                             f"(nội dung gửi có {len(pasted)} ký tự).")
    r = browser.client.post(f"/work-items/{item.id}/complete", data={
        f"wi{item.id}-csrf_token": token, "decision": "submit", f"wi{item.id}-value": "86%",
        f"wi{item.id}-evidence_file": (io.BytesIO(b"%PDF-1.4 minh chung"), "Minh chứng.pdf")},
        content_type="multipart/form-data")
    assert r.status_code == 302, text(r)
    shown = text(browser.client.get(f"/tasks/{task.id}"))
    assert "Minh chứng.pdf" in shown and "Tệp minh chứng" in shown and "86%" in shown
    browser.login("head")  # the head signs off a figure read against its target, not a bare "86%"
    shown = text(browser.client.get(f"/tasks/{task.id}"))
    assert "<dt>Số liệu báo cáo</dt><dd><strong>86%</strong> — đạt 101,1% chỉ tiêu năm 2025 (85%)</dd>" in shown


def test_agencies_that_share_a_count_add_up(world, frozen, browser):
    """Three data centres, one each: the page read "Thực hiện: 1 (33,3%)", the last one accepted replacing the
    others. Each agency's latest figure counts, and counts add up; a share ("%") is not summed."""
    centres = make_indicator(stt="5", name="Hoàn thiện Trung tâm dữ liệu", unit="Trung tâm", baseline="0",
                             targets={"2025": "03"}, responsible=(LEAD, COLLAB_A, OTHER))
    for agency, officer, head in ((LEAD, "officer", "head"), (COLLAB_A, "collab_a", "collab_a_head"),
                                  (OTHER, "x_officer", "x_head")):
        task = report(world, centres, agency=agency)
        act(world, task, "draft", user=officer, data={"value": "1"})
        act(world, task, "signoff", user=head)
        act(world, task, "confirm")
    browser.login("viewer")
    page = text(browser.client.get(f"/indicators/groups/{centres.id}"))
    assert "Thực hiện: <strong>3</strong> (100%) <span class=\"muted\">(tổng của 3 đơn vị)</span>" in page
    assert "(đã có số liệu mới hơn)" not in page  # none replaced: each agency's own


def test_a_value_just_short_of_its_target_never_reads_100_and_foreign_digits_are_no_number():
    assert indicators.progress("99,95%", "100%").text == "99,9%"
    assert not indicators.progress("99,95%", "100%").reached
    assert indicators.parse_number("١٢") is None and indicators.parse_number("１２") is None


def test_a_report_asked_today_was_given_today_not_on_the_plan_s_date(world, frozen, browser):
    """An indicator's report, asked on 07/12, read "Ngày giao 26/04/2025 (ngày văn bản; ghi vào hệ thống …)": the
    plan's date, as for the tasks the plan assigns."""
    plan = Directive(number="266-KH/TU", title="Kế hoạch", issuer="Tỉnh ủy", issued_on=date(2025, 4, 26))
    db.session.add(plan)
    indicator = make_indicator()
    indicator.directive_id = plan.id
    db.session.commit()
    task = report(world, indicator)
    browser.login("coord")
    page = text(browser.client.get(f"/tasks/{task.id}"))
    given = page[page.index("<dt>Ngày giao</dt>"):][:200]
    assert f"{clock.today():%d/%m/%Y}" in given and "26/04/2025" not in given


def test_the_indicators_and_their_figures_download_as_a_sheet(world, frozen, browser):
    """An outside check: an officer who keeps indicators had no way to take them out of the pages (the committee's
    reports are written in a spreadsheet)."""
    from openpyxl import load_workbook

    seven = make_indicator()
    other = make_indicator(stt="1", name="Tỷ lệ phủ sóng 5G trên địa bàn", group="I. PHÁT TRIỂN HẠ TẦNG",
                           targets={"2025": "80%", "2030": "100%"})
    accepted(world, seven, "87,5%")
    running = report(world, other, 2030)
    browser.login("officer")  # reading indicators is every signed-in user's
    assert 'href="/indicators/export.xlsx"' in text(browser.client.get("/indicators"))
    r = browser.client.get("/indicators/export.xlsx")
    assert r.status_code == 200 and "Danh-muc-chi-tieu-01-03-2026.xlsx" in \
        r.headers["Content-Disposition"]
    ws = load_workbook(io.BytesIO(r.data))["Chỉ tiêu"]
    assert ws["A1"].value == "DANH MỤC CHỈ TIÊU VÀ SỐ LIỆU THỰC HIỆN" and "01/03/2026" in ws["A2"].value
    header = [c.value for c in ws[4]]
    assert header == ["STT", "Chỉ tiêu", "Đơn vị tính", "Đơn vị chủ trì", "Hiện trạng", "Chỉ tiêu 2025",
                      "Thực hiện 2025", "Chỉ tiêu 2030", "Thực hiện 2030", "Chỉ tiêu 2035", "Thực hiện 2035",
                      "Báo cáo đang xử lý"]
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=5)]
    assert [r[0] for r in rows if r[1] is None] == ["Chỉ tiêu chưa gắn văn bản", GROUP, "I. PHÁT TRIỂN HẠ TẦNG"]
    by_name = {r[1]: r for r in rows if r[1]}
    assert by_name[seven.name][3:7] == [LEAD, "82,7%", "85%", "87,5% (102,9%)"]
    assert by_name[other.name][11] == f"{running.code} ({LEAD}, năm 2030): Nhập số liệu chỉ tiêu"
    assert by_name[other.name][9] is None  # no target for 2035 in that plan: an empty cell
    assert ws.auto_filter.ref == f"A4:L{ws.max_row}"


def test_an_officer_narrows_a_group_to_the_indicators_of_their_agency(world, frozen, browser):
    """An outside check: a group of 37 indicators, a few of them one's own, had no way to show only those."""
    ours = make_indicator()
    theirs = make_indicator(stt="8", name="Tỷ lệ hộ gia đình có cáp quang", responsible=(COLLAB_A,))
    browser.login("officer")
    page = text(browser.client.get(f"/indicators/groups/{ours.id}"))
    assert ours.name in page and theirs.name in page
    assert f'href="/indicators/groups/{ours.id}?mine=1">Chỉ xem 1 chỉ tiêu do đơn vị tôi chủ trì</a>' in page
    mine = text(browser.client.get(f"/indicators/groups/{ours.id}?mine=1"))
    assert ours.name in mine and theirs.name not in mine
    assert f"Đang xem 1 chỉ tiêu do {LEAD} chủ trì." in mine and "Xem tất cả chỉ tiêu của nhóm" in mine
    browser.login("x_officer")  # an agency answering for none of them: no such link
    assert "?mine=1" not in text(browser.client.get(f"/indicators/groups/{ours.id}"))
