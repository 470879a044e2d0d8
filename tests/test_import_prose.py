"""Importing what a document assigns in its sentences and in tables shared with the central level (issue 15): a
letter without a table becomes a preview of proposed tasks with their source sentences; the coordinator edits,
drops, adds back and commits; a ministry beside the province's unit is the task's central lead, never its lead."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from sqlalchemy import select

from models import Task, db
from tests.conftest import Browser, csrf_from
from tests.test_import import fixture, preview, tasks_count
from workflows.errors import Invalid
from workflows.importing import pipeline, prose
from workflows.reporting import exporting


def the_letter_without_its_appendix() -> bytes:
    """Letter 000 as a coordinator receives it when the appendix travels as a separate file: the text up to the
    signature block, the table pages cut off."""
    text = fixture("000").read_text("utf-8")
    return text[:text.index("\nNơi nhận:")].encode()


def body_of(batch) -> dict:
    [body] = [a for a in batch.report["appendices"] if a["kind"] == "prose"]
    return body


def test_a_letter_without_any_table_is_a_preview_of_its_six_assignments(province):
    batch = pipeline.preview(province["coord"], "cong-van.txt", the_letter_without_its_appendix())
    [body] = batch.report["appendices"]
    assert body["kind"] == "prose" and body["title"] == prose.PROSE_TITLE
    assert (body["rows_in_source"], body["imported"], body["flagged"]) == (6, 6, 0)
    leads = [r["lead_agencies"] for r in body["rows"]]
    assert leads == [["Sở Khoa học và Công nghệ"], ["Sở Nội vụ"], ["Sở Tài chính"], ["Sở Công Thương"],
                     ["Công an tỉnh"], ["Sở Khoa học và Công nghệ"]]
    last = body["rows"][-1]
    assert last["source_text"].startswith("2. Giao Sở Khoa học và Công nghệ chủ trì, phối hợp với các đơn vị")
    assert last["nominal_due"] == "2026-03-31"  # "trước ngày 31/3/2026"
    marked = {mark: text for text, mark in last["source_parts"] if mark}
    assert marked["lead"] == "Sở Khoa học và Công nghệ" and "31/3/2026" in marked["deadline"]
    assert "".join(text for text, _ in last["source_parts"]) == last["source_text"]  # nothing lost or added
    first = body["rows"][0]  # point 1 gives no deadline of its own: read as ongoing, and said so
    assert first["recurrence"] == "ongoing" and prose.NO_DEADLINE in first["warnings"]
    result = pipeline.commit(province["coord"], batch.id)
    assert result["created"] == 6 == tasks_count()
    task = db.session.scalar(select(Task).where(Task.stt == "2"))
    assert task.lead_agency.name == "Sở Khoa học và Công nghệ" and task.deadline_text.endswith("31/3/2026")
    ongoing = db.session.scalar(select(Task).where(Task.stt == "1 (1)"))  # point 1 named no deadline: ongoing,
    assert (ongoing.deadline_text, ongoing.recurrence) == (None, "ongoing")  # not words the letter never wrote,
    assert exporting.deadline_text(ongoing) == "Thường xuyên"  # and the register and the exports say so


def test_a_text_that_assigns_nothing_is_refused_with_a_message_that_says_what_was_looked_for(province):
    for text in ("Kính gửi các sở, ngành.\nĐề nghị báo cáo trước ngày 20.\n",
                 "Thực hiện Kế hoạch số 12/KH-UBND, Ủy ban nhân dân tỉnh thông báo để các cơ quan biết.\n"):
        try:
            pipeline.preview(province["coord"], "ghi-chu.txt", text.encode())
        except Invalid as exc:
            assert str(exc) == pipeline.NOTHING_ASSIGNED
        else:
            raise AssertionError("a text without any assignment was accepted")


def test_edit_drop_and_add_back_then_commit(province):
    """002's plan: its tables, and §V's 45 responsibilities with the list items that assign nothing folded."""
    coord = province["coord"]
    batch = preview(province, "002")
    body = body_of(batch)
    tasks = [r for r in body["rows"] if not r["not_a_task"]]
    others = [r for r in body["rows"] if r["not_a_task"]]
    # (seven of them have a list of collectives as their subject, the work right after it: "Các đảng ủy trực thuộc
    # Tỉnh ủy, các ban, sở, ngành, … xây dựng, ban hành Kế hoạch …" — each for the coordinator to give a lead)
    assert len(tasks) == 52 and others
    assert body["rows_in_source"] == len(tasks) + len(others) == body["imported"] + body["flagged"]
    assert all(r["action"] == "flagged" and r["blocking"][0]["code"] == "not_a_task" for r in others)
    (edited, dropped), added = [r for r in tasks if r["action"] == "new"][:2], others[0]
    pipeline.fix_row(coord, batch.id, body["index"], edited["number"], {"title": "Lãnh đạo, chỉ đạo sửa tên"})
    pipeline.fix_row(coord, batch.id, body["index"], dropped["number"], {"skip": True})
    pipeline.fix_row(coord, batch.id, body["index"], added["number"], {"lead_agency": "Sở Nội vụ"})
    db.session.refresh(batch)
    rows = {r["number"]: r for r in body_of(batch)["rows"]}
    assert rows[edited["number"]]["title"] == "Lãnh đạo, chỉ đạo sửa tên"
    assert rows[dropped["number"]]["action"] == "skipped"
    assert rows[added["number"]]["not_a_task"] is False and rows[added["number"]]["lead_agencies"] == ["Sở Nội vụ"]
    would_create = sum(1 for r in rows.values() if r["action"] == "new")
    result = pipeline.commit(coord, batch.id)
    created = {t.stt: t for t in db.session.scalars(select(Task).where(Task.appendix == prose.PROSE_TITLE))}
    assert len(created) == would_create
    assert created[edited["stt"]].title == "Lãnh đạo, chỉ đạo sửa tên"
    assert dropped["stt"] not in created
    assert created[added["stt"]].lead_agency.name == "Sở Nội vụ"
    assert created[added["stt"]].title == added["title"]
    assert result["created"] >= would_create
    # the sentences that assign nothing are told apart from the rows left for a person to fix
    assert result["sentences"] == len(others) - 1  # (one was added back as a task)


def test_the_import_page_shows_the_source_sentence_marked_and_folds_the_other_sentences(province, app):
    batch = pipeline.preview(province["coord"], "cong-van.txt", the_letter_without_its_appendix())
    b = Browser(app.test_client())
    b.login("coord")
    html = b.client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert prose.PROSE_TITLE in html
    assert '<mark class="mark-lead" title="Đơn vị chủ trì">Sở Khoa học và Công nghệ</mark>' in html
    assert 'class="mark-deadline"' in html and "31/3/2026</mark>" in html
    plan = preview(province, "002")
    html = b.client.get(f"/imports/{plan.id}").get_data(as_text=True)
    assert "Câu không phải nhiệm vụ (" in html and "Thêm thành nhiệm vụ" in html
    others = [r for r in body_of(plan)["rows"] if r["not_a_task"]]
    r = b.client.post(f"/imports/{plan.id}/rows/{body_of(plan)['index']}/{others[0]['number']}",
                      data={"csrf_token": csrf_from(html), "lead_agency": "Sở Nội vụ"})
    assert r.status_code == 302
    db.session.refresh(plan)
    assert [x for x in body_of(plan)["rows"] if x["number"] == others[0]["number"]][0]["lead_agencies"] == [
        "Sở Nội vụ"]


# ---------------------------------------------------------------- central and provincial leads

SHARED_WITH_THE_CENTRE = (
    "Phụ lục: Nhiệm vụ phối hợp với các bộ, ngành Trung ương\n"
    "STT\tNhiệm vụ\tBộ, ngành chủ trì\tĐơn vị của tỉnh chủ trì phối hợp\tThời hạn\n"
    "1\tXây dựng cơ sở dữ liệu quốc gia về khoa học, công nghệ\tBộ Khoa học và Công nghệ\t"
    "Sở Khoa học và Công nghệ\tNăm 2026\n"
    "2\tHoàn thiện Đề án sắp xếp đơn vị sự nghiệp công lập\tBộ Nội vụ; Văn phòng Chính phủ\tSở Nội vụ\t"
    "Quý III/2026\n"
    "3\tĐánh giá hiệu quả đầu tư công\tBộ Tài chính\t\tNăm 2026\n"
)


def test_a_ministry_beside_the_province_s_unit_is_the_central_lead_kept_on_the_task(province, app):
    coord = province["coord"]
    batch = pipeline.preview(coord, "phu-luc-tw.txt", SHARED_WITH_THE_CENTRE.encode())
    [table] = batch.report["appendices"]
    rows = table["rows"]
    assert rows[0]["lead_agencies"] == ["Sở Khoa học và Công nghệ"]  # never "Bộ" taken for "Sở"
    assert rows[0]["central_agencies"] == ["Bộ Khoa học và Công nghệ"]
    assert rows[1]["lead_agencies"] == ["Sở Nội vụ"]
    assert rows[1]["central_agencies"] == ["Bộ Nội vụ", "Văn phòng Chính phủ"]
    assert rows[2]["lead_agencies"] == [] and rows[2]["action"] == "flagged"  # the province's part has no unit
    assert "hãy chọn đơn vị của tỉnh" in rows[2]["blocking"][0]["message"]
    assert all(r["collaborating_agencies"] == [] for r in rows)  # the province's unit is no collaborator
    b = Browser(app.test_client())
    b.login("coord")
    html = b.client.get(f"/imports/{batch.id}").get_data(as_text=True)  # the preview names the ministries too
    assert "Trung ương chủ trì: Bộ Nội vụ; Văn phòng Chính phủ</div>Sở Nội vụ" in html
    pipeline.commit(coord, batch.id)
    task = db.session.scalar(select(Task).where(Task.stt == "1"))
    assert task.central_agencies == ["Bộ Khoa học và Công nghệ"]
    b = Browser(app.test_client())
    b.login("coord")
    page = b.client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "Cơ quan trung ương chủ trì" in page and "Bộ Khoa học và Công nghệ" in page
    found = b.client.get("/tasks?q=van+phong+chinh+phu").get_data(as_text=True)  # searchable
    assert task.title not in found and "Hoàn thiện Đề án sắp xếp đơn vị sự nghiệp công lập" in found
    sheet = load_workbook(io.BytesIO(b.client.get("/exports/register.xlsx").data)).active
    cells = [str(c.value) for row in sheet.iter_rows() for c in row if c.value]
    assert any("Sở Khoa học và Công nghệ" in c and "Trung ương chủ trì: Bộ Khoa học và Công nghệ" in c
               for c in cells)


def test_a_deadline_that_only_says_when_to_start_asks_for_the_due_date(province):
    text = ("STT\tNhiệm vụ\tĐơn vị chủ trì\tThời hạn\n"
            "1\tTriển khai nền tảng số dùng chung\tSở Khoa học và Công nghệ\tTừ tháng 7/2026\n")
    batch = pipeline.preview(province["coord"], "bat-dau.txt", text.encode())
    [row] = batch.report["appendices"][0]["rows"]
    assert row["action"] == "flagged" and row["starts"] == "2026-07-01" and row["nominal_due"] is None
    assert row["blocking"] == [{"code": "deadline", "message": "Thời hạn “Từ tháng 7/2026” chỉ nêu ngày bắt đầu "
                                "(01/07/2026), chưa có hạn hoàn thành: nhập thời hạn ở “Sửa dòng này”."}]


def test_000_s_prose_is_typed_by_its_deliverable_not_by_the_words_naming_the_letter(province):
    """Item 2 ("… theo chỉ đạo … tại Công văn này; tổng hợp báo cáo Chủ tịch UBND tỉnh kết quả thực hiện trước ngày
    31/3/2026") was a letter ("Công văn"); item 1's "hoàn thành đúng thời hạn" made each of its five a completion."""
    rows = [r for a in preview(province, "000").report["appendices"] if a["kind"] == "prose" for r in a["rows"]]
    report = next(r for r in rows if r["title"].startswith("Hướng dẫn, đôn đốc"))
    assert (report["output_type"], report["output_reason"]) == (
        "report", "kết quả/sản phẩm không nói rõ; tên nhiệm vụ có từ “Báo cáo”")
    assert not any("“Hoàn thành”" in r["output_reason"] or "“Công văn”" in r["output_reason"] for r in rows)


def test_a_date_typed_for_a_sentence_without_one_makes_a_dated_task_and_a_deadline_without_accents_is_read(province):
    """A sentence naming no deadline reads as "Thường xuyên" until the coordinator types a date, as its warning
    asks: the task kept "Thường xuyên" beside the date, and its page quoted "Thường xuyên" as the document's words,
    which it never wrote. A deadline typed without accents ("hoan thanh truoc 31/1/2027") was not read at all."""
    letter = ("ỦY BAN NHÂN DÂN TỈNH THANH HÓA\nSố: 150/UBND-VX\nV/v triển khai y tế số\n\n"
              "1. Giao Sở Y tế chủ trì triển khai bệnh án điện tử tại các bệnh viện tuyến tỉnh.\n"
              "2. Giao So Noi vu tham muu kien toan bo may trung tam y te, hoan thanh truoc 31/1/2027.\n"
              "3. Công an tỉnh phối hợp với Sở Y tế triển khai xác thực VNeID khi khám chữa bệnh, hoàn thành trong "
              "năm 2027.\n")
    coord = province["coord"]
    batch = pipeline.preview(coord, "cong-van.txt", letter.encode())
    records, staffing, identity = body_of(batch)["rows"]
    # a subject the registry knows, its work right after: it leads (the sentence was "not a task", and added by
    # hand it lost its collaborator and kept "Công an tỉnh," in its title)
    assert (identity["lead_agencies"], identity["collaborating_agencies"], identity["nominal_due"]) == (
        ["Công an tỉnh"], ["Sở Y tế"], "2027-12-31")
    assert identity["title"].startswith("Triển khai xác thực VNeID")
    assert records["recurrence"] == "ongoing" and records["deadline_text"] == ""  # assumed, not the document's
    assert (staffing["lead_agencies"], staffing["nominal_due"], staffing["recurrence"]) == (
        ["Sở Nội vụ"], "2027-01-31", None)
    assert staffing["deadline_text"] == "hoan thanh truoc 31/1/2027" and prose.NO_DEADLINE not in staffing["warnings"]
    pipeline.fix_row(coord, batch.id, body_of(batch)["index"], records["number"], {"due_date": "2027-06-30"})
    pipeline.commit(coord, batch.id)
    task = db.session.scalar(select(Task).where(Task.lead_agency.has(name="Sở Y tế")))
    assert (task.recurrence, task.due_date.isoformat(), task.deadline_text) == (None, "2027-06-30", None)
