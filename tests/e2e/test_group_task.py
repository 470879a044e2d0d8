"""A task owed by every ward (issue 18): a ward officer on a 375 px phone finds the ward's own task and sends its
report; the ward's head signs it, the coordinator accepts it, and the group task's page counts one more ward
done. The demo's task of Kế hoạch 07-KH/BCĐ is owed by its 19 wards; UBND phường Hạc Thành has not started."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.test_accessibility import OVERFLOW_JS, PHONE
from tests.e2e.test_journeys import Person, documents, task_id_of  # noqa: F401 - documents is a fixture

TITLE = "Rà soát, nâng cấp bảo đảm đồng bộ"
DONE = re.compile(r"(\d+)/19 đơn vị đã hoàn thành")


def done_wards(page) -> int:
    return int(DONE.search(page.get_by_role("region", name=re.compile("^Giao cho nhóm")).inner_text()).group(1))


def test_a_ward_officer_on_a_phone_sends_the_ward_report_and_the_group_task_moves(login_as, shot,
                                                                                   documents):  # noqa: F811
    coordinator = Person(login_as("dieuphoi"), "coordinator", shot)
    coordinator.nav("Theo dõi tiến độ")
    groups = coordinator.page.get_by_role("region", name=re.compile("^Nhiệm vụ giao cho nhóm đơn vị"))
    groups.get_by_role("row").filter(has_text=TITLE).get_by_role("link").click()
    group_task = task_id_of(coordinator.page)
    before = done_wards(coordinator.page)
    expect(coordinator.page.get_by_role("region", name=re.compile("^Đơn vị chưa hoàn thành"))).to_contain_text(
        "UBND phường Hạc Thành")
    coordinator.shot("group-task-before")

    page = login_as("phuong", viewport=PHONE)  # a phone from the start, as the officer holds it
    officer = Person(page, "ward-officer-phone", shot)
    row = page.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_contain_text("Xây dựng báo cáo/văn bản")
    officer.shot("inbox")
    row.get_by_role("link").first.click()
    ward_task = task_id_of(page)
    expect(page.get_by_text("Một phần của nhiệm vụ giao cho UBND các xã, phường")).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(r"^NV-"))).to_have_count(0)  # the group task is not theirs
    page.wait_for_load_state("load")
    wide = page.evaluate(OVERFLOW_JS, PHONE["width"])  # nothing wider than the phone
    assert wide["scrollWidth"] <= wide["clientWidth"] + 1 and not wide["culprits"], wide
    officer.shot("ward-task")
    officer.act("Xây dựng báo cáo/văn bản", attach={"Tệp báo cáo/văn bản": documents["bao-cao-thang.docx"]})

    head = Person(login_as("ld.ubndphuonghacthanh"), "ward-head", shot)
    head.open_item(ward_task, "Lãnh đạo đơn vị ký duyệt")
    head.act("Lãnh đạo đơn vị ký duyệt", "approve")
    coordinator.open_item(ward_task, "Tiếp nhận kết quả")
    coordinator.act("Tiếp nhận kết quả", "approve")

    coordinator.goto(f"/tasks/{group_task}")
    assert done_wards(coordinator.page) == before + 1
    done = coordinator.page.get_by_text(re.compile(r"^Đơn vị đã hoàn thành \(\d+\)"))
    done.click()
    expect(coordinator.page.get_by_role("row").filter(has_text="UBND phường Hạc Thành")).to_contain_text(
        "Hoàn thành")
    coordinator.shot("group-task-after")
