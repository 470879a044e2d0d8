"""The task page as a coordinator and an approver meet it, at a desk (1280 px) and on a phone (390 px):
the diagram opens on the current step, the whole process is one click away, a phone shows the path of steps with
the current one highlighted and the diagram behind a fold, and the approval form says what is being approved.

Screenshots go to test-output/e2e/<test>/.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

PHONE = {"width": 390, "height": 844}


def waiting_at_approval(login_as) -> str:
    """The address of a demo task waiting at "Phê duyệt" (from the approver's inbox)."""
    page = login_as("pheduyet")
    link = page.get_by_role("row").filter(has_text="Phê duyệt").locator('a[href^="/tasks/"]').first
    href = link.get_attribute("href").split("#")[0]
    assert re.fullmatch(r"/tasks/\d+", href), href
    page.context.close()
    return href


def box_inside(inner: dict, outer: dict) -> bool:
    return (outer["x"] - 0.5 <= inner["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
            and outer["y"] - 0.5 <= inner["y"] and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5)


def current_in_view(page) -> bool:
    scroller = page.locator(".diagram-scroll").first
    return box_inside(scroller.locator(".dg-node.dg-current").first.bounding_box(), scroller.bounding_box())


def test_the_diagram_opens_on_the_current_step_at_a_desk(login_as, shot):
    task = waiting_at_approval(login_as)
    page = login_as("dieuphoi")
    page.goto(task)
    diagram = page.locator("#so-do")
    expect(diagram.locator(".diagram-scroll").first).to_be_visible()
    expect(diagram.locator(".step-path").first).to_be_hidden()  # a desk has the drawing
    current = diagram.locator(".diagram-scroll .dg-node.dg-current").first
    expect(current).to_contain_text("ĐANG XỬ LÝ")
    expect(current).to_contain_text("Phê duyệt")
    assert current_in_view(page), "the current step is outside the diagram's visible box"
    diagram.scroll_into_view_if_needed()
    shot(page, "coordinator-1280")

    # the whole process is one click away, in place, and back
    svg = diagram.locator(".diagram-scroll svg").first
    focus_box = svg.get_attribute("viewBox")
    diagram.get_by_role("button", name="Xem toàn bộ quy trình").click()
    assert svg.get_attribute("viewBox") == svg.get_attribute("data-whole-viewbox") != focus_box
    assert current_in_view(page), "the whole view does not show the current step"
    shot(page, "coordinator-1280-whole")
    diagram.get_by_role("button", name="Về bước đang xử lý").click()
    assert svg.get_attribute("viewBox") == focus_box
    # paper cannot scroll: printing shows the whole process, and the page comes back as it was
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    assert svg.get_attribute("viewBox") == svg.get_attribute("data-whole-viewbox")
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    assert svg.get_attribute("viewBox") == focus_box


def test_the_approver_sees_what_is_being_approved(login_as, shot):
    task = waiting_at_approval(login_as)
    page = login_as("pheduyet")
    page.goto(task)
    form = page.locator("section.card[id^=wi]").filter(has=page.get_by_role("button", name="Đồng ý")).first
    summary = form.locator(".approval-summary")
    expect(summary).to_contain_text("Nội dung cần xem xét")
    expect(summary).to_contain_text(page.get_by_role("heading", level=1).inner_text().strip()[:40])
    expect(summary.locator("a[href^='/attachments/']").first).to_be_visible()
    assert summary.bounding_box()["y"] < form.get_by_role("button", name="Đồng ý").bounding_box()["y"]
    shot(page, "approver-1280")
    page.set_viewport_size(PHONE)
    page.goto(task)
    expect(page.locator(".step-path li[aria-current=step]").first).to_be_visible()
    shot(page, "approver-390")


def test_a_phone_shows_the_path_of_steps_and_the_diagram_on_demand(login_as, shot):
    task = waiting_at_approval(login_as)
    page = login_as("dieuphoi")
    page.set_viewport_size(PHONE)
    page.goto(task)
    path = page.locator(".step-path").first
    expect(path).to_be_visible()
    current = path.locator("li[aria-current=step]")
    expect(current).to_have_count(1)
    expect(current).to_contain_text("Đang xử lý")  # in words, not colour alone
    expect(current).to_contain_text("Phê duyệt")
    assert current.evaluate("li => getComputedStyle(li).backgroundColor") != "rgba(0, 0, 0, 0)"  # highlighted
    expect(path.locator("li.sp-done").first).to_contain_text("Đã xong")
    expect(path.locator("li.sp-todo").first).to_contain_text("Sắp tới")
    details = page.locator("details.diagram-details")
    assert not details.evaluate("d => d.open")  # the drawing is folded behind its summary
    expect(page.locator(".diagram-scroll").first).to_be_hidden()
    shot(page, "coordinator-390")

    details.locator("summary").click()
    expect(page.locator(".diagram-scroll").first).to_be_visible()
    assert current_in_view(page), "the opened diagram does not show the current step"
    card = page.locator("#so-do").bounding_box()
    assert card["x"] >= 0 and card["x"] + card["width"] <= PHONE["width"]  # the drawing scrolls in its own box
    shot(page, "coordinator-390-diagram")
