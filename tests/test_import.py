"""Importing the official task lists (the real fixtures, as they are): account for every row,
re-import safely, apply amendments with history, refuse malformed input cleanly."""

from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from demo.data import AGENCIES
from models import (
    Agency,
    AgencyAlias,
    AgencyReview,
    AuditEvent,
    DeadlineAdjustment,
    Directive,
    ImportBatch,
    Indicator,
    Task,
    WorkItem,
    db,
)
from tests.conftest import FIXTURES, Browser, csrf_from, new_task
from workflows import clock, holidays
from workflows.accounts import people
from workflows.errors import Conflict, Invalid
from workflows.importing import pipeline
from workflows.importing.readers import read_text
from workflows.reporting import scorecard
from workflows.tasks import create, status
from workflows.tasks.deadline_text import parse_deadline
from workflows.text import fold_words


def fixture(prefix: str) -> Path:
    return next(FIXTURES.glob(f"{prefix}_*.txt"))


def preview(province, prefix: str, **kwargs):
    path = fixture(prefix)
    return pipeline.preview(province["coord"], path.name, path.read_bytes(), **kwargs)


def tasks_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Task))


@pytest.mark.parametrize("prefix", ["000", "002", "003"])
def test_every_row_is_accounted_for(province, prefix):
    report = preview(province, prefix).report
    assert report["appendices"], "no task table found"
    for appendix in report["appendices"]:
        assert appendix["imported"] + appendix["flagged"] == appendix["rows_in_source"] == len(appendix["rows"])
        for row in appendix["rows"]:
            assert row["action"] in ("new", "unchanged", "rename", "adjust", "flagged")
            if row["action"] == "flagged":
                assert row["blocking"], row  # a flagged row always says why


def test_000_imports_its_eleven_tasks_and_the_six_of_its_letter_once(province):
    """The letter's table (11 rows) and the assignments of its body (points 1 and 2: six tasks)."""
    batch = preview(province, "000")
    table, body = batch.report["appendices"]
    assert (table["kind"], table["rows_in_source"]) == ("tasks", 11)
    assert (body["kind"], body["rows_in_source"], body["imported"]) == ("prose", 6, 6)
    result = pipeline.commit(province["coord"], batch.id)
    assert result["created"] + result["flagged"] == 17
    created = tasks_count()
    assert created == result["created"] and created >= 15
    # processes started: every created task has its first work item
    assert db.session.scalar(select(func.count(func.distinct(WorkItem.task_id)))) == created
    again = preview(province, "000")
    assert {r["action"] for r in again.report["appendices"][0]["rows"]} <= {"unchanged", "flagged"}
    pipeline.commit(province["coord"], again.id)
    assert tasks_count() == created
    assert db.session.scalar(select(func.count()).select_from(Directive)) == 1


def test_fixing_flagged_rows_then_importing_again_completes_the_list(province):
    batch = preview(province, "000")
    pipeline.commit(province["coord"], batch.id)
    again = preview(province, "000")
    for row in again.report["appendices"][0]["rows"]:
        if row["action"] == "flagged":
            pipeline.fix_row(province["coord"], again.id, 0, row["number"],
                             {"lead_agency": "Sở Khoa học và Công nghệ", "due_date": "2026-06-30"})
    db.session.refresh(again)
    assert all(r["action"] != "flagged" for r in again.report["appendices"][0]["rows"])
    pipeline.commit(province["coord"], again.id)
    assert tasks_count() == 11 + 6  # the table's rows and the letter's six assignments


def test_002_action_plan_with_indicators(province):
    batch = preview(province, "002")
    report = batch.report
    assert len(report["appendices"]) >= 2
    assert sum(a["rows_in_source"] for a in report["appendices"]) >= 100
    assert report["indicators"] and report["indicators"][0]["rows"]
    result = pipeline.commit(province["coord"], batch.id)
    assert tasks_count() == result["created"]
    assert db.session.scalar(select(func.count()).select_from(Indicator)) == result["indicators"] > 0
    indicator = db.session.scalars(select(Indicator)).first()
    assert indicator.name and indicator.targets
    # agencies named with typos resolved to registry agencies: no agency was created by the import
    assert db.session.scalar(select(func.count()).select_from(Agency)) == len(AGENCIES)


def _base_list_for_003() -> str:
    """The list 003 amends is not among the fixtures: build it from what 003 names (Phụ lục II
    tasks no. 03 and 122 to rename, and the tasks whose deadlines it changes, at earlier dates)."""
    amended = read_text(fixture("003").read_text())
    header = "STT\tTên nhiệm vụ\tĐơn vị chủ trì\tĐơn vị phối hợp\tKết quả/sản phẩm\tThời gian hoàn thành"
    lines = ["Kế hoạch số 01-KH/BCĐ ngày 05/01/2026", "", "Phụ lục II", "DANH MỤC NHIỆM VỤ NĂM 2026", "", header]
    rows = [("3", "Tổ Giúp việc làm việc với các cơ quan để tháo gỡ vướng mắc", "Sở Khoa học và Công nghệ",
             "Thường xuyên"),
            ("122", "Nhiệm vụ số 122 trước khi đổi tên", "Công an tỉnh", "Năm 2026")]  # 003's row 14 keeps its lead
    number = 200
    for appendix in amended.appendices:
        for row in appendix.rows:
            if "thời gian" in row.cells.get("adjustment", "").lower():
                number += 1
                rows.append((str(number), row.cells["title"], row.cells["lead"], "Tháng 3/2026"))
    for stt, title, lead, deadline in rows:
        lines.append(f"{stt}\t{title}\t{lead}\t\tKế hoạch\t{deadline}")
    return "\n".join(lines) + "\n"


def test_003_amends_its_base_list_with_history(province):
    coord = province["coord"]
    base = pipeline.preview(coord, "ke-hoach-goc.txt", _base_list_for_003().encode())
    base_result = pipeline.commit(coord, base.id)
    assert base_result["flagged"] == 0
    batch = preview(province, "003")
    actions = [r["action"] for a in batch.report["appendices"] for r in a["rows"]]
    assert actions.count("adjust") >= 2 and actions.count("rename") == 2
    result = pipeline.commit(coord, batch.id)
    assert result["adjusted"] >= 2 and result["renamed"] == 2
    adjustments = list(db.session.scalars(select(DeadlineAdjustment)))
    assert len(adjustments) == result["adjusted"]
    for adj in adjustments:
        assert adj.old_due.isoformat() == "2026-03-31" and adj.new_due != adj.old_due
        assert "07-KH/BCĐ" in (adj.reason or "") and adj.decided_by.username == "coord"
        assert adj.task.due_date == adj.new_due
        # the running process sees the new date
        for item in db.session.scalars(select(WorkItem).where(WorkItem.task_id == adj.task_id,
                                                              WorkItem.status == "open")):
            assert item.due_at.date() == adj.new_due
    renames = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rename")))
    assert len(renames) == 2 and all(e.data["old"] != e.data["new"] for e in renames)
    assert any(e.comment.endswith("Tên cũ: Nhiệm vụ số 122 trước khi đổi tên") for e in renames)  # in the history
    # importing the amendment again changes nothing
    before = tasks_count()
    again = preview(province, "003")
    pipeline.commit(coord, again.id)
    assert tasks_count() == before
    assert db.session.scalar(select(func.count()).select_from(DeadlineAdjustment)) == len(adjustments)


def test_a_rename_of_phu_luc_ii_never_lands_on_phu_luc_iii(province, app):
    """003 renames "nhiệm vụ số 03 Phụ lục II". With only a Phụ lục III holding a task no. 3, the row is flagged
    for review: "Phụ lục II" is not the start of "Phụ lục III"."""
    coord = province["coord"]
    base = _base_list_for_003().replace("\nPhụ lục II\n", "\nPhụ lục III\n")
    pipeline.commit(coord, pipeline.preview(coord, "phu-luc-iii.txt", base.encode()).id)
    third = db.session.scalars(select(Task).where(Task.stt == "3")).one()
    batch = preview(province, "003")
    rows = [r for a in batch.report["appendices"] for r in a["rows"] if "số 03" in (r.get("adjustment") or "")]
    assert rows and all(r["action"] == "flagged" and r.get("target_task_id") != third.id for r in rows)
    pipeline.commit(coord, batch.id)
    assert db.session.get(Task, third.id).title == "Tổ Giúp việc làm việc với các cơ quan để tháo gỡ vướng mắc"


_PLAN_150 = """Số: 150/KH-UBND
Thanh Hóa, ngày 01 tháng 12 năm 2026

Phụ lục II
DANH MỤC NHIỆM VỤ NĂM 2027

STT\tNhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tMô tả kết quả, sản phẩm đầu ra\tThời gian hoàn thành
1\tXây dựng kế hoạch chuyển đổi số năm 2027 của đơn vị\tSở Nội vụ\tSở Tư pháp\tKế hoạch\tQuý I/2027
2\tXây dựng kế hoạch chuyển đổi số năm 2027 của đơn vị\tSở Y tế\tSở Tư pháp\tKế hoạch\tQuý I/2027
3\tXây dựng Đề án phát triển nhân lực số tỉnh\tSở Giáo dục và Đào tạo\tSở Nội vụ\tĐề án\tTháng 3/2027
"""


def _task_of(lead: str, title_start: str) -> Task:
    return next(t for t in db.session.scalars(select(Task).where(Task.title.startswith(title_start)))
                if t.lead_name == lead)


def test_an_amendment_moves_the_deadline_of_its_own_lead_s_task_only(province):
    # two agencies owe tasks of the same title; the amendment of Sở Nội vụ's row moved Sở Y tế's (the newest)
    coord = province["coord"]
    pipeline.commit(coord, pipeline.preview(coord, "150.txt", _PLAN_150.encode()).id)
    amend = ("Số: 200/CV-UBND\nThanh Hóa, ngày 05 tháng 12 năm 2026\n\nPhụ lục\nDANH MỤC ĐIỀU CHỈNH\n\n"
             "STT\tNhiệm vụ\tCơ quan chủ trì\tCơ quan phối hợp\tMô tả kết quả, sản phẩm đầu ra\t"
             "Thời gian hoàn thành\tNội dung điều chỉnh\n"
             "1\tXây dựng kế hoạch chuyển đổi số năm 2027 của đơn vị\tSở Nội vụ\tSở Tư pháp\tKế hoạch\t"
             "Quý II/2027\tĐiều chỉnh thời gian hoàn thành\n")
    batch = pipeline.preview(coord, "200.txt", amend.encode())
    [row] = batch.report["appendices"][0]["rows"]
    home, health = _task_of("Sở Nội vụ", "Xây dựng kế hoạch"), _task_of("Sở Y tế", "Xây dựng kế hoạch")
    assert (row["action"], row["target_task_id"]) == ("adjust", home.id)
    pipeline.commit(coord, batch.id)
    assert (home.due_date, health.due_date) == (date(2027, 6, 30), date(2027, 3, 31))


def test_a_rename_of_another_lead_s_task_of_the_same_number_waits_for_a_person(province):
    # 003 renames "nhiệm vụ số 03 Phụ lục II" of the list it amends; a plan of another body holding a Phụ lục II
    # task no. 3 led by Sở Giáo dục và Đào tạo had its task renamed, without a word
    coord = province["coord"]
    pipeline.commit(coord, pipeline.preview(coord, "150.txt", _PLAN_150.encode()).id)
    third = _task_of("Sở Giáo dục và Đào tạo", "Xây dựng Đề án")
    batch = preview(province, "003")
    [row] = [r for a in batch.report["appendices"] for r in a["rows"] if "số 03" in (r.get("adjustment") or "")]
    assert row["action"] == "flagged" and row["target_task_id"] is None
    assert (f"Đã có nhiệm vụ số 3 Phụ lục II ({third.code} do Sở Giáo dục và Đào tạo chủ trì) nhưng dòng này giao "
            "cho Sở Khoa học và Công nghệ: không đổi tên nhiệm vụ của đơn vị khác.") in row["blocking"][0]["message"]
    pipeline.commit(coord, batch.id)
    assert db.session.get(Task, third.id).title == "Xây dựng Đề án phát triển nhân lực số tỉnh"


def test_the_preview_names_the_task_a_rename_or_an_adjustment_changes(province, app):
    coord = province["coord"]
    pipeline.commit(coord, pipeline.preview(coord, "ke-hoach-goc.txt", _base_list_for_003().encode()).id)
    batch = preview(province, "003")
    b = Browser(app.test_client())
    b.login("coord")
    page = b.client.get(f"/imports/{batch.id}").get_data(as_text=True)
    renamed = db.session.scalars(select(Task).where(Task.title == "Nhiệm vụ số 122 trước khi đổi tên")).one()
    assert (f'Nhiệm vụ đã có: <a href="/tasks/{renamed.id}">{renamed.code}</a> — '
            'Nhiệm vụ số 122 trước khi đổi tên — chủ trì: Công an tỉnh') in page  # whose task it changes
    assert "thời hạn hiện tại 31/03/2026" in page  # beside each adjustment


def test_a_task_entered_from_the_document_a_row_cites_is_that_row_not_a_second_task(province):
    # the province entered the tasks of Nghị quyết 11/NQ-CP by hand; the letter 000 lists one of them again with
    # "Nghị quyết số 11/NQ-CP …" as its "Văn bản giao": it became a second task, overdue at once
    title = ("Xây dựng chương trình thúc đẩy tiêu dùng sản phẩm, dịch vụ trên môi trường số, trong đó tập trung đưa "
             "sản phẩm lên môi trường số; trang bị kỹ năng số cho người dân; cung cấp các dịch vụ tiện ích phục vụ "
             "trên môi trường số, góp phần tạo lập niềm tin số.")
    entered = create.create_task(province["coord"], title=title, lead_agency="Sở Công Thương", output_type="plan",
                                 due_date=date(2026, 4, 15),
                                 source_document="Nghị quyết số 11/NQ-CP ngày 14/01/2026 của Chính phủ")
    directive = entered.directive_id
    assert directive is not None
    batch = preview(province, "000")
    [row] = [r for a in batch.report["appendices"] for r in a["rows"] if r["title"] == title]
    assert (row["action"], row["target_task_id"]) == ("unchanged", entered.id)
    assert any(w.startswith(f"Nhiệm vụ {entered.code} cùng tên, cùng đơn vị chủ trì, giao theo văn bản mà dòng "
                            "này nêu") for w in row["warnings"])
    before = tasks_count()
    result = pipeline.commit(province["coord"], batch.id)
    assert tasks_count() == before + result["created"] and result["unchanged"] >= 1
    assert db.session.scalar(select(func.count()).select_from(Task).where(Task.title == title)) == 1
    assert db.session.get(Task, entered.id).directive_id == directive  # still filed under its own document


def test_the_preview_warns_of_a_task_already_there_and_of_a_deadline_already_past(province, frozen):
    """Typed in by hand last month, now imported with its document: the row is that task (same title, same lead),
    found unchanged and filed under the document, not a second copy overdue at once; a row of the same title for
    another lead is new, with a warning; so is a task typed in by hand that the coordinator says is another."""
    typed = create.create_task(province["coord"], title="Xây dựng Kế hoạch chuyển đổi số ngành y tế",
                               lead_agency="Sở Y tế", output_type="plan", due_date=date(2026, 6, 30))
    create.create_task(province["coord"], title="Tổng kết chương trình năm 2025", lead_agency="Sở Tài chính",
                       output_type="report", due_date=date(2026, 6, 30))
    table = ("| STT | Nhiệm vụ | Đơn vị chủ trì | Thời hạn | Sản phẩm |\n|---|---|---|---|---|\n"
             "| 1 | Xây dựng kế hoạch chuyển đổi số ngành Y tế | Sở Y tế | 30/6/2026 | Kế hoạch |\n"
             "| 2 | Tổng kết chương trình năm 2025 | Sở Y tế | 31/12/2025 | Báo cáo |\n")
    batch = pipeline.preview(province["coord"], pipeline.PASTED, table.encode())
    first, second = batch.report["appendices"][0]["rows"]
    assert (first["action"], first["target_task_id"], first["typed_before"]) == ("unchanged", typed.id, True)
    assert first["warnings"] == ["Nhiệm vụ NV-00001 cùng tên, cùng đơn vị chủ trì đã được nhập tay trước khi có văn "
                                 "bản này: không nhập lại; khi ghi danh mục, nhiệm vụ đó được xếp vào văn bản này."]
    assert second["action"] == "new" and not second["typed_before"]
    assert second["warnings"] == ["Đã có nhiệm vụ cùng tên (NV-00002, nhập tay, chưa gắn văn bản): nếu là một nhiệm "
                                  "vụ, hãy bỏ qua dòng này để không nhập trùng.",
                                  "Thời hạn 31/12/2025 đã qua: nhiệm vụ sẽ quá hạn ngay khi nhập."]
    # "not the same task": the row becomes a new one, and can be turned back
    pipeline.fix_row(province["coord"], batch.id, 0, first["number"], {"as_new": True})
    row = db.session.get(ImportBatch, batch.id).report["appendices"][0]["rows"][0]
    assert (row["action"], row["typed_before"]) == ("new", True)
    assert row["warnings"][0].startswith("Đã có nhiệm vụ cùng tên (NV-00001, nhập tay, chưa gắn văn bản)")
    pipeline.fix_row(province["coord"], batch.id, 0, first["number"], {"as_new": False})
    counts = pipeline.commit(province["coord"], batch.id)
    assert (counts["created"], counts["unchanged"]) == (1, 1)
    assert typed.directive_id == db.session.get(ImportBatch, batch.id).directive_id is not None
    assert db.session.scalar(select(func.count()).select_from(Task).where(
        func.lower(Task.title) == "xây dựng kế hoạch chuyển đổi số ngành y tế")) == 1
    # a later import of the same document finds it by its row, and other documents' tasks are named as such
    again = pipeline.preview(province["coord"], pipeline.PASTED, table.encode()).report
    assert [r["action"] for r in again["appendices"][0]["rows"]] == ["unchanged", "unchanged"]
    other = pipeline.preview(province["coord"], "khac.txt", table.replace("Sở Y tế", "Sở Tài chính").encode()).report
    assert other["appendices"][0]["rows"][0]["warnings"][0].startswith(
        "Đã có nhiệm vụ cùng tên (NV-00001, giao theo văn bản khác)")


def test_a_preview_asks_only_about_the_unknown_names_it_contains(province, app):
    head = "| STT | Nhiệm vụ | Đơn vị chủ trì | Thời hạn | Sản phẩm |\n|---|---|---|---|---|\n"
    def table(title: str, lead: str) -> bytes:
        return (head + f"| 1 | {title} | {lead} | 30/6/2027 | Kế hoạch |\n").encode()

    odd = pipeline.preview(province["coord"], "a.txt", table("Việc A", "Sở Không Có Thật"))
    clean = pipeline.preview(province["coord"], "b.txt", table("Việc B", "Sở Y tế"))
    b = Browser(app.test_client())
    b.login("coord")
    assert "Sở Không Có Thật" in b.client.get(f"/imports/{odd.id}").get_data(as_text=True)
    page = b.client.get(f"/imports/{clean.id}").get_data(as_text=True)
    assert "Tên đơn vị chưa nhận ra" not in page and "Sở Không Có Thật" not in page


def test_003_without_its_base_list_flags_the_amendments(province, app):
    """Flagged, and no longer a dead end: the row says what to do and can be imported as a task of its own."""
    batch = preview(province, "003")
    flagged = [(a["index"], r) for a in batch.report["appendices"] for r in a["rows"]
               if any(b["code"] == "amend" for b in r["blocking"])]
    index, row = flagged[0]
    assert row["action"] == "flagged"
    assert [b["message"] for b in row["blocking"] if b["code"] == "amend"][0].endswith(
        "nhập văn bản gốc trước, hoặc nhập dòng này thành nhiệm vụ mới.")
    b = Browser(app.test_client())
    b.login("coord")
    page = b.client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Nhập dòng này thành nhiệm vụ mới" in page
    r = b.client.post(f"/imports/{batch.id}/rows/{index}/{row['number']}",
                      data={"csrf_token": csrf_from(page), "action": "as_new"})
    assert r.status_code == 302
    fixed = next(x for x in db.session.get(ImportBatch, batch.id).report["appendices"][index]["rows"]
                 if x["number"] == row["number"])
    assert fixed["action"] == "new" and not any(b["code"] == "amend" for b in fixed["blocking"])


def test_unknown_agency_goes_to_review_and_mapping_makes_an_alias(province):
    text = ("STT\tTên nhiệm vụ\tĐơn vị chủ trì\tThời gian hoàn thành\tKết quả/sản phẩm\n"
            "1\tXây dựng kế hoạch thử\tSở KHCN&ĐMST tỉnh\tQuý II năm 2026\tKế hoạch\n")
    batch = pipeline.preview(province["coord"], "thu.txt", text.encode())
    [row] = batch.report["appendices"][0]["rows"]
    assert row["action"] == "flagged" and row["reviews"]
    [review] = db.session.scalars(select(AgencyReview).where(AgencyReview.status == "open"))
    science = db.session.scalar(select(Agency).where(Agency.name == "Sở Khoa học và Công nghệ"))
    pipeline.settle_name(province["coord"], batch.id, review.id, science.id)
    [row] = batch.report["appendices"][0]["rows"]
    assert row["action"] == "new" and row["lead_agencies"] == ["Sở Khoa học và Công nghệ"]
    # the alias is recorded apart from the registry's own, with who made it and from which document
    [alias] = db.session.scalars(select(AgencyAlias))
    assert (alias.text, alias.agency_id, alias.created_by_id, alias.batch_id, alias.document) == (
        "Sở KHCN&ĐMST tỉnh", science.id, province["coord"].id, batch.id, "thu.txt")
    assert "Sở KHCN&ĐMST tỉnh" not in science.aliases
    assert db.session.scalar(select(func.count()).select_from(Agency)) == len(AGENCIES)


def test_settling_a_name_on_the_preview_saves_the_answer_and_the_preview_together(province, app):
    """One click, one transaction: the alias and the preview analysed again are saved both or neither."""
    coord = province["coord"]
    text = ("STT\tTên nhiệm vụ\tĐơn vị chủ trì\tThời gian hoàn thành\tKết quả/sản phẩm\n"
            "1\tXây dựng kế hoạch thử\tSở KHCN&ĐMST tỉnh\tQuý II năm 2026\tKế hoạch\n")
    batch = pipeline.preview(coord, "thu.txt", text.encode())
    [review] = db.session.scalars(select(AgencyReview).where(AgencyReview.status == "open"))
    science = db.session.scalar(select(Agency).where(Agency.name == "Sở Khoa học và Công nghệ"))
    b = Browser(app.test_client())
    b.login("coord")
    r = b.client.post(f"/imports/{batch.id}/reviews/{review.id}",
                      data={"csrf_token": b.csrf(f"/imports/{batch.id}"), "agency_id": science.id})
    assert r.status_code == 302
    db.session.expire_all()
    [row] = db.session.get(ImportBatch, batch.id).report["appendices"][0]["rows"]
    assert row["action"] == "new" and row["lead_agencies"] == ["Sở Khoa học và Công nghệ"]
    assert [(a.text, a.agency_id) for a in db.session.scalars(select(AgencyAlias))] == [
        ("Sở KHCN&ĐMST tỉnh", science.id)]

    other = pipeline.preview(coord, "khac.txt", text.replace("Sở KHCN&ĐMST tỉnh", "Sở Không Có Thật").encode())
    [unknown] = db.session.scalars(select(AgencyReview).where(AgencyReview.status == "open"))
    pipeline.cancel(coord, other.id)
    with pytest.raises(Conflict):
        pipeline.settle_name(coord, other.id, unknown.id, None, "ignored")
    assert db.session.get(AgencyReview, unknown.id).status == "open"


@pytest.mark.parametrize(("name", "content"), [
    ("rong.txt", b""),
    ("nhi-phan.bin", bytes(range(256)) * 50),
    ("khong-bang.txt", "Kính gửi các sở, ban, ngành.\nĐề nghị thực hiện.\n".encode()),
    ("lon.txt", b"a" * (20 * 1024 * 1024 + 1)),
])
def test_malformed_input_gets_a_clear_message(province, name, content):
    with pytest.raises(Invalid) as exc:
        pipeline.preview(province["coord"], name, content)
    assert exc.value.message and not exc.value.message.isascii()  # a Vietnamese sentence
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


@pytest.mark.parametrize(("name", "content", "said"), [
    # a PDF cut short by a mail client, a Word file renamed: named what they claim to be, not "not UTF-8 text"
    ("ke-hoach.pdf", b"\x00\x01 truncated", "Tệp PDF bị hỏng"),
    ("scan.jpg", b"not really a picture", "Tệp ảnh bị hỏng"),
    # a list typed in an old Vietnamese code page: says what is read and how to save it
    ("danh-muc.txt", "STT\tNhiêm vu\tĐơn vi chu tri\n1\tLâp kê hoach\tSơ Y tê\n".encode("cp1258"), "Windows-1258"),
])
def test_a_file_that_cannot_be_read_says_what_it_is_and_what_is_read(province, name, content, said):
    with pytest.raises(Invalid) as exc:
        pipeline.preview(province["coord"], name, content)
    assert said in exc.value.message and "UTF-8, .xlsx" not in exc.value.message


def test_script_in_a_cell_is_plain_text(province, browser):
    text = ("STT\tTên nhiệm vụ\tĐơn vị chủ trì\tThời gian hoàn thành\tKết quả/sản phẩm\n"
            "1\t<script>alert(1)</script>Xây dựng kế hoạch\tSở Tư pháp\tNăm 2026\tKế hoạch\n")
    batch = pipeline.preview(province["coord"], "xss.txt", text.encode())
    browser.login("coord")
    page = browser.client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page


def test_commit_is_all_or_nothing(province):
    batch = preview(province, "000")
    # an agency disappears between the preview and the commit: the commit fails as a whole
    lead = batch.report["appendices"][0]["rows"][-1]["lead_agencies"][0]
    db.session.execute(Agency.__table__.update().where(Agency.name == lead).values(name=lead + " (cũ)"))
    db.session.commit()
    with pytest.raises(Invalid):
        pipeline.commit(province["coord"], batch.id)
    assert tasks_count() == 0
    assert db.session.scalar(select(func.count()).select_from(Directive)) == 0
    assert db.session.get(ImportBatch, batch.id).status == "preview"


def test_a_pasted_table_without_a_number_is_not_named_after_a_file(province, app):
    """The coordinator pastes a table and gives no number: the tasks are not filed under "noi-dung-dan.txt"."""
    b = Browser(app.test_client())
    b.login("coord")
    table = ("| STT | Nhiệm vụ | Đơn vị chủ trì | Thời hạn | Sản phẩm |\n|---|---|---|---|---|\n"
             "| 1 | Xây dựng kế hoạch chuyển đổi số ngành y tế | Sở Y tế | 30/6/2027 | Kế hoạch |\n")
    r = b.client.post("/imports", data={"csrf_token": b.csrf("/imports"), "text": table})
    assert r.status_code == 302
    batch = db.session.scalars(select(ImportBatch)).one()
    assert b.client.post(f"/imports/{batch.id}/commit", data={"csrf_token": b.csrf("/imports")}).status_code == 302
    [number] = db.session.scalars(select(Directive.number))
    assert number.startswith("Văn bản chưa ghi số (dán ngày ") and "noi-dung-dan" not in number


def test_an_issue_date_still_to_come_is_refused_with_what_was_typed_kept(province, app):
    b = Browser(app.test_client())
    b.login("coord")
    tomorrow = clock.today() + timedelta(days=1)
    r = b.client.post("/imports", data={"csrf_token": b.csrf("/imports"), "text": "| STT | Nhiệm vụ |",
                                         "directive": "Kế hoạch số 12/KH-UBND", "issued": f"{tomorrow:%d/%m/%Y}"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and f"Ngày ban hành không thể sau hôm nay ({clock.today():%d/%m/%Y})." in page
    assert 'value="Kế hoạch số 12/KH-UBND"' in page and db.session.scalars(select(ImportBatch)).all() == []


def test_a_file_without_a_number_is_named_as_such_not_by_its_file_name_alone(province):
    """A file whose text and upload give no number was filed under its name ("003_14d8a83fabc51ce7.txt"), which
    the filters offered and the NĐ 30 report printed as "Văn bản giao: 003_14d8a83fabc51ce7.txt"."""
    table = ("| STT | Nhiệm vụ | Đơn vị chủ trì | Thời hạn | Sản phẩm |\n|---|---|---|---|---|\n"
             "| 1 | Xây dựng kế hoạch chuyển đổi số ngành y tế | Sở Y tế | 30/6/2027 | Kế hoạch |\n")
    batch = pipeline.preview(province["coord"], "bang-nhiem-vu.md", table.encode())
    pipeline.commit(province["coord"], batch.id)
    [number] = db.session.scalars(select(Directive.number))
    assert number == f"Văn bản chưa ghi số (tệp bang-nhiem-vu.md, nhập ngày {clock.today():%d/%m/%Y})"


def test_import_screens(province, app):
    b = Browser(app.test_client())
    b.login("coord")
    assert "Nhập danh mục nhiệm vụ từ văn bản" in b.client.get("/imports").get_data(as_text=True)
    token = b.csrf("/imports")
    r = b.client.post("/imports", data={"csrf_token": token, "file": (io.BytesIO(fixture("000").read_bytes()),
                                                                      "cong-van.txt")},
                      content_type="multipart/form-data")
    assert r.status_code == 302
    page = b.client.get(r.headers["Location"]).get_data(as_text=True)
    assert "Số dòng trong văn bản" in page and "Ghi danh mục" in page
    r = b.client.post("/imports", data={"csrf_token": token, "text": ""})
    assert r.status_code == 422 and "Vui lòng chọn tệp hoặc dán nội dung bảng." in r.get_data(as_text=True)
    batch = db.session.scalars(select(ImportBatch)).one()
    r = b.client.post(f"/imports/{batch.id}/commit", data={"csrf_token": token})
    assert r.status_code == 302 and tasks_count() > 0
    officer = Browser(app.test_client())
    people.create_user("cv", "mat-khau-1", "Sở Tư pháp", ["officer"])
    officer.login("cv")
    assert officer.client.get("/imports").status_code == 403


def test_cli_import_and_parse_deadline(province, app):
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import-tasks", str(fixture("000")), "--dry-run", "--format", "json"])
    assert dry.exit_code == 0, dry.output
    report = json.loads(dry.output)
    appendix, body = report["appendices"]
    assert (appendix["kind"], body["kind"]) == ("table", "prose")
    assert set(appendix) >= {"title", "kind", "rows_in_source", "imported", "flagged", "rows"}
    assert set(appendix["rows"][0]) >= {"stt", "section", "title", "lead_agencies", "collaborating_agencies",
                                        "central_agencies", "output_type", "deadline_text", "nominal_due",
                                        "effective_due", "recurrence", "recurrence_day", "recurrence_weekday",
                                        "starts", "milestones", "done_at_issue", "source_text", "warnings"}
    assert body["rows"][-1]["source_text"].startswith("2. Giao Sở Khoa học và Công nghệ chủ trì, phối hợp với")
    assert tasks_count() == 0 and db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0
    real = runner.invoke(args=["import-tasks", str(fixture("000"))])
    assert real.exit_code == 0 and "11 dòng trong văn bản" in real.output
    parsed = runner.invoke(args=["parse-deadline", "Quý II năm 2026"])
    assert json.loads(parsed.output)["nominal_due"] == "2026-06-30"
    keys = set(json.loads(parsed.output))
    assert keys >= {"nominal_due", "effective_due", "recurrence", "milestones", "done_at_issue", "unparsed"}


def test_task_page_keeps_the_original_deadline_after_an_amendment(province, app):
    coord = province["coord"]
    pipeline.commit(coord, pipeline.preview(coord, "ke-hoach-goc.txt", _base_list_for_003().encode()).id)
    pipeline.commit(coord, preview(province, "003").id)
    adjusted = db.session.scalars(select(DeadlineAdjustment)).first().task
    b = Browser(app.test_client())
    b.login("coord")
    page = b.client.get(f"/tasks/{adjusted.id}").get_data(as_text=True)
    assert "Thời hạn ban đầu: 31/03/2026" in page and "Điều chỉnh lại thời gian hoàn thành" in page


def test_administrators_keep_the_holiday_calendar(province, app):
    people.create_user("qt", "mat-khau-1", None, ["admin"])
    b = Browser(app.test_client())
    b.login("qt")
    page = b.client.get("/admin/holidays?year=2026").get_data(as_text=True)
    assert "Quốc khánh" in page or "Quốc Khánh" in page
    token = b.csrf("/admin/holidays")
    r = b.client.post("/admin/holidays", data={"csrf_token": token, "day": "24/11/2026",
                                               "name": "Ngày Văn hóa Việt Nam", "kind": "off"})
    assert r.status_code == 302
    # a deadline on that day now falls due the next working day
    assert parse_deadline("24/11/2026", calendar=holidays.calendar()).effective_due.isoformat() == "2026-11-25"
    r = b.client.post("/admin/holidays", data={"csrf_token": token, "day": "31/02/2026", "name": "x"})
    assert r.status_code == 422 and "Ngày 31/02/2026 không có trên lịch" in r.get_data(as_text=True)
    b.client.post("/admin/holidays/2026-11-24/delete", data={"csrf_token": token})
    assert parse_deadline("24/11/2026", calendar=holidays.calendar()).effective_due.isoformat() == "2026-11-24"
    assert b.client.post("/admin/holidays/khong-phai-ngay/delete", data={"csrf_token": token}).status_code == 404
    again = b.client.post("/admin/holidays/2026-11-24/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "Ngày 24/11/2026 không có trong lịch ngày nghỉ, ngày làm bù; không có gì để xóa." in again.get_data(
        as_text=True)  # not "Đã xóa", for a day that was not there
    b.login("coord")
    assert b.client.get("/admin/holidays").status_code == 403


def test_the_calendar_page_warns_of_a_year_with_deadlines_and_no_holidays(world, app):
    """Tasks due in 2027 while only 2025–2026 are loaded: their due dates ignore Tết 2027 until it is added."""
    holidays.ensure_defaults()
    for due in (date(2026, 12, 31), date(2027, 3, 31), date(2027, 6, 30)):
        new_task(world, collaborators=(), due=due)
    people.create_user("qt", "mat-khau-1", None, ["admin"])
    b = Browser(app.test_client())
    b.login("qt")
    page = b.client.get("/admin/holidays").get_data(as_text=True)
    assert "Lịch chưa có ngày nào của năm 2027, trong khi 2 nhiệm vụ đến hạn trong năm đó" in page
    assert "năm 2026, trong khi" not in page
    token = b.csrf("/admin/holidays")
    b.client.post("/admin/holidays", data={"csrf_token": token, "day": "01/01/2027", "name": "Tết Dương lịch",
                                           "kind": "off"})
    page = b.client.get("/admin/holidays").get_data(as_text=True)
    assert "Lịch chưa có ngày nào" not in page  # (one day entered is not the year: the warning stays, saying so)
    assert "Lịch năm 2027 mới có 1 ngày nghỉ (một năm thường có ít nhất 11" in page and "năm 2026" not in page


def test_a_name_settled_as_not_an_agency_stops_blocking(province):
    batch = preview(province, "002")
    review = db.session.scalars(select(AgencyReview).where(
        AgencyReview.text == "Quyết định phê duyệt chủ trương đầu tư")).one()
    before = sum(a["flagged"] for a in batch.report["appendices"])
    pipeline.settle_name(province["coord"], batch.id, review.id, None, "ignored")
    rows = [r for a in batch.report["appendices"] for r in a["rows"]]
    assert not any(rv["text"] == review.text for r in rows for rv in r["reviews"])
    assert any("bỏ qua “Quyết định phê duyệt chủ trương đầu tư”" in w for r in rows for w in r["warnings"])
    assert sum(a["flagged"] for a in batch.report["appendices"]) <= before


def test_a_row_whose_process_needs_an_agency_missing_from_the_registry_is_flagged(province, app):
    """The preview says before the commit that a row cannot start — not a file stopped at the approval step."""
    text = ("STT\tTên nhiệm vụ\tĐơn vị chủ trì\tThời gian hoàn thành\tKết quả/sản phẩm\n"
            "1\tXây dựng Kế hoạch chuyển đổi số\tSở Công Thương\tQuý II năm 2026\tKế hoạch được phê duyệt\n")
    db.session.scalar(select(Agency).where(Agency.name == "UBND tỉnh")).name = "UBND tỉnh Thanh Hóa"
    db.session.commit()
    batch = pipeline.preview(province["coord"], "thu.txt", text.encode())
    [row] = batch.report["appendices"][0]["rows"]
    assert row["action"] == "flagged"
    assert any("“UBND tỉnh”" in b["message"] and "chưa có trong danh mục" in b["message"] for b in row["blocking"])


# ---------------------------------------------------------------- issue 15: rows a document writes twice

def _repeating_document() -> str:
    """Two tables built from 000's header and rows: Phụ lục I writes row 1 twice (the copy typed "15/04/2026",
    in other case), row 2's title again for another lead and again for another deadline; Phụ lục II repeats
    row 1 of Phụ lục I."""
    lines = fixture("000").read_text(encoding="utf-8").split("\n")
    header, one, two = lines[45], lines[46].split("\t"), lines[47].split("\t")
    copy = ["3", one[1].upper(), *one[2:4], "15/04/2026", one[5]]
    other_lead = ["4", *two[1:3], "Sở Tài chính", *two[4:]]
    other_deadline = ["5", *two[1:4], "30/6/2026", two[5]]
    first = ["Phụ lục I", "", header, lines[46], lines[47]] + ["\t".join(r) for r in (copy, other_lead, other_deadline)]
    return "\n".join(first + ["", "Phụ lục II", "", header, "\t".join(["1", *one[1:]])]) + "\n"


def test_a_row_written_twice_in_one_document_is_shown_beside_the_first_and_imported_once(province):
    batch = pipeline.preview(province["coord"], "lap-lai.txt", _repeating_document().encode())
    first, second = batch.report["appendices"]
    assert [r["action"] for r in first["rows"]][2:] == ["duplicate", "new", "new"]
    assert [r["action"] for r in second["rows"]] == ["duplicate"]
    copy = first["rows"][2]
    assert {k: copy["duplicate_of"][k] for k in ("appendix", "number", "stt", "appendix_label")} == \
        {"appendix": 0, "number": 1, "stt": "1", "appendix_label": "Phụ lục I"}
    assert copy["duplicate_of"]["first"]["deadline"] == "15/4/2026"
    assert copy["duplicate_of"]["this"]["deadline"] == "15/04/2026"
    assert any(w.startswith("Lặp lại dòng STT 1 của Phụ lục I (dòng 4 của tệp): cùng tên nhiệm vụ, đơn vị chủ trì "
                            "và thời hạn.") for w in copy["warnings"])
    assert second["rows"][0]["duplicate_of"]["appendix"] == 0
    for appendix in (first, second):
        assert appendix["imported"] + appendix["flagged"] == appendix["rows_in_source"] == len(appendix["rows"])
    assert (first["counts"]["duplicate"], second["counts"]["duplicate"]) == (1, 1)
    result = pipeline.commit(province["coord"], batch.id)
    assert result["created"] + result["flagged"] == 6 and result["flagged"] >= 2
    titles = [fold_words(t) for t in db.session.scalars(select(Task.title))]
    assert titles.count(fold_words(first["rows"][0]["title"])) == 1
    assert titles.count(fold_words(first["rows"][1]["title"])) == 3  # three leads or deadlines: three tasks


def test_the_coordinator_keeps_both_rows_from_the_preview(province, app):
    batch = pipeline.preview(province["coord"], "lap-lai.txt", _repeating_document().encode())
    b = Browser(app.test_client())
    b.login("coord")
    page = b.client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Hai dòng cạnh nhau" in page and "Giữ cả hai" in page and "Dòng STT 1, Phụ lục I" in page
    token = b.csrf(f"/imports/{batch.id}")
    r = b.client.post(f"/imports/{batch.id}/rows/0/3", data={"csrf_token": token, "action": "keep_both"})
    assert r.status_code == 302
    db.session.expire_all()
    row = db.session.get(ImportBatch, batch.id).report["appendices"][0]["rows"][2]
    assert row["action"] == "new" and row["overrides"] == {"keep_both": True}
    assert any("đã chọn giữ cả hai dòng" in w for w in row["warnings"])
    assert "Chỉ nhập một lần" in b.client.get(f"/imports/{batch.id}").get_data(as_text=True)
    result = pipeline.commit(province["coord"], batch.id)
    assert result["created"] + result["flagged"] == 6
    title = fold_words(row["title"])
    assert [fold_words(t) for t in db.session.scalars(select(Task.title))].count(title) == 2


def test_keeping_both_can_be_undone(province):
    batch = pipeline.preview(province["coord"], "lap-lai.txt", _repeating_document().encode())
    pipeline.fix_row(province["coord"], batch.id, 1, 1, {"keep_both": True})
    assert batch.report["appendices"][1]["rows"][0]["action"] == "new"
    pipeline.fix_row(province["coord"], batch.id, 1, 1, {"keep_both": False})
    assert batch.report["appendices"][1]["rows"][0]["action"] == "duplicate"


# ---------------------------------------------------------------- the review list and the aliases it makes

def _table(*leads: str, number: str = "") -> bytes:
    """A pasted task list with one row per lead agency cell, under a document number when given."""
    head = (f"Kế hoạch số {number} ngày 05/01/2026\n\n" if number else "") + \
        "STT\tTên nhiệm vụ\tĐơn vị chủ trì\tThời gian hoàn thành\tKết quả/sản phẩm\n"
    return (head + "".join(f"{i}\tNhiệm vụ thử số {i}\t{lead}\tQuý II năm 2026\tKế hoạch\n"
                           for i, lead in enumerate(leads, 1))).encode()


def _review(text: str) -> AgencyReview:
    return db.session.scalars(select(AgencyReview).where(AgencyReview.text == text)).one()


def _agency(name: str) -> Agency:
    return db.session.scalar(select(Agency).where(Agency.name == name))


def _review_form(page: str, review_id: int) -> str:
    start = page.index(f'/reviews/{review_id}"')
    return page[start:page.index("</form>", start)]


def test_the_review_list_never_preselects_another_level_of_body(province, app):
    """"Đảng ủy UBND tỉnh" is offered nothing ready to click; "Sở Tư pháo" (one letter off a department) is."""
    batch = pipeline.preview(province["coord"], "thu.txt", _table("Đảng ủy UBND tỉnh", "Sở Tư pháo"))
    rows = batch.report["appendices"][0]["rows"]
    assert [r["action"] for r in rows] == ["flagged", "flagged"]
    assert rows[0]["lead_agencies"] == []  # never the People's Committee itself
    b = Browser(app.test_client())
    b.login("coord")
    page = b.client.get(f"/imports/{batch.id}").get_data(as_text=True)
    party = _review_form(page, _review("Đảng ủy UBND tỉnh").id)
    assert " selected" not in party and " checked" not in party
    assert "có thể là cơ quan khác" in party
    for choice in ("một đơn vị trong danh mục", "tên chung (nhiều đơn vị; ghi lại, không giao việc)",
                   "không phải tên đơn vị"):
        assert choice in party  # three answers of the same weight, one button
    justice = _review_form(page, _review("Sở Tư pháo").id)
    assert f'<option value="{_agency("Sở Tư pháp").id}" selected>' in justice
    assert 'value="agency" checked' in justice


def test_a_click_without_a_choice_records_nothing(province, app):
    batch = pipeline.preview(province["coord"], "thu.txt", _table("Đảng ủy UBND tỉnh"))
    review = _review("Đảng ủy UBND tỉnh")
    b = Browser(app.test_client())
    b.login("coord")
    r = b.client.post(f"/imports/{batch.id}/reviews/{review.id}", data={"csrf_token": b.csrf(f"/imports/{batch.id}")},
                      follow_redirects=True)
    assert "Vui lòng chọn một câu trả lời" in r.get_data(as_text=True)
    db.session.expire_all()
    assert _review("Đảng ủy UBND tỉnh").status == "open" and db.session.scalars(select(AgencyAlias)).all() == []


def test_another_level_of_body_is_refused_as_an_alias(province, app):
    batch = pipeline.preview(province["coord"], "thu.txt", _table("Đảng ủy UBND tỉnh"))
    review = _review("Đảng ủy UBND tỉnh")
    b = Browser(app.test_client())
    b.login("coord")
    r = b.client.post(f"/imports/{batch.id}/reviews/{review.id}", follow_redirects=True, data={
        "csrf_token": b.csrf(f"/imports/{batch.id}"), "decision": "agency", "agency_id": _agency("UBND tỉnh").id})
    assert "là hai cơ quan khác nhau (Đảng ủy ≠ UBND)" in r.get_data(as_text=True)
    db.session.expire_all()
    assert _review("Đảng ủy UBND tỉnh").status == "open" and db.session.scalars(select(AgencyAlias)).all() == []
    [row] = db.session.get(ImportBatch, batch.id).report["appendices"][0]["rows"]
    assert row["action"] == "flagged"


@pytest.mark.parametrize(("decision", "flash"), [
    ("ignored", "Đã ghi nhận “Giám đốc điều hành” không phải tên đơn vị."),
    ("group", "Đã ghi nhận “Giám đốc điều hành” là tên chung."),
])
def test_not_an_agency_and_a_collective_name_are_answers(province, app, decision, flash):
    coord = province["coord"]
    batch = pipeline.preview(coord, "thu.txt", _table("Sở Y tế; Giám đốc điều hành"))
    review = _review("Giám đốc điều hành")
    b = Browser(app.test_client())
    b.login("coord")
    r = b.client.post(f"/imports/{batch.id}/reviews/{review.id}", follow_redirects=True,
                      data={"csrf_token": b.csrf(f"/imports/{batch.id}"), "decision": decision})
    assert flash in r.get_data(as_text=True)
    db.session.expire_all()
    assert _review("Giám đốc điều hành").status == decision
    [row] = db.session.get(ImportBatch, batch.id).report["appendices"][0]["rows"]
    assert row["action"] == "new" and row["lead_agencies"] == ["Sở Y tế"] and row["reviews"] == []
    assert db.session.scalars(select(AgencyAlias)).all() == []
    # the next document applies the answer without asking
    again = pipeline.preview(coord, "lan-sau.txt", _table("Sở Y tế; Giám đốc điều hành"))
    assert again.report["appendices"][0]["rows"][0]["action"] == "new"


def test_an_alias_records_who_made_it_and_from_which_document(province, app):
    coord = province["coord"]
    batch = pipeline.preview(coord, "thu.txt", _table("Sở KHCN&ĐMST tỉnh", number="12-KH/BCĐ"))
    review = _review("Sở KHCN&ĐMST tỉnh")
    science = _agency("Sở Khoa học và Công nghệ")
    b = Browser(app.test_client())
    b.login("coord")
    r = b.client.post(f"/imports/{batch.id}/reviews/{review.id}", follow_redirects=True, data={
        "csrf_token": b.csrf(f"/imports/{batch.id}"), "decision": "agency", "agency_id": science.id})
    assert "Đã ghi nhận “Sở KHCN&amp;ĐMST tỉnh” là Sở Khoa học và Công nghệ." in r.get_data(as_text=True)
    db.session.expire_all()
    [alias] = db.session.scalars(select(AgencyAlias))
    assert (alias.agency.name, alias.text, alias.normalized, alias.created_by.username, alias.batch_id,
            alias.document) == ("Sở Khoa học và Công nghệ", "Sở KHCN&ĐMST tỉnh", "so khcn dmst tinh", "coord",
                                batch.id, "12-KH/BCĐ")
    assert alias.created_at is not None
    later = pipeline.preview(coord, "lan-sau.txt", _table("Sở KHCN&ĐMST tỉnh"))
    assert later.report["appendices"][0]["rows"][0]["lead_agencies"] == ["Sở Khoa học và Công nghệ"]


def test_a_central_lead_asks_for_the_provinces_unit_and_stays_as_context(province):
    batch = pipeline.preview(province["coord"], "thu.txt", _table(
        "Bộ Khoa học và Công nghệ", "Bộ Khoa học và Công nghệ; Sở Khoa học và Công nghệ"))
    central, both = batch.report["appendices"][0]["rows"]
    assert central["action"] == "flagged" and central["reviews"] == []
    assert any(b["code"] == "lead" and "cơ quan Trung ương" in b["message"] for b in central["blocking"])
    assert both["action"] == "new" and both["lead_agencies"] == ["Sở Khoa học và Công nghệ"]
    assert any("“Bộ Khoa học và Công nghệ” là cơ quan Trung ương" in w for w in both["warnings"])
    assert db.session.scalars(select(AgencyReview)).all() == []  # nothing for a person to settle


def test_the_document_defines_its_abbreviations(province):
    text = ("Giao Sở Nông nghiệp và Môi trường (sau đây gọi tắt là Sở NN) và Văn phòng Chính phủ (sau đây gọi tắt "
            "là VPCP) theo dõi.\n\n").encode() + _table("Sở NN", "VPCP; Sở NN")
    first, second = pipeline.preview(province["coord"], "thu.txt", text).report["appendices"][0]["rows"]
    assert (first["action"], first["lead_agencies"]) == ("new", ["Sở Nông nghiệp và Môi trường"])
    assert second["lead_agencies"] == ["Sở Nông nghiệp và Môi trường"]
    assert db.session.scalars(select(AgencyReview)).all() == []


def test_an_administrator_lists_and_removes_aliases(province, app):
    coord = province["coord"]
    people.create_user("qt", "mat-khau-1", None, ["admin"], "Quản trị")
    batch = pipeline.preview(coord, "thu.txt", _table("Sở KHCN&ĐMST tỉnh", "Sở Tư pháo", number="12-KH/BCĐ"))
    pipeline.settle_name(coord, batch.id, _review("Sở KHCN&ĐMST tỉnh").id, _agency("Sở Khoa học và Công nghệ").id)
    pipeline.settle_name(coord, batch.id, _review("Sở Tư pháo").id, _agency("Sở Tư pháp").id)
    pipeline.commit(coord, batch.id)
    task = db.session.scalars(select(Task).where(Task.title == "Nhiệm vụ thử số 1")).one()
    b = Browser(app.test_client())
    b.login("qt")
    page = b.client.get("/admin/aliases").get_data(as_text=True)
    assert "Sở KHCN&amp;ĐMST tỉnh" in page and "Sở Tư pháo" in page and "Điều phối viên" in page
    assert "12-KH/BCĐ" in page and "các nhiệm vụ đã nhập không thay đổi" in page
    assert 'href="/admin/aliases"' in b.client.get("/inbox").get_data(as_text=True)  # in the admin menu
    found = b.client.get("/admin/aliases?q=khcn dmst").get_data(as_text=True)  # no accents needed
    assert "Sở KHCN&amp;ĐMST tỉnh" in found and "Sở Tư pháo" not in found
    assert "Sở KHCN" in b.client.get("/admin/aliases?q=khoa hoc va cong nghe").get_data(as_text=True)  # by agency
    assert "Chưa có tên gọi khác nào" not in b.client.get("/admin/aliases?page=999").get_data(as_text=True)
    alias = db.session.scalars(select(AgencyAlias).where(AgencyAlias.text == "Sở KHCN&ĐMST tỉnh")).one()
    r = b.client.post(f"/admin/aliases/{alias.id}/delete", data={"csrf_token": b.csrf("/admin/aliases")},
                      follow_redirects=True)
    assert "Đã xóa tên gọi khác “Sở KHCN&amp;ĐMST tỉnh” của Sở Khoa học và Công nghệ." in r.get_data(as_text=True)
    db.session.expire_all()
    assert [a.text for a in db.session.scalars(select(AgencyAlias))] == ["Sở Tư pháo"]
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "alias_remove"))
    assert event.actor.username == "qt" and event.data["alias"] == "Sở KHCN&ĐMST tỉnh"
    assert db.session.get(Task, task.id).lead_agency.name == "Sở Khoa học và Công nghệ"  # imported tasks stay
    assert _review("Sở KHCN&ĐMST tỉnh").status == "open"  # asked again by the next document
    again = pipeline.preview(coord, "lan-sau.txt", _table("Sở KHCN&ĐMST tỉnh"))
    assert again.report["appendices"][0]["rows"][0]["action"] == "flagged"
    assert b.client.post(f"/admin/aliases/{alias.id}/delete",
                         data={"csrf_token": b.csrf("/admin/aliases")}).status_code == 404
    b.login("coord")
    assert b.client.get("/admin/aliases").status_code == 403
    other = db.session.scalars(select(AgencyAlias)).one()
    assert b.client.post(f"/admin/aliases/{other.id}/delete",
                         data={"csrf_token": b.csrf("/inbox")}).status_code == 403
    assert db.session.scalars(select(AgencyAlias)).one().id == other.id


def test_the_alias_list_is_paginated(province, app):
    people.create_user("qt", "mat-khau-1", None, ["admin"], "Quản trị")
    health = _agency("Sở Y tế")
    for i in range(1, 56):
        db.session.add(AgencyAlias(agency_id=health.id, text=f"Sở Y tế cơ sở {i:02d}",
                                   normalized=f"so y te co so {i:02d}", created_at=datetime(2026, 1, 1, 0, i)))
    db.session.commit()
    b = Browser(app.test_client())
    b.login("qt")
    first = b.client.get("/admin/aliases").get_data(as_text=True)
    assert "Sở Y tế cơ sở 55" in first and "Sở Y tế cơ sở 05" not in first  # newest first, 50 a page
    assert "Trang 1/2 (55 mục)" in first and 'href="/admin/aliases?page=2"' in first
    second = b.client.get("/admin/aliases?page=2").get_data(as_text=True)
    assert "Sở Y tế cơ sở 05" in second and "Sở Y tế cơ sở 55" not in second
    searched = b.client.get("/admin/aliases?q=co so 1").get_data(as_text=True)
    assert "Sở Y tế cơ sở 10" in searched and "Sở Y tế cơ sở 20" not in searched
    assert "(không rõ: ghi nhận trước khi lưu người chọn)" in first


def test_a_task_done_when_its_document_was_issued_counts_as_done_on_time(province, app):
    """003 marks items "(Đã thực hiện)". Imported without the document's date, such a task is recorded done on the
    import day, after its deadline: it was counted "hoàn thành quá hạn" on the task page, the dashboard and the
    reports, though the document says it was done before it was issued."""
    table = ("| STT | Nhiệm vụ | Đơn vị chủ trì | Thời hạn | Sản phẩm |\n|---|---|---|---|---|\n"
             "| 1 | Ban hành quy chế làm việc của Ban Chỉ đạo | Sở Nội vụ | Tháng 5/2025 (Đã thực hiện) | Quy chế |\n"
             "| 2 | Xây dựng kế hoạch chuyển đổi số ngành y tế | Sở Y tế | 30/6/2026 | Kế hoạch |\n")
    coord = province["coord"]
    pipeline.commit(coord, pipeline.preview(coord, pipeline.PASTED, table.encode()).id)
    done = db.session.scalars(select(Task).where(Task.done_at_issue.is_(True))).one()
    assert done.completed_on > done.due_date  # recorded on the import day, the deadline long past
    today, soon = clock.today(), 3
    assert status.compute(done, today, soon) == "done_on_time"
    assert db.session.scalars(select(Task.id).where(status.clause("done_late", today, soon))).all() == []
    assert db.session.scalars(select(Task.id).where(status.clause("done_on_time", today, soon))).all() == [done.id]
    [row] = [r for r in scorecard.scorecard("2025", today) if r.agency == "Sở Nội vụ"]
    assert (row.on_time, row.late, row.days_late) == (1, 0, 0)
    b = Browser(app.test_client())
    b.login("coord")
    page = b.client.get(f"/tasks/{done.id}").get_data(as_text=True)
    assert "Hoàn thành quá hạn" not in page and "Hoàn thành đúng hạn" in page
    # not "done on the import day": done before the document was issued, as it says
    assert "Đã hoàn thành khi ban hành văn bản" in page and "Hoàn thành ngày" not in page


def test_the_calendar_says_what_a_day_was_before_and_takes_a_working_day_on_a_weekend_only(province, app):
    """An outside check: "01/01/2025 · Trùng" replaced "Tết Dương lịch" saying only "Đã lưu ngày 01/01/2025."; a
    deletion said no day; a "ngày làm bù" (a Saturday or Sunday worked) was taken on a Wednesday."""
    holidays.ensure_defaults()
    people.create_user("qt", "mat-khau-1", None, ["admin"])
    b = Browser(app.test_client())
    b.login("qt")
    page = b.client.get("/admin/holidays?year=2025").get_data(as_text=True)
    assert "Xóa ngày 01/01/2025" in page  # behind "Xóa…": one click does not delete
    token = b.csrf("/admin/holidays")
    r = b.client.post("/admin/holidays", data={"csrf_token": token, "day": "01/01/2025", "name": "Trùng",
                                               "kind": "off"}, follow_redirects=True)
    assert "Đã sửa ngày 01/01/2025: trước đây “Tết Dương lịch” (ngày nghỉ)." in r.get_data(as_text=True)
    r = b.client.post("/admin/holidays", data={"csrf_token": token, "day": "09/12/2026", "name": "Làm bù",
                                               "kind": "working"})
    assert r.status_code == 422
    assert ("Ngày làm bù là thứ Bảy hoặc Chủ nhật đi làm; ngày 09/12/2026 là ngày làm việc bình thường."
            in r.get_data(as_text=True))
    assert all(d.day != date(2026, 12, 9) for d in holidays.days(2026))
    r = b.client.post("/admin/holidays/2025-01-01/delete", data={"csrf_token": token}, follow_redirects=True)
    assert "Đã xóa ngày 01/01/2025 (Trùng) khỏi lịch." in r.get_data(as_text=True)
