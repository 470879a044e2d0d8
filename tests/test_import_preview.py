"""The preview of a real appendix (issue 16, item 8): the rows to review come first and the rest is folded;
one lead agency or output type is applied to every row ticked, in one step."""

from __future__ import annotations

from models import db
from tests.conftest import Browser, csrf_from
from tests.test_import import preview
from workflows.errors import Invalid
from workflows.importing import pipeline


def flagged_rows(batch, index: int) -> list[dict]:
    [appendix] = [a for a in batch.report["appendices"] if a["index"] == index]
    return [r for r in appendix["rows"] if r["action"] == "flagged"]


def first_with_flags(batch) -> tuple[int, list[dict]]:
    return next((a["index"], rows) for a in batch.report["appendices"]
                if len(rows := [r for r in a["rows"] if r["action"] == "flagged" and not r["not_a_task"]
                                and all(b["code"] == "lead" for b in r["blocking"])]) >= 2)


def test_one_lead_applied_to_the_rows_ticked(province):
    batch = preview(province, "002")
    index, rows = first_with_flags(batch)
    picked = [r["number"] for r in rows[:2]]
    pipeline.fix_rows(province["coord"], batch.id, index, picked,
                      {"lead_agency": "Sở Nội vụ", "output_type": "report"})
    db.session.refresh(batch)
    after = {r["number"]: r for a in batch.report["appendices"] if a["index"] == index for r in a["rows"]}
    for number in picked:
        assert after[number]["lead_agencies"] == ["Sở Nội vụ"] and after[number]["output_type"] == "report"
        assert after[number]["action"] != "flagged"
    untouched = [r for r in rows[2:]]
    assert all(after[r["number"]]["action"] == "flagged" for r in untouched)


def test_nothing_ticked_or_nothing_chosen_is_said(province):
    batch = preview(province, "002")
    index, rows = first_with_flags(batch)
    for numbers, changes, message in (
            ([], {"lead_agency": "Sở Nội vụ"}, "Chưa chọn dòng nào"),
            ([rows[0]["number"]], {}, "Chưa chọn nội dung sửa")):
        try:
            pipeline.fix_rows(province["coord"], batch.id, index, numbers, changes)
        except Invalid as exc:
            assert str(exc).startswith(message)
        else:
            raise AssertionError(message)


def test_the_page_lists_the_rows_to_review_first_and_folds_the_rest(province, app):
    batch = preview(province, "002")
    b = Browser(app.test_client())
    b.login("coord")
    html = b.client.get(f"/imports/{batch.id}").get_data(as_text=True)
    index, rows = first_with_flags(batch)
    section = html[html.index(f'id="a{index}"'):]
    section = section[:section.index("</section>")]
    review = section.index("Cần xem lại trước khi ghi")
    folded = section.index(f'<details class="rows-rest" id="a{index}-rest">')
    assert review < section.index(f'id="r{index}-{rows[0]["number"]}"') < folded
    assert 'class="row-fix"><summary>Sửa dòng này</summary>' in section  # each row's form closed
    r = b.client.post(f"/imports/{batch.id}/appendices/{index}/rows", data={
        "csrf_token": csrf_from(html), "row": [str(rows[0]["number"]), str(rows[1]["number"])],
        "lead_agency": "Sở Nội vụ", "output_type": ""})
    assert r.status_code == 302
    assert "Đã áp dụng cho 2 dòng." in b.client.get(r.headers["Location"]).get_data(as_text=True)
