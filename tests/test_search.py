"""Searching tasks without accents: the task list, the header box and the JSON API."""

from __future__ import annotations

import sqlite3
from datetime import date

from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from models import Agency, Directive, Task, db
from tests.conftest import COLLAB_A, COLLAB_B, HOME_AFFAIRS, JUSTICE, LEAD, act, new_task
from workflows.tasks import create, reads, search


def text(response) -> str:
    return response.get_data(as_text=True)


def task_led_by(world, lead, title, collaborators=(), **kwargs) -> Task:
    return create.create_task(world["coord"], title=title, lead_agency=lead, output_type="plan",
                             collaborating_agencies=list(collaborators), due_date=date(2026, 6, 30), **kwargs)


def found(user, q, **filters) -> list[str]:
    page = reads.list_tasks(user, reads.TaskFilters(q=q, **filters), per_page=100)
    return sorted(t.title for t in page.items)


def test_so_noi_vu_finds_the_tasks_of_so_noi_vu(world):
    task_led_by(world, HOME_AFFAIRS, "Rà soát tổ chức bộ máy")
    task_led_by(world, LEAD, "Đề án thương mại điện tử", collaborators=[HOME_AFFAIRS])
    task_led_by(world, LEAD, "Kế hoạch xúc tiến đầu tư")
    assert found(world["coord"], "so noi vu") == ["Rà soát tổ chức bộ máy", "Đề án thương mại điện tử"]


def test_case_accents_extra_spaces_and_word_order_do_not_matter(world):
    task_led_by(world, HOME_AFFAIRS, "Rà soát tổ chức bộ máy")
    task_led_by(world, LEAD, "Kế hoạch xúc tiến đầu tư")
    for q in ("  SỞ   nội VỤ ", "so noi vu", "Sở Nội vụ", "vu noi so", "bo may to chuc", "“rà soát”, bộ máy.",
              "RA SOAT"):
        assert found(world["coord"], q) == ["Rà soát tổ chức bộ máy"], q
    assert found(world["coord"], "đầu tư") == found(world["coord"], "dau tu") == ["Kế hoạch xúc tiến đầu tư"]
    assert found(world["coord"], "so noi vu xuc tien") == []  # every word must appear in the same task
    assert len(found(world["coord"], "   ")) == 2  # an empty query searches nothing


def test_a_directive_number_finds_its_tasks(world):
    directive = Directive(number="775-CV/TU")
    task_led_by(world, LEAD, "Nhiệm vụ theo Công văn 775", directive=directive)
    task_led_by(world, LEAD, "Nhiệm vụ theo Kế hoạch 266", source_document="Kế hoạch số 266-KH/TU ngày 26/4/2025")
    task_led_by(world, LEAD, "Nhiệm vụ khác", source_document="Công văn số 3130/UBND-VX")
    assert found(world["coord"], "775-CV/TU") == ["Nhiệm vụ theo Công văn 775"]
    assert found(world["coord"], "775-cv/tu") == ["Nhiệm vụ theo Công văn 775"]
    assert found(world["coord"], "266-KH/TU") == ["Nhiệm vụ theo Kế hoạch 266"]
    assert found(world["coord"], "ke hoach so 266") == ["Nhiệm vụ theo Kế hoạch 266"]
    assert found(world["coord"], "NV-00003") == ["Nhiệm vụ khác"]


def test_what_people_type_finds_its_tasks_short_names_codes_and_document_numbers(world):
    # "Sở GD&ĐT" as the lists write an agency found nothing; "Kế hoạch số 150/KH-UBND" only the tasks whose titles
    # said "kế hoạch"; "NV00002" nothing
    db.session.get(Agency, db.session.scalar(select(Agency.id).where(Agency.name == HOME_AFFAIRS))).short_name = "Sở NV"
    db.session.add(Agency(name="Sở Giáo dục và Đào tạo", short_name="Sở GD&ĐT", active=True))
    db.session.commit()
    plan = Directive(number="150/KH-UBND")
    task_led_by(world, "Sở Giáo dục và Đào tạo", "Đề án nhân lực số", directive=plan)
    task_led_by(world, HOME_AFFAIRS, "Rà soát tổ chức bộ máy", directive=plan)
    task_led_by(world, LEAD, "Kế hoạch xúc tiến đầu tư", collaborators=[HOME_AFFAIRS])
    assert found(world["coord"], "Sở GD&ĐT") == found(world["coord"], "gd&đt") == ["Đề án nhân lực số"]
    assert found(world["coord"], "so nv") == ["Kế hoạch xúc tiến đầu tư", "Rà soát tổ chức bộ máy"]
    assert found(world["coord"], "Sở NV rà soát") == ["Rà soát tổ chức bộ máy"]
    assert found(world["coord"], "Kế hoạch số 150/KH-UBND") == ["Rà soát tổ chức bộ máy", "Đề án nhân lực số"]
    assert found(world["coord"], "NV00002") == found(world["coord"], "nv 2") == ["Rà soát tổ chức bộ máy"]


def test_the_number_of_the_approved_decision_finds_its_task(world):
    """People look for "Quyết định 123/QĐ-UBND", the number recorded when the result was reported."""
    task = task_led_by(world, LEAD, "Đề án chuyển đổi số ngành công thương")
    task_led_by(world, LEAD, "Kế hoạch xúc tiến đầu tư")
    for step in ("assign", "draft", "finalise", "signoff", "appraise", "approve"):
        act(world, task, step)
    assert found(world["coord"], "123/QĐ-UBND") == []
    act(world, task, "report")  # records decision_number "123/QĐ-UBND"
    assert found(world["coord"], "123/QĐ-UBND") == found(world["coord"], "123/qd-ubnd") == [
        "Đề án chuyển đổi số ngành công thương"]
    assert db.session.get(Task, task.id).recorded_refs == "123/QĐ-UBND"


def test_a_renamed_task_or_a_new_collaborator_is_found_by_the_new_text(world):
    task = task_led_by(world, LEAD, "Tên cũ của nhiệm vụ")
    task.title = "Chuyển đổi số lĩnh vực y tế"
    task.collaborating_agencies.append(db.session.scalar(select(Agency).where(Agency.name == JUSTICE)))
    db.session.commit()
    assert found(world["coord"], "chuyen doi so y te") == ["Chuyển đổi số lĩnh vực y tế"]
    assert found(world["coord"], "so tu phap") == ["Chuyển đổi số lĩnh vực y tế"]
    assert found(world["coord"], "ten cu") == []


def test_percent_and_underscore_are_literal(world):
    task_led_by(world, LEAD, "Đạt 100% hồ sơ trực tuyến")
    task_led_by(world, LEAD, "Đạt 1000 hồ sơ trực tuyến")
    task_led_by(world, LEAD, "Mã hồ sơ HS_01")
    assert found(world["coord"], "100%") == ["Đạt 100% hồ sơ trực tuyến"]
    assert found(world["coord"], "%") == ["Đạt 100% hồ sơ trực tuyến"]
    assert found(world["coord"], "_") == ["Mã hồ sơ HS_01"]
    assert found(world["coord"], "hs_0") == ["Mã hồ sơ HS_01"]
    assert found(world["coord"], "h_") == []


def test_search_with_another_filter(world, frozen):
    task_led_by(world, HOME_AFFAIRS, "Đề án vị trí việc làm")
    task_led_by(world, LEAD, "Đề án chợ đầu mối", collaborators=[COLLAB_A])
    create.create_task(world["coord"], title="Báo cáo chợ truyền thống", lead_agency=LEAD, output_type="report",
                      due_date=date(2026, 3, 3))
    collab = db.session.scalar(select(Agency.id).where(Agency.name == COLLAB_A))
    assert found(world["coord"], "de an") == ["Đề án chợ đầu mối", "Đề án vị trí việc làm"]
    assert found(world["coord"], "de an", agency_id=collab) == ["Đề án chợ đầu mối"]
    assert found(world["coord"], "cho", status="due_soon") == ["Báo cáo chợ truyền thống"]
    assert found(world["coord"], "cho", status="overdue") == []
    assert found(world["coord"], "de an cho", step="Phân công chuyên viên") == ["Đề án chợ đầu mối"]


def test_search_finds_only_what_the_user_may_see(world):
    task_led_by(world, HOME_AFFAIRS, "Rà soát tổ chức bộ máy")
    task_led_by(world, LEAD, "Đề án thương mại điện tử", collaborators=[COLLAB_B])
    assert found(world["x_officer"], "so noi vu") == [] and found(world["x_officer"], "de an") == []
    assert found(world["officer"], "so noi vu") == []  # Sở Công Thương takes no part in it
    assert found(world["home"], "so noi vu") == ["Rà soát tổ chức bộ máy"]
    assert found(world["collab_b"], "thuong mai") == ["Đề án thương mại điện tử"]
    assert found(world["viewer"], "so noi vu") == ["Rà soát tổ chức bộ máy"]  # oversight sees every task


# ---------------------------------------------------------------- the pages

def test_the_task_list_search_box_keeps_q_in_pagination_and_says_when_nothing_matches(browser, world):
    for i in range(30):
        new_task(world, collaborators=(), title=f"Đề án số {i:02d}")
    task_led_by(world, HOME_AFFAIRS, "Rà soát tổ chức bộ máy")
    browser.login("coord")
    page = text(browser.client.get("/tasks?q=DE+AN"))
    assert '<label for="f-q">Tìm kiếm <span class="label-note">(không cần gõ dấu)</span></label>' in page
    assert 'value="DE AN"' in page
    assert "Tìm thấy 30 nhiệm vụ khớp với “DE AN”" in page and "Trang 1/2 (30 mục)" in page
    assert "/tasks?page=2&amp;q=DE+AN" in page and "Rà soát" not in page
    second = text(browser.client.get("/tasks?page=2&q=DE+AN"))
    assert "Trang 2/2 (30 mục)" in second and "Rà soát" not in second
    # a page past the end (a link kept from a longer list) is the last page, not "no task yet"
    past = text(browser.client.get("/tasks?page=999&q=DE+AN"))
    assert "Trang 2/2 (30 mục)" in past and "Đề án số " in past and "Chưa có nhiệm vụ nào" not in past

    empty = text(browser.client.get("/tasks?q=khong+co+gi&status=in_progress"))
    assert "Không tìm thấy nhiệm vụ nào khớp với “khong co gi”" in empty
    assert 'href="/tasks?status=in_progress">Xóa từ khóa tìm kiếm</a>' in empty  # other filters kept
    assert "Bỏ mọi bộ lọc" in empty
    escaped = text(browser.client.get("/tasks?q=<b>x</b>"))
    assert "khớp với “&lt;b&gt;x&lt;/b&gt;”" in escaped and "<b>x</b>" not in escaped


def test_the_header_box_searches_the_task_list(browser, world):
    task_led_by(world, HOME_AFFAIRS, "Rà soát tổ chức bộ máy")
    assert 'id="header-q"' not in text(browser.client.get("/login"))  # signed-in users only
    browser.login("home")
    inbox = text(browser.client.get("/inbox"))
    form = inbox[inbox.index('<form class="header-search"'):]
    form = form[:form.index("</form>")]
    assert 'action="/tasks"' in form and 'method="get"' in form and 'role="search"' in form
    assert 'name="q"' in form and '<label for="header-q"' in form
    page = text(browser.client.get("/tasks?q=so+noi+vu"))  # what submitting it asks for
    assert "Rà soát tổ chức bộ máy" in page
    browser.login("x_officer")
    assert "Không tìm thấy nhiệm vụ nào khớp với “so noi vu”" in text(browser.client.get("/tasks?q=so+noi+vu"))


def test_api_task_list_accepts_q(api, world):
    task_led_by(world, HOME_AFFAIRS, "Rà soát tổ chức bộ máy")
    task_led_by(world, LEAD, "Kế hoạch xúc tiến đầu tư")
    body = api.get("/api/v1/tasks?q=so+noi+vu", headers=api.token("coord")).get_json()
    assert body["total"] == 1 and body["items"][0]["title"] == "Rà soát tổ chức bộ máy"
    assert api.get("/api/v1/tasks?q=so+noi+vu", headers=api.token("x_officer")).get_json()["total"] == 0


# ---------------------------------------------------------------- the migration that filled it

def test_the_migration_fills_search_text_for_existing_tasks(world, tmp_path):
    path = tmp_path / "old.db"
    old = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}", "DEPLOY_MODELS_ON_START": False})
    with old.app_context():
        upgrade(revision="0003")
        db.engine.dispose()
    con = sqlite3.connect(path)
    con.executemany("INSERT INTO agency (id, name, aliases, active) VALUES (?, ?, '[]', 1)",
                    [(1, "Sở Nội vụ"), (2, "Sở Tư pháp"), (3, "Sở Đấu thầu")])
    con.execute("INSERT INTO directive (id, number) VALUES (1, '775-CV/TU')")
    con.execute("INSERT INTO task (id, code, title, section, lead_agency_id, directive_id, source_document, "
                "output_type, milestones, state, created_at, kind) VALUES (1, 'NV-00001', 'Rà soát  tổ chức', "
                "'II. Tổ chức', 1, 1, 'Công văn số 775-CV/TU', 'plan', '[]', 'active', '2026-01-01 00:00:00', 'task')")
    con.executemany("INSERT INTO task_collaborator (task_id, agency_id) VALUES (1, ?)", [(3,), (2,)])
    con.commit()
    con.close()
    with old.app_context():
        upgrade()
        stored = db.session.get(Task, 1)
        # the backfill wrote what the flush hook would write
        assert stored.search_text == search.task_text(stored) == (
            "nv-00001 | ra soat to chuc | ii. to chuc | so noi vu | so tu phap | so dau thau | 775-cv/tu | "
            "cong van so 775-cv/tu")
        assert db.session.scalars(select(Task.id).where(search.clause("so noi vu ra soat"))).all() == [1]
        db.session.remove()
        db.engine.dispose()


def test_a_list_filter_naming_nothing_is_said_to_be_ignored(world, browser):
    """`/tasks?status=bogus` and `?agency=abc` listed every task without a word, as if filtered; so did a period
    the scorecard did not understand."""
    browser.login("coord")
    for query, said in (("status=bogus", "Không hiểu trạng thái “bogus”: bộ lọc này được bỏ qua."),
                        ("agency=abc", "Không có đơn vị “abc” trong danh mục: bộ lọc này được bỏ qua."),
                        ("step=Thẩm đinh", "Không có bước “Thẩm đinh” trong quy trình: bộ lọc này được bỏ qua."),
                        ("agency=999999", "Không có đơn vị “999999” trong danh mục: bộ lọc này được bỏ qua.")):
        assert said in browser.client.get(f"/tasks?{query}").get_data(as_text=True), query
    page = browser.client.get("/scorecards?period=abc").get_data(as_text=True)
    assert "Không hiểu kỳ “abc”" in page


def test_a_page_that_finds_nothing_says_what_it_looked_for(world, browser):
    """`/reports?period=2026-H2` (there is no second half-year report; the year's covers it) gave the bare "not
    found" page; the reason the product knows is said. A plain wrong address keeps the page's own explanation."""
    browser.login("coord")
    page = browser.client.get("/reports?kind=half_yearly&period=2026-H2")
    assert page.status_code == 404 and ("Không có báo cáo riêng cho 6 tháng cuối năm: báo cáo năm 2026 (kỳ “2026”) "
                                        "bao gồm cả năm.") in page.get_data(as_text=True)
    page = browser.client.get("/reports?period=2026-Q5")
    assert page.status_code == 404 and "Không tìm thấy kỳ báo cáo “2026-Q5”" in page.get_data(as_text=True)
    page = browser.client.get("/khong-co-trang-nay").get_data(as_text=True)
    assert "Đường dẫn có thể đã sai" in page and "flash-warning" not in page


def test_the_list_pages_in_its_order_and_a_page_past_the_end_is_the_last(world):
    """The page is found by ids and sort keys, then its rows read (an outside check at three years): the pages
    together are the list in its order, each task once, with its lead agency at hand; a page past the end is the
    last, counted once."""
    for n, due in enumerate((date(2026, 9, 30), date(2026, 5, 31), None, date(2026, 7, 31), date(2026, 5, 31))):
        new_task(world, title=f"Nhiệm vụ phân trang {n}", due=due, **({} if due else {"deadline_text": "Thường xuyên"}))
    user = world["officer"]
    whole = reads.list_tasks(user, reads.TaskFilters(), per_page=100).items
    assert [t.due_date for t in whole] == sorted((t.due_date for t in whole), key=lambda d: (d is None, d))
    paged = [t for page in (1, 2, 3) for t in reads.list_tasks(user, reads.TaskFilters(), page=page, per_page=2).items]
    assert paged == whole and len(whole) == 5 and whole[0].lead_agency.name == LEAD
    assert reads.list_tasks(user, reads.TaskFilters(), per_page=20_000).items == whole  # (the export's one page)
    last = reads.list_tasks(user, reads.TaskFilters(), page=40, per_page=2)
    assert (last.page, last.pages, last.total, last.items) == (3, 3, 5, whole[4:])
    assert reads.list_tasks(user, reads.TaskFilters(), page=40, per_page=2, past_end_is_last=False).items == []
