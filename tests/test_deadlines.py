"""The free-text deadline parser: every deadline text of the fixtures, DOMAIN.md's examples, and properties."""

from __future__ import annotations

import calendar as gregorian
import json
import unicodedata
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import FIXTURES
from workflows import holidays
from workflows.tasks.deadline_text import RECURRENCES, Deadline, Milestone, parse_deadline, split_outputs
from workflows.workdays import DEFAULT_CALENDAR, HolidayCalendar

DEADLINE_COLUMNS = ("Thời gian hoàn thành", "Thời hạn hoàn thành")
PLAN_266 = date(2025, 4, 26)  # Kế hoạch 266-KH/TU, the document of fixture 002


def d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


# text, issued, outputs -> nominal, effective, recurrence, milestones, done_at_issue, all understood
FIXTURE_CASES = [
    # 000_…: letter of UBND tỉnh, March 2026
    ("15/4/2026", None, None, "2026-04-15", "2026-04-15", None, 0, False, True),
    ("31/3/2026", None, None, "2026-03-31", "2026-03-31", None, 0, False, True),
    # 002_…: Kế hoạch 266-KH/TU, Phụ lục II and III
    ("Đã hoàn thành", PLAN_266, None, None, None, None, 0, True, True),
    ("Tháng 4/2025", PLAN_266, None, "2025-04-30", "2025-05-05", None, 0, False, True),
    ("Tháng 5/2025", PLAN_266, None, "2025-05-31", "2025-06-02", None, 0, False, True),
    ("Tháng 5/2025 và hàng năm", PLAN_266, "Kế hoạch", "2025-05-31", "2025-06-02", "yearly", 1, False, True),
    ("Tháng 5/2025 và thường xuyên", PLAN_266, "Kế hoạch của UBND tỉnh", "2025-05-31", "2025-06-02", "ongoing", 1,
     False, True),
    ("Tháng 6/2025", PLAN_266, None, "2025-06-30", "2025-06-30", None, 0, False, True),
    ("Tháng 6/2025; thường xuyên", PLAN_266, "Kế hoạch", "2025-06-30", "2025-06-30", "ongoing", 1, False, True),
    ("(1) Tháng 6/2025; (2) Tháng 10/2025", PLAN_266,
     "(1) Quyết định ban hành Bộ chỉ tiêu đánh giá CBCC; (2) Phần mềm đánh giá",
     "2025-06-30", "2025-06-30", None, 2, False, True),
    ("Tháng 7/2025", PLAN_266, None, "2025-07-31", "2025-07-31", None, 0, False, True),
    ("Tháng 8/2025", PLAN_266, None, "2025-08-31", "2025-09-03", None, 0, False, True),
    ("- Tháng 8/2025 - Thường xuyên", PLAN_266, "- Kế hoạch của UBND tỉnh", "2025-08-31", "2025-09-03", "ongoing", 1,
     False, True),
    ("Tháng 9/2025", PLAN_266, None, "2025-09-30", "2025-09-30", None, 0, False, True),
    ("Tháng 10/2025", PLAN_266, None, "2025-10-31", "2025-10-31", None, 0, False, True),
    ("Tháng 11/2025", PLAN_266, None, "2025-11-30", "2025-12-01", None, 0, False, True),
    ("- Tháng 11/2025 - Tháng 9/2028", PLAN_266, "- Phê duyệt Đề án; - Hoàn thành triển khai",
     "2025-11-30", "2025-12-01", None, 2, False, True),
    ("Tháng 12/2025", PLAN_266, None, "2025-12-31", "2025-12-31", None, 0, False, True),
    ("Tháng 3/2026", PLAN_266, None, "2026-03-31", "2026-03-31", None, 0, False, True),
    ("- Tháng 4/2026 - Năm 2026", PLAN_266, "Quyết định phê duyệt dự án", "2026-04-30", "2026-05-04", None, 2, False,
     True),
    ("Tháng 6/2026", PLAN_266, None, "2026-06-30", "2026-06-30", None, 0, False, True),
    ("Hoàn thành tháng 6/2026", PLAN_266, "Hoàn thành Đề án", "2026-06-30", "2026-06-30", None, 0, False, True),
    ("Tháng 9/2026", PLAN_266, None, "2026-09-30", "2026-09-30", None, 0, False, True),
    ("Tháng 10/2026", PLAN_266, None, "2026-10-31", "2026-11-02", None, 0, False, True),
    ("Tháng 11/2026", PLAN_266, None, "2026-11-30", "2026-11-30", None, 0, False, True),
    ("Tháng 12/2026", PLAN_266, None, "2026-12-31", "2026-12-31", None, 0, False, True),
    ("Năm 2026", PLAN_266, None, "2026-12-31", "2026-12-31", None, 0, False, True),
    ("Tháng 3/2027", PLAN_266, None, "2027-03-31", "2027-03-31", None, 0, False, True),
    ("Tháng 6/2027", PLAN_266, None, "2027-06-30", "2027-06-30", None, 0, False, True),
    ("Tháng 9/2027", PLAN_266, None, "2027-09-30", "2027-09-30", None, 0, False, True),
    ("Tháng 12/2027", PLAN_266, None, "2027-12-31", "2027-12-31", None, 0, False, True),
    ("Năm 2027", PLAN_266, None, "2027-12-31", "2027-12-31", None, 0, False, True),
    ("Tháng 6/2028", PLAN_266, None, "2028-06-30", "2028-06-30", None, 0, False, True),
    ("Tháng 8/2028", PLAN_266, None, "2028-08-31", "2028-08-31", None, 0, False, True),
    ("Thường xuyên", PLAN_266, None, None, None, "ongoing", 0, False, True),
    ("Hàng năm", PLAN_266, "Kế hoạch của UBND tỉnh", "2025-11-25", "2025-11-25", "yearly", 0, False, True),
    ("", PLAN_266, None, None, None, None, 0, False, True),  # empty cell (a row split by a page break)
    # 003_…: amending appendix, May 2026
    ("Phát động trong tháng 4/2026", None, "Triển khai đến toàn thể người dân, CBCCVN trên địa bàn tỉnh",
     "2026-04-30", "2026-05-04", None, 1, False, True),
    ("Trong năm 2026", None, None, "2026-12-31", "2026-12-31", None, 0, False, True),
    ("Quý II năm 2026", None, None, "2026-06-30", "2026-06-30", None, 0, False, True),
    ("30/6/2026", None, None, "2026-06-30", "2026-06-30", None, 0, False, True),
    ("Tháng 6 năm 2026", None, None, "2026-06-30", "2026-06-30", None, 0, False, True),
    ("Hoàn thành trước ngày 15/5/2026", None, None, "2026-05-15", "2026-05-15", None, 0, False, True),
]

DOMAIN_CASES = [
    ("trước ngày 02/4/2026", None, None, "2026-04-02", "2026-04-02", None, 0, False, True),
    ("Tháng 02/2025", None, None, "2025-02-28", "2025-02-28", None, 0, False, True),
    ("Hoàn thành trong tháng 3/2026", None, None, "2026-03-31", "2026-03-31", None, 0, False, True),
    ("Quý I/2026", None, None, "2026-03-31", "2026-03-31", None, 0, False, True),
    ("Quý 3/2026", None, None, "2026-09-30", "2026-09-30", None, 0, False, True),
    ("Nhiệm vụ thường xuyên", None, None, None, None, "ongoing", 0, False, True),
    ("Hàng năm", None, None, None, None, "yearly", 0, False, True),
    ("Hàng năm", date(2025, 11, 26), None, "2026-11-25", "2026-11-25", "yearly", 0, False, True),
    ("(Đã thực hiện)", None, None, None, None, None, 0, True, True),
    ("Phát động trong tháng 4/2026 (Đã thực hiện)", None, None, "2026-04-30", "2026-05-04", None, 1, True, True),
    ("6 tháng đầu năm 2026", None, None, "2026-06-30", "2026-06-30", None, 0, False, True),
    ("6 tháng cuối năm", date(2026, 1, 5), None, "2026-12-31", "2026-12-31", None, 0, False, True),
    ("6 tháng cuối năm", None, None, None, None, None, 0, False, False),  # no year to anchor it
    ("31/3/2026 Báo cáo cấp có thẩm quyền", None, None, "2026-03-31", "2026-03-31", None, 0, False, False),
    # from the body text of the documents
    ("trước ngày 31/3/2026", None, None, "2026-03-31", "2026-03-31", None, 0, False, True),
    ("hoàn thành trước ngày 15/5/2025", None, None, "2025-05-15", "2025-05-15", None, 0, False, True),
    # tolerance: case, spacing, HTML, optional "năm", Roman or Arabic quarters, trailing dot, no diacritics
    ("  THÁNG   4 / 2025. ", None, None, "2025-04-30", "2025-05-05", None, 0, False, True),
    ("tháng 4 năm 2025", None, None, "2025-04-30", "2025-05-05", None, 0, False, True),
    ("<i>Quý II năm 2026</i>", None, None, "2026-06-30", "2026-06-30", None, 0, False, True),
    ("quý ii/2026", None, None, "2026-06-30", "2026-06-30", None, 0, False, True),
    ("Quý 2 năm 2026", None, None, "2026-06-30", "2026-06-30", None, 0, False, True),
    ("Qúy IV/2026", None, None, "2026-12-31", "2026-12-31", None, 0, False, True),
    ("Thang 4/2025", None, None, "2025-04-30", "2025-05-05", None, 0, False, True),
    ("Tháng 6/2025<br>Thường xuyên", None, None, "2025-06-30", "2025-06-30", "ongoing", 1, False, True),
    ("- Tháng 11/2025\n- Tháng 9/2028", None, None, "2025-11-30", "2025-12-01", None, 2, False, True),
    ("ngày 15 tháng 5 năm 2026", None, None, "2026-05-15", "2026-05-15", None, 0, False, True),
    ("15-5-2026", None, None, "2026-05-15", "2026-05-15", None, 0, False, True),
    ("Định kỳ hằng quý", None, None, None, None, "quarterly", 0, False, True),
    ("Hằng tháng", None, None, None, None, "monthly", 0, False, True),
    ("31/02/2026", None, None, None, None, None, 0, False, False),
    ("Tháng 13/2026", None, None, None, None, None, 0, False, False),
    ("Quý 5/2026", None, None, None, None, None, 0, False, False),
    ("Chờ hướng dẫn của Bộ", None, None, None, None, None, 0, False, False),
    ("Từ tháng 3 đến tháng 6/2026", None, None, "2026-06-30", "2026-06-30", None, 0, False, False),  # a range: review
    # an outside check's texts: "Quí", a list of quarters of one year, a span of years
    ("Quí III/2027", None, None, "2027-09-30", "2027-09-30", None, 0, False, True),
    ("Quí 3 năm 2027", None, None, "2027-09-30", "2027-09-30", None, 0, False, True),
    ("Quý I và Quý III/2027", None, None, "2027-03-31", "2027-03-31", None, 2, False, True),
    ("Quý I, Quý II và Quý IV năm 2027", None, None, "2027-03-31", "2027-03-31", None, 3, False, True),
    ("Năm 2026-2027", None, None, "2027-12-31", "2027-12-31", None, 0, False, True),
]


@pytest.mark.parametrize(("text", "issued", "outputs", "nominal", "effective", "recurrence", "milestones", "done",
                          "understood"), FIXTURE_CASES + DOMAIN_CASES)
def test_deadline_texts(text, issued, outputs, nominal, effective, recurrence, milestones, done, understood):
    result = parse_deadline(text, issued=issued, outputs=outputs)
    assert (result.nominal_due, result.effective_due, result.recurrence, len(result.milestones),
            result.done_at_issue, result.unparsed == "") == (d(nominal), d(effective), recurrence, milestones, done,
                                                            understood)
    assert result.raw == text


def fixture_deadline_cells() -> set[str]:
    """Every cell under a deadline column header in the fixtures (the header repeats after page breaks)."""
    cells = set()
    for path in sorted(FIXTURES.glob("*.txt")):
        column = None
        for line in path.read_text(encoding="utf-8").splitlines():
            row = line.split("\t")
            header = [cell.strip() for cell in row]
            named = [name for name in DEADLINE_COLUMNS if name in header]
            if named:
                column = header.index(named[0])
            elif column is not None and len(row) > column:
                cells.add(row[column])
    return cells


def test_the_table_lists_every_deadline_text_of_the_fixtures():
    assert fixture_deadline_cells() <= {case[0] for case in FIXTURE_CASES}
    assert len(fixture_deadline_cells()) == len({case[0] for case in FIXTURE_CASES})


@pytest.mark.parametrize(("text", "words"), [("Trước Quý II/2027", "Trước Quý"), ("Đầu năm 2027", "Đầu năm"),
                                             ("giữa tháng 6/2027", "giữa tháng"), ("Trước quí 2/2027", "Trước quí"),
                                             ("Truoc quy II/2027", "Truoc quy")])
def test_a_date_before_or_early_in_a_period_is_a_guess_a_person_settles(text, words):
    # read as the period's last day, silently: "Trước Quý II/2027" became 30/06/2027 and "Đầu năm 2027" 31/12/2027
    result = parse_deadline(text)
    assert result.ambiguous == words and result.ambiguity()["text"] == text
    assert parse_deadline("trước ngày 30/4/2027").ambiguous is None  # a day is that day
    assert parse_deadline("Quý II/2027").ambiguous is None


def test_milestones_take_the_outputs_in_order():
    result = parse_deadline("- Tháng 11/2025 - Tháng 9/2028", outputs="- Phê duyệt Đề án; - Hoàn thành triển khai")
    assert result.milestones == [Milestone(date(2025, 11, 30), "Phê duyệt Đề án"),
                                 Milestone(date(2028, 9, 30), "Hoàn thành triển khai")]
    assert result.nominal_due == date(2025, 11, 30)  # the earliest milestone, not the end of a range


def test_milestones_without_enough_outputs_get_empty_labels():
    result = parse_deadline("- Tháng 4/2026 - Năm 2026", outputs="Quyết định phê duyệt dự án")
    assert [m.label for m in result.milestones] == ["Quyết định phê duyệt dự án", ""]
    assert [m.due for m in result.milestones] == [date(2026, 4, 30), date(2026, 12, 31)]


def test_numbered_milestones_match_numbered_outputs():
    result = parse_deadline("(1) Tháng 6/2025; (2) Tháng 10/2025",
                            outputs="(1) Quyết định ban hành Bộ chỉ tiêu đánh giá CBCC; (2) Phần mềm đánh giá")
    assert [(m.due, m.label) for m in result.milestones] == [
        (date(2025, 6, 30), "Quyết định ban hành Bộ chỉ tiêu đánh giá CBCC"),
        (date(2025, 10, 31), "Phần mềm đánh giá")]


def test_a_launch_is_a_labelled_milestone():
    result = parse_deadline("Phát động trong tháng 4/2026", outputs="Triển khai đến toàn thể người dân")
    assert result.milestones == [Milestone(date(2026, 4, 30), "Phát động")]


def test_first_milestone_then_recurrence():
    result = parse_deadline("Tháng 5/2025 và hàng năm", issued=PLAN_266, outputs="Kế hoạch")
    assert (result.nominal_due, result.recurrence) == (date(2025, 5, 31), "yearly")
    assert result.milestones == [Milestone(date(2025, 5, 31), "Kế hoạch")]


def test_yearly_cut_off_is_configurable():
    assert parse_deadline("Hàng năm", issued=PLAN_266, yearly_cutoff=(6, 15)).nominal_due == date(2025, 6, 15)
    assert parse_deadline("Hàng năm", issued=date(2025, 6, 16), yearly_cutoff=(6, 15)).nominal_due == date(2026, 6, 15)
    assert parse_deadline("Hàng năm", issued=date(2024, 3, 1), yearly_cutoff=(2, 29)).nominal_due == date(2025, 2, 28)
    assert parse_deadline("Hàng năm", issued=datetime(2025, 4, 26, 8, 30)).nominal_due == date(2025, 11, 25)


def test_a_column_shift_keeps_the_rest_for_review():
    result = parse_deadline("31/3/2026 Báo cáo cấp có thẩm quyền")
    assert result.nominal_due == date(2026, 3, 31)
    assert result.unparsed == "Báo cáo cấp có thẩm quyền"
    assert result.needs_review


@pytest.mark.parametrize("text", [None, "", "   ", "<br>", "Chờ hướng dẫn", "31/02/2026"])
def test_nothing_understood_needs_review(text):
    result = parse_deadline(text)
    assert (result.nominal_due, result.effective_due, result.recurrence, result.milestones) == (None, None, None, [])
    assert result.needs_review
    assert result.raw == (text or "")


def test_invalid_date_goes_to_unparsed():
    result = parse_deadline("31/02/2026")
    assert result.unparsed == "31/02/2026"
    partly = parse_deadline("Tháng 6/2026; 31/02/2026")
    assert (partly.nominal_due, partly.unparsed) == (date(2026, 6, 30), "31/02/2026")


def test_understood_texts_need_no_review():
    assert not parse_deadline("Thường xuyên").needs_review
    assert not parse_deadline("Đã hoàn thành").needs_review
    assert not parse_deadline("Quý II năm 2026").needs_review


def test_decomposed_unicode_is_understood():
    text = unicodedata.normalize("NFD", "Quý II năm 2026")
    assert parse_deadline(text).nominal_due == date(2026, 6, 30)


def test_effective_due_uses_the_given_calendar():
    assert parse_deadline("Tháng 4/2025").effective_due == date(2025, 5, 5)
    plain = parse_deadline("Tháng 4/2025", calendar=HolidayCalendar())
    assert (plain.nominal_due, plain.effective_due) == (date(2025, 4, 30), date(2025, 4, 30))


def test_to_json():
    result = parse_deadline("- Tháng 8/2025 - Thường xuyên", outputs="- Kế hoạch của UBND tỉnh")
    assert result.to_json() == {
        "raw": "- Tháng 8/2025 - Thường xuyên",
        "nominal_due": "2025-08-31",
        "effective_due": "2025-09-03",
        "recurrence": "ongoing",
        "milestones": [{"due": "2025-08-31", "label": "Kế hoạch của UBND tỉnh"}],
        "done_at_issue": False,
        "unparsed": "",
        "recurrence_day": None,
        "recurrence_weekday": None,
        "starts": None,
        "recurrence_from_day": None,
    }
    assert parse_deadline("").to_json()["nominal_due"] is None
    window = parse_deadline("Từ tháng 7/2026, từ ngày 20 đến ngày 25 hằng tháng").to_json()
    assert (window["recurrence_day"], window["recurrence_from_day"], window["starts"]) == (25, 20, "2026-07-01")


# --- recurring and relative deadlines keep their rule ---------------------------------------------

# Rules read from the Vietnamese (and written down in deadline_text.py):
# - "trước ngày 10 hằng tháng" falls due on the 10th of every month ("trước ngày 15/5/2026" is due on 15/5 too);
#   a month shorter than the day falls due on its last day (Civil Code art. 148).
# - a window "từ ngày 20 đến ngày 25 hằng tháng" falls due on its last day (recurrence_day = 25) and keeps its
#   first day in recurrence_from_day.
# - a quarterly day is a day of the quarter's last month, as in the province's rhythm (20th of that month).
# - without a day of its own a recurrence follows the reporting rhythm (monthly and quarterly on the 20th,
#   half-yearly on 15/6 and 25/11, yearly on 25/11); a week without a weekday falls due on Friday.
# - nominal_due is the first occurrence on or after the later of the issue date and the start ("Từ …"), and a
#   start alone is never a due date.
# - a duration counts from the issue date, the day of issue not counted (art. 147): days, working days (holiday
#   calendar), weeks, months and years (the same day, or the month's last day); no issue date, no date.
ISSUED_0503 = date(2026, 3, 5)  # a Thursday
ISSUED_0501 = date(2026, 1, 5)

# text, issued -> nominal, effective, recurrence, recurrence_day, recurrence_weekday, starts, all understood
RULE_CASES = [
    # monthly, with its own day
    ("trước ngày 10 hằng tháng", ISSUED_0503, "2026-03-10", "2026-03-10", "monthly", 10, None, None, True),
    ("trước ngày 10 hằng tháng", date(2026, 3, 15), "2026-04-10", "2026-04-10", "monthly", 10, None, None, True),
    ("trước ngày 10 hằng tháng", date(2026, 3, 10), "2026-03-10", "2026-03-10", "monthly", 10, None, None, True),
    ("trước ngày 10 hằng tháng", None, None, None, "monthly", 10, None, None, True),  # a rule, nothing to count from
    ("Trước ngày 10 hàng tháng", date(2026, 1, 31), "2026-02-10", "2026-02-10", "monthly", 10, None, None, True),
    # 30/4 is the month's last day, and a holiday followed by 1/5 and a weekend
    ("Hằng tháng, trước ngày 31", date(2026, 4, 5), "2026-04-30", "2026-05-04", "monthly", 31, None, None, True),
    ("Hằng tháng (trước ngày 25)", ISSUED_0503, "2026-03-25", "2026-03-25", "monthly", 25, None, None, True),
    ("Định kỳ hằng tháng, chậm nhất ngày 05", date(2026, 1, 6), "2026-02-05", "2026-02-05", "monthly", 5, None, None,
     True),
    # a window of days: due on its last day
    ("từ ngày 20 đến ngày 25 hằng tháng", ISSUED_0503, "2026-03-25", "2026-03-25", "monthly", 25, None, None, True),
    # 25/4/2026 is a Saturday and Monday 27/4 is off (Giỗ Tổ)
    ("từ ngày 20 đến ngày 25 hằng tháng", date(2026, 3, 26), "2026-04-25", "2026-04-28", "monthly", 25, None, None,
     True),
    ("Hằng tháng, từ ngày 15 - 20", ISSUED_0503, "2026-03-20", "2026-03-20", "monthly", 20, None, None, True),
    # monthly and quarterly on the rhythm's day
    ("Hằng tháng", ISSUED_0503, "2026-03-20", "2026-03-20", "monthly", None, None, None, True),
    ("Mỗi tháng một lần", date(2026, 3, 21), "2026-04-20", "2026-04-20", "monthly", None, None, None, True),
    ("Định kỳ hằng quý", ISSUED_0501, "2026-03-20", "2026-03-20", "quarterly", None, None, None, True),
    ("Hằng quý, trước ngày 15 của tháng cuối quý", ISSUED_0501, "2026-03-15", "2026-03-16", "quarterly", 15, None,
     None, True),
    ("trước ngày 10 hằng quý", date(2026, 3, 11), "2026-06-10", "2026-06-10", "quarterly", 10, None, None, True),
    # weekly, with its weekday (1 = Monday … 7 = Sunday)
    ("hằng tuần, vào thứ Năm", ISSUED_0503, "2026-03-05", "2026-03-05", "weekly", None, 4, None, True),
    ("Thứ Sáu hằng tuần", ISSUED_0503, "2026-03-06", "2026-03-06", "weekly", None, 5, None, True),
    ("Sáng thứ Hai hằng tuần", ISSUED_0503, "2026-03-09", "2026-03-09", "weekly", None, 1, None, True),
    ("Thứ 6 hàng tuần", date(2026, 4, 28), "2026-05-01", "2026-05-04", "weekly", None, 5, None, True),  # 1/5: holiday
    ("Chủ nhật hằng tuần", ISSUED_0503, "2026-03-08", "2026-03-09", "weekly", None, 7, None, True),
    ("Hằng tuần", ISSUED_0503, "2026-03-06", "2026-03-06", "weekly", None, None, None, True),  # Friday
    # a start ("Từ …") is never the due date
    ("Từ Quý III/2026, định kỳ 6 tháng", ISSUED_0501, "2026-11-25", "2026-11-25", "half_yearly", None, None,
     "2026-07-01", True),
    ("Định kỳ 6 tháng", ISSUED_0501, "2026-06-15", "2026-06-15", "half_yearly", None, None, None, True),
    # a list of periods (002 §V): the quarter's report, and the half-year's and year's that fall on its ends
    ("định kỳ theo quý, 06 tháng, 01 năm", ISSUED_0501, "2026-03-20", "2026-03-20", "quarterly", None, None, None,
     True),
    ("định kỳ 03 tháng, 06 tháng, 01 năm", ISSUED_0501, "2026-03-20", "2026-03-20", "quarterly", None, None, None,
     True),
    ("Định kỳ 06 tháng và hằng năm", ISSUED_0501, "2026-06-15", "2026-06-15", "half_yearly", None, None, None, True),
    ("Định kỳ 01 năm", ISSUED_0501, "2026-11-25", "2026-11-25", "yearly", None, None, None, True),
    ("Từ tháng 7/2026", ISSUED_0501, None, None, None, None, None, "2026-07-01", True),
    ("Từ tháng 7/2026, hằng tháng", ISSUED_0501, "2026-07-20", "2026-07-20", "monthly", None, None, "2026-07-01",
     True),
    ("Từ tháng 7/2026, trước ngày 10 hằng tháng", date(2026, 8, 15), "2026-09-10", "2026-09-10", "monthly", 10, None,
     "2026-07-01", True),  # a start already past: the issue date is the later
    ("Từ ngày 01/7/2026, thứ Sáu hằng tuần", None, "2026-07-03", "2026-07-03", "weekly", None, 5, "2026-07-01",
     True),
    ("Bắt đầu từ năm 2027, hằng năm", ISSUED_0501, "2027-11-25", "2027-11-25", "yearly", None, None, "2027-01-01",
     True),
    ("Từ Quý III/2026, hằng quý", date(2025, 4, 26), "2026-09-20", "2026-09-21", "quarterly", None, None,
     "2026-07-01", True),
    ("Từ tháng 3/2026 đến tháng 6/2026", None, "2026-06-30", "2026-06-30", None, None, None, "2026-03-01", True),
    # durations count from the issue date
    ("trong thời hạn 18 tháng", PLAN_266, "2026-10-26", "2026-10-26", None, None, None, None, True),
    ("trong thời hạn 18 tháng", None, None, None, None, None, None, None, False),  # no date to count from
    ("trong 02 năm", PLAN_266, "2027-04-26", "2027-04-26", None, None, None, None, True),
    ("30 ngày kể từ ngày ký", date(2026, 4, 1), "2026-05-01", "2026-05-04", None, None, None, None, True),
    # 27/4, 30/4 and 1/5/2026 are days off
    ("trong vòng 15 ngày làm việc", date(2026, 4, 20), "2026-05-14", "2026-05-14", None, None, None, None, True),
    # 30/11 + 3 months: February has no 30th, so its last day (a Saturday)
    ("Trong thời hạn 03 tháng kể từ ngày ký ban hành Kế hoạch", date(2025, 11, 30), "2026-02-28", "2026-03-02", None,
     None, None, None, True),
    ("trong 2 tuần", ISSUED_0503, "2026-03-19", "2026-03-19", None, None, None, None, True),
    ("30 ngày", ISSUED_0503, None, None, None, None, None, None, False),  # a number, not a duration
    # neighbours that keep their meaning
    ("Hằng năm", PLAN_266, "2025-11-25", "2025-11-25", "yearly", None, None, None, True),
    ("Tháng 5/2025 và hàng năm", PLAN_266, "2025-05-31", "2025-06-02", "yearly", None, None, None, True),
    ("Thường xuyên", PLAN_266, None, None, "ongoing", None, None, None, True),
    ("Quý II năm 2026", ISSUED_0501, "2026-06-30", "2026-06-30", None, None, None, None, True),
    ("31/3/2026", ISSUED_0501, "2026-03-31", "2026-03-31", None, None, None, None, True),
    ("Tháng 6/2026", ISSUED_0501, "2026-06-30", "2026-06-30", None, None, None, None, True),
    ("Hoàn thành trước ngày 15/5/2025", PLAN_266, "2025-05-15", "2025-05-15", None, None, None, None, True),
    ("ngày 15 tháng 5 năm 2026", None, "2026-05-15", "2026-05-15", None, None, None, None, True),
    ("Trong năm 2026", ISSUED_0501, "2026-12-31", "2026-12-31", None, None, None, None, True),
    ("Trong 6 tháng đầu năm 2026", ISSUED_0501, "2026-06-30", "2026-06-30", None, None, None, None, True),
    ("Từ tháng 3 đến tháng 6/2026", None, "2026-06-30", "2026-06-30", None, None, None, None, False),
    # a day or weekday without its recurrence, or a second one, is left for a person
    ("trước ngày 10", ISSUED_0503, None, None, None, None, None, None, False),
    ("Thứ Sáu, 15/5/2026", None, "2026-05-15", "2026-05-15", None, None, None, None, False),
    ("Thứ Hai và thứ Năm hằng tuần", ISSUED_0503, "2026-03-09", "2026-03-09", "weekly", None, 1, None, False),
    ("ngày 15 tháng 5 hằng năm", None, None, None, "yearly", None, None, None, False),
]


@pytest.mark.parametrize(("text", "issued", "nominal", "effective", "recurrence", "day", "weekday", "starts",
                          "understood"), RULE_CASES)
def test_recurring_and_relative_deadlines(text, issued, nominal, effective, recurrence, day, weekday, starts,
                                          understood):
    result = parse_deadline(text, issued=issued)
    assert (result.nominal_due, result.effective_due, result.recurrence, result.recurrence_day,
            result.recurrence_weekday, result.starts, result.unparsed == "") == (
        d(nominal), d(effective), recurrence, day, weekday, d(starts), understood)


def test_the_rule_table_covers_every_form():
    assert len(RULE_CASES) >= 30
    assert {case[4] for case in RULE_CASES} >= {"monthly", "quarterly", "half_yearly", "yearly", "weekly", "ongoing",
                                                None}


def test_a_window_keeps_its_first_day():
    result = parse_deadline("từ ngày 20 đến ngày 25 hằng tháng", issued=ISSUED_0503)
    assert (result.recurrence_from_day, result.recurrence_day, result.nominal_due) == (20, 25, date(2026, 3, 25))
    assert parse_deadline("trước ngày 10 hằng tháng").recurrence_from_day is None


def test_a_start_alone_is_no_due_date_and_needs_review():
    result = parse_deadline("Từ tháng 7/2026", issued=ISSUED_0501)
    assert (result.starts, result.nominal_due, result.unparsed) == (date(2026, 7, 1), None, "")
    assert result.needs_review
    assert not parse_deadline("Từ tháng 7/2026, hằng tháng").needs_review


def test_a_duration_without_an_issue_date_is_a_gap_for_a_person():
    result = parse_deadline("trong vòng 15 ngày làm việc")
    assert (result.nominal_due, result.unparsed) == (None, "trong vòng 15 ngày làm việc")
    assert result.needs_review


def test_working_days_follow_the_given_calendar():
    plain = HolidayCalendar()  # no holidays: 27/4, 30/4 and 1/5/2026 are worked
    assert parse_deadline("trong vòng 15 ngày làm việc", issued=date(2026, 4, 20), calendar=plain).nominal_due == \
        date(2026, 5, 11)


def test_the_rhythm_given_decides_a_recurrence_without_its_own_day():
    rhythm = {"monthly": {"day": 5}, "quarterly": {"day": 1}, "half_yearly": {"month": 7, "day": 10},
              "yearly": {"month": 12, "day": 1}}
    assert parse_deadline("Hằng tháng", issued=date(2026, 3, 6), rhythm=rhythm).nominal_due == date(2026, 4, 5)
    assert parse_deadline("trước ngày 10 hằng tháng", issued=ISSUED_0503, rhythm=rhythm).nominal_due == \
        date(2026, 3, 10)
    assert parse_deadline("Định kỳ 6 tháng", issued=date(2026, 7, 11), rhythm=rhythm).nominal_due == \
        date(2026, 12, 1)


def test_parse_deadline_cli_prints_the_rule(app):
    holidays.ensure_defaults()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["parse-deadline", "Từ tháng 7/2026, thứ Sáu hằng tuần", "--issued", "2026-01-05"])
    assert result.exit_code == 0, result.output
    parsed = json.loads(result.output)
    assert {k: parsed[k] for k in ("recurrence", "recurrence_day", "recurrence_weekday", "starts", "nominal_due")} == {
        "recurrence": "weekly", "recurrence_day": None, "recurrence_weekday": 5, "starts": "2026-07-01",
        "nominal_due": "2026-07-03"}
    monthly = json.loads(runner.invoke(args=["parse-deadline", "trước ngày 10 hằng tháng"]).output)
    assert (monthly["recurrence_day"], monthly["recurrence_weekday"], monthly["starts"]) == (10, None, None)


def test_split_outputs():
    assert split_outputs("- Phê duyệt Đề án; - Hoàn thành triển khai") == ["Phê duyệt Đề án", "Hoàn thành triển khai"]
    assert split_outputs("(1) Quyết định; (2) Phần mềm đánh giá") == ["Quyết định", "Phần mềm đánh giá"]
    assert split_outputs("- Kế hoạch A - Quyết định B") == ["Kế hoạch A", "Quyết định B"]
    assert split_outputs("Phát triển kinh tế - xã hội") == ["Phát triển kinh tế - xã hội"]
    assert split_outputs('<ul style="list-style-type: none"><li>Văn bản</li><li>Báo cáo</li></ul>') == [
        "Văn bản", "Báo cáo"]
    assert split_outputs(None) == []


# --- properties -------------------------------------------------------------------------------

years = st.integers(min_value=1900, max_value=2999)
months = st.integers(min_value=1, max_value=12)
ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def last_day(year: int, month: int) -> date:
    return date(year, month, gregorian.monthrange(year, month)[1])


@st.composite
def month_texts(draw) -> tuple[str, date]:
    year, month = draw(years), draw(months)
    word = draw(st.sampled_from(["Tháng", "tháng", "THÁNG", "Hoàn thành trong tháng", "Trong tháng", "Thang"]))
    number = draw(st.sampled_from([str(month), f"{month:02d}"]))
    joint = draw(st.sampled_from(["/", " / ", " năm ", " "]))
    tail = draw(st.sampled_from(["", ".", " ", "<br>"]))
    return f"{word} {number}{joint}{year}{tail}", last_day(year, month)


@st.composite
def quarter_texts(draw) -> tuple[str, date]:
    year, quarter = draw(years), draw(st.integers(min_value=1, max_value=4))
    number = draw(st.sampled_from([str(quarter), ROMAN[quarter], ROMAN[quarter].lower()]))
    joint = draw(st.sampled_from(["/", " năm ", " "]))
    word = draw(st.sampled_from(["Quý", "quý", "QUÝ", "Trong quý"]))
    return f"{word} {number}{joint}{year}", last_day(year, quarter * 3)


@st.composite
def date_texts(draw) -> tuple[str, date]:
    due = draw(st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)))
    day = draw(st.sampled_from([str(due.day), f"{due.day:02d}"]))
    month = draw(st.sampled_from([str(due.month), f"{due.month:02d}"]))
    prefix = draw(st.sampled_from(["", "trước ngày ", "Hoàn thành trước ngày ", "ngày "]))
    return f"{prefix}{day}/{month}/{due.year}", due


any_period = st.one_of(month_texts(), quarter_texts(), date_texts())


@settings(max_examples=300, deadline=None)
@given(month_texts())
def test_any_month_gives_its_last_day(case):
    text, expected = case
    result = parse_deadline(text)
    assert (result.nominal_due, result.unparsed) == (expected, "")


@settings(max_examples=300, deadline=None)
@given(quarter_texts())
def test_any_quarter_gives_the_last_day_of_its_last_month(case):
    text, expected = case
    result = parse_deadline(text)
    assert (result.nominal_due, result.unparsed) == (expected, "")


@settings(max_examples=300, deadline=None)
@given(date_texts())
def test_any_valid_date_round_trips(case):
    text, expected = case
    result = parse_deadline(text)
    assert (result.nominal_due, result.unparsed, result.milestones) == (expected, "", [])


@settings(max_examples=300, deadline=None)
@given(years, months, st.integers(min_value=29, max_value=31))
def test_days_past_the_end_of_a_month_are_not_dates(year, month, day):
    if day <= gregorian.monthrange(year, month)[1]:
        return
    text = f"{day}/{month}/{year}"
    result = parse_deadline(text)
    assert (result.nominal_due, result.unparsed) == (None, text)


@settings(max_examples=300, deadline=None)
@given(any_period)
def test_effective_due_is_the_next_working_day(case):
    text, _ = case
    result = parse_deadline(text)
    assert result.effective_due is not None and result.nominal_due is not None
    assert result.effective_due >= result.nominal_due
    assert DEFAULT_CALENDAR.is_working_day(result.effective_due)
    assert result.effective_due == DEFAULT_CALENDAR.next_working_day(result.nominal_due)


@settings(max_examples=200, deadline=None)
@given(st.lists(any_period, min_size=2, max_size=4), st.sampled_from(["; ", " - ", "\n- ", " và "]))
def test_listed_periods_become_milestones_and_the_earliest_is_due(cases, separator):
    text = "- " + separator.join(t for t, _ in cases)
    result = parse_deadline(text, outputs="; ".join(f"Sản phẩm {i}" for i in range(len(cases))))
    assert [m.due for m in result.milestones] == [due for _, due in cases]
    assert [m.label for m in result.milestones] == [f"Sản phẩm {i}" for i in range(len(cases))]
    assert result.nominal_due == min(due for _, due in cases)
    assert result.unparsed == ""


@settings(max_examples=500, deadline=None)
@given(st.text(), st.one_of(st.none(), st.dates()), st.one_of(st.none(), st.text()))
def test_parse_never_raises_on_arbitrary_text(text, issued, outputs):
    result = parse_deadline(text, issued=issued, outputs=outputs)
    assert isinstance(result, Deadline)
    assert result.recurrence in RECURRENCES
    if result.nominal_due is not None:
        assert result.effective_due is not None and result.effective_due >= result.nominal_due
    result.to_json()


TOKENS = ["Tháng", "tháng", "Quý", "năm", "Năm", "ngày", "trước", "Hoàn thành", "Đã hoàn thành", "Thường xuyên",
          "hàng năm", "và", "6 tháng đầu", "cuối", "Phát động", "trong", "(1)", "(", ")", "-", ";", "/", ".", " ",
          "\n", "<br>", "<i>", "0", "2", "12", "31", "13", "2026", "99", "IV", "II", "I"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join), st.one_of(st.none(), st.dates()))
def test_parse_never_raises_on_near_miss_text(text, issued):
    result = parse_deadline(text, issued=issued)
    if result.nominal_due is not None:
        assert DEFAULT_CALENDAR.is_working_day(result.effective_due)
    assert len(result.unparsed) <= len(text)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=31), st.dates(min_value=date(1900, 1, 1), max_value=date(2998, 12, 31)),
       st.sampled_from(["trước ngày {n} hằng tháng", "Hằng tháng, trước ngày {n}", "ngày {n} hàng tháng",
                        "Định kỳ hằng tháng (chậm nhất ngày {n})"]))
def test_a_monthly_day_falls_due_within_a_month_of_the_issue_date(day, issued, template):
    result = parse_deadline(template.format(n=day), issued=issued)
    assert (result.recurrence, result.recurrence_day, result.unparsed) == ("monthly", day, "")
    due = result.nominal_due
    assert issued <= due and (due - issued).days < 62
    assert due.day == min(day, gregorian.monthrange(due.year, due.month)[1])
    earlier = date(due.year, due.month, 1) - timedelta(days=1)  # no earlier month's occurrence was on or after issue
    assert date(earlier.year, earlier.month, min(day, earlier.day)) < issued


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=7), st.dates(min_value=date(1900, 1, 1), max_value=date(2998, 12, 31)))
def test_a_weekday_falls_due_within_a_week(weekday, issued):
    name = {1: "thứ Hai", 2: "thứ Ba", 3: "thứ Tư", 4: "thứ Năm", 5: "thứ Sáu", 6: "thứ Bảy", 7: "Chủ nhật"}[weekday]
    result = parse_deadline(f"Hằng tuần, vào {name}", issued=issued)
    assert (result.recurrence_weekday, result.unparsed) == (weekday, "")
    assert result.nominal_due.isoweekday() == weekday and 0 <= (result.nominal_due - issued).days < 7


RULE_TOKENS = ["Từ", "từ", "tháng", "Tháng", "Quý", "III", "năm", "ngày", "đến", "trước", "hằng", "hàng", "tuần",
               "quý", "thứ", "Năm", "Sáu", "Chủ nhật", "định kỳ", "6", "7", "10", "25", "31", "2026", "/", "-", ",",
               " ", "trong thời hạn", "ngày làm việc", "kể từ ngày ký", "tháng cuối quý", "mỗi", "một lần", "(", ")"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(RULE_TOKENS), max_size=25).map("".join), st.one_of(st.none(), st.dates()))
def test_parse_never_raises_on_near_miss_rules(text, issued):
    result = parse_deadline(text, issued=issued)
    assert len(result.unparsed) <= len(text)
    if result.nominal_due is not None:
        assert DEFAULT_CALENDAR.is_working_day(result.effective_due)
    assert result.recurrence_day is None or (result.recurrence in ("monthly", "quarterly")
                                             and 1 <= result.recurrence_day <= 31)
    assert result.recurrence_weekday is None or (result.recurrence == "weekly" and 1 <= result.recurrence_weekday <= 7)
    if result.starts is not None and result.nominal_due is not None and result.recurrence and not result.milestones:
        assert result.nominal_due >= result.starts  # a recurrence never falls due before it starts
