"""A document imported again — the same file, another file of it, a preview whose titles were corrected, or after
its tasks were typed in by hand from it (a group's task too) — finds the tasks it assigned: nothing doubled, and the
document is recorded once. A number written again in another year is another document."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from models import Directive, ImportBatch, Task, db
from tests.test_import import preview
from workflows.accounts import groups, people
from workflows.importing import pipeline
from workflows.tasks import create
from workflows.text import fold_words

PLAN = "Kế hoạch số 266-KH/TU"  # fixture 002, as a person types its number


def rows(batch: ImportBatch, title_starts: str) -> list[dict]:
    return [r for a in batch.report["appendices"] for r in a["rows"] if r["title"].startswith(title_starts)]


def same_title(title: str) -> int:
    """How many tasks have this title, accents and case aside."""
    return sum(fold_words(t) == fold_words(title) for t in db.session.scalars(select(Task.title)))


def test_tasks_typed_in_from_the_plan_are_the_rows_of_its_file_when_it_comes(province):
    """The demo's situation: the plan recorded under the number a person typed ("Kế hoạch số 266-KH/TU", its
    indicators imported first) and some of its tasks typed in by hand, their "Văn bản giao" naming it. Its file
    (number "266-KH/TU") then made a second document of the same number and a second copy of each of those tasks,
    said to come "from another document"."""
    coord = province["coord"]
    db.session.add(Directive(number=PLAN, issued_on=date(2025, 4, 26)))
    db.session.commit()
    first = preview(province, "002")
    handbook, = rows(first, "Xây dựng cảm nang")
    investment, = rows(first, "Xây dựng kế hoạch đầu tư công")
    typed = [create.create_task(coord, title=row["title"], lead_agency=row["lead_agencies"][0], output_type="plan",
                                due_date=date(2025, 12, 31), source_document=f"{PLAN} ngày 26/4/2025")
             for row in (handbook, investment)]
    assert {t.directive.number for t in typed} == {PLAN}  # filed under it by their "Văn bản giao"
    pipeline.cancel(coord, first.id)

    batch = preview(province, "002")
    for row, task in zip((rows(batch, "Xây dựng cảm nang")[0], rows(batch, "Xây dựng kế hoạch đầu tư công")[0]),
                         typed, strict=True):
        assert (row["action"], row["target_task_id"], row["typed_before"]) == ("unchanged", task.id, True)
        assert not any("văn bản khác" in w for w in row["warnings"])
    pipeline.commit(coord, batch.id)
    assert same_title(handbook["title"]) == same_title(investment["title"]) == 1
    assert db.session.scalars(select(Directive.number)).all() == [PLAN]  # one document, as first typed
    assert {t.import_key is not None for t in typed} == {True}
    created = db.session.scalar(select(func.count()).select_from(Task))

    again = preview(province, "002")  # and a third time: every row it imported is found by its own key
    assert {r["action"] for a in again.report["appendices"] for r in a["rows"]} <= {"unchanged", "flagged"}
    pipeline.commit(coord, again.id)
    assert db.session.scalar(select(func.count()).select_from(Task)) == created


TABLE = ("| STT | Nhiệm vụ | Đơn vị chủ trì | Thời hạn | Sản phẩm |\n|---|---|---|---|---|\n"
         "| 1 | Xây dựng kế hoạch chuyển đổi số ngành y | Sở Y tế | 30/6/2026 | Kế hoạch |\n"
         "| 2 | Triển khai Mô hình chuyển đổi số cấp xã | UBND các xã, phường | 30/9/2026 | Báo cáo |\n")


def test_a_title_corrected_in_the_preview_is_found_again_by_the_document_s_own_words(province):
    """The page promises that importing the document again creates nothing twice; a row whose title the
    coordinator corrected (typos of a scan, a missing word) was a new task the second time."""
    coord = province["coord"]
    batch = pipeline.preview(coord, pipeline.PASTED, TABLE.encode(), PLAN, date(2025, 4, 26))
    pipeline.fix_row(coord, batch.id, 0, 1, {"title": "Xây dựng kế hoạch chuyển đổi số ngành y tế"})
    pipeline.commit(coord, batch.id)
    corrected = db.session.scalars(select(Task).where(Task.title == "Xây dựng kế hoạch chuyển đổi số ngành y tế")).one()

    again = pipeline.preview(coord, pipeline.PASTED, TABLE.encode(), PLAN, date(2025, 4, 26))
    row = again.report["appendices"][0]["rows"][0]
    assert (row["action"], row["target_task_id"]) == ("unchanged", corrected.id)
    pipeline.commit(coord, again.id)
    assert corrected.title == "Xây dựng kế hoạch chuyển đổi số ngành y tế"  # the correction stays
    assert db.session.scalar(select(func.count()).select_from(Task)) == 1  # (row 2: no such group here)


def test_a_group_s_task_typed_in_by_hand_is_the_row_that_assigns_it_to_the_group(province):
    """A task typed in for "UBND các xã, phường" before its document came: importing the document gave every ward
    the task a second time (the row was "new", the hand-made shares listed as other tasks of the same title)."""
    coord = province["coord"]
    wards = [f"UBND phường Thử {n}" for n in (1, 2, 3)]
    for name in wards:
        people.create_agency(name, kind="commune")
    groups.create_group(None, "UBND các xã, phường", wards)
    typed = create.create_task(coord, title="Triển khai mô hình chuyển đổi số cấp xã",
                               lead_agency="UBND các xã, phường", output_type="report", due_date=date(2026, 9, 30))
    batch = pipeline.preview(coord, pipeline.PASTED, TABLE.encode(), PLAN, date(2025, 4, 26))
    row = batch.report["appendices"][0]["rows"][1]
    assert (row["action"], row["target_task_id"]) == ("unchanged", typed.id)
    pipeline.commit(coord, batch.id)
    directive = db.session.get(ImportBatch, batch.id).directive_id
    shares = db.session.scalars(select(Task).where(Task.parent_id == typed.id)).all()
    assert len(shares) == 3 and {t.directive_id for t in [typed, *shares]} == {directive}
    assert db.session.scalar(select(func.count()).select_from(Task).where(Task.kind == "group")) == 1


def test_the_same_number_in_another_year_is_another_document(province):
    """Numbers start again each year: "01/KH-BCĐ" of 2026 is not the plan of the same number of 2025."""
    coord = province["coord"]
    db.session.add(Directive(number="Kế hoạch số 01/KH-BCĐ", issued_on=date(2025, 1, 6)))
    db.session.commit()
    batch = pipeline.preview(coord, pipeline.PASTED, TABLE.encode(), "01/KH-BCĐ", date(2026, 1, 5))
    assert batch.report["appendices"][0]["rows"][0]["action"] == "new"
    pipeline.commit(coord, batch.id)
    assert db.session.scalar(select(func.count()).select_from(Directive)) == 2


def test_an_amendment_that_leaves_a_hand_typed_task_as_it_is_does_not_take_it_from_its_document(province):
    """A task typed in from its plan (filed under the plan by its "Văn bản giao") that a later amending document
    names with the deadline it already has is "unchanged": it stays the plan's, not the amendment's."""
    coord = province["coord"]
    typed = create.create_task(coord, title="Báo cáo kết quả chuyển đổi số ngành y tế", lead_agency="Sở Y tế",
                               output_type="report", deadline_text="30/6/2026",
                               source_document="Kế hoạch số 01/KH-BCĐ ngày 05/01/2026")
    plan = typed.directive_id
    amendment = ("| STT | Nhiệm vụ | Đơn vị chủ trì | Thời hạn | Sản phẩm | Nội dung điều chỉnh |\n"
                 "|---|---|---|---|---|---|\n"
                 "| 1 | Báo cáo kết quả chuyển đổi số ngành y tế | Sở Y tế | 30/6/2026 | Báo cáo "
                 "| Điều chỉnh thời hạn |\n")
    batch = pipeline.preview(coord, pipeline.PASTED, amendment.encode(), "Kế hoạch số 02/KH-BCĐ", date(2026, 3, 2))
    row = batch.report["appendices"][0]["rows"][0]
    assert (row["action"], row["target_task_id"]) == ("unchanged", typed.id)
    pipeline.commit(coord, batch.id)
    assert (typed.directive_id, typed.import_key) == (plan, None)
