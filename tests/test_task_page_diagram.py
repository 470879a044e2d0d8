"""The task page's diagram opens on the current step (a cropped viewBox, computed on the server), the whole process
is one link away, and the path of steps is a list that names the current step in words."""

from __future__ import annotations

import re

import pytest
from lxml import etree

from tests.conftest import act, new_task, open_items
from workflows.process import diagram, svg

SVG = "{http://www.w3.org/2000/svg}"


def numbers(text: str) -> list[float]:
    return [float(n) for n in text.split()]


def root_of(svg_text: str):
    return etree.fromstring(svg_text.encode("utf-8"))


def step_box(root, step_id: str) -> tuple[float, float, float, float]:
    """The box of a step's shape (its first rect)."""
    [group] = root.findall(f".//{SVG}g[@data-element='{step_id}']")
    rect = group.find(f"{SVG}rect")
    return tuple(float(rect.get(k)) for k in ("x", "y", "width", "height"))


def inside(box, view) -> bool:
    x, y, w, h = box
    vx, vy, vw, vh = view
    return vx <= x and x + w <= vx + vw and vy <= y and y + h <= vy + vh


@pytest.fixture
def at_approval(world):
    """A plan waiting at "Phê duyệt" (the far right of the drawing): drafted, commented, finalised, signed off,
    appraised."""
    task = new_task(world)
    for step in ("assign", "draft", "give_opinion", "give_opinion", "sign_opinion", "sign_opinion", "finalise",
                 "signoff", "appraise"):
        act(world, task, step)
    return task


def test_the_diagram_opens_on_the_current_step_far_right(at_approval):
    [main] = diagram.task_diagrams(at_approval)
    assert main.focusable and main.focused
    root = root_of(main.svg)
    view, whole = numbers(root.get("viewBox")), numbers(root.get("data-whole-viewbox"))
    assert view[2] < whole[2]  # cropped: the drawing is wider than the page
    assert view[2] <= svg.FOCUS_WIDTH and float(root.get("width")) == view[2]  # natural size, no shrinking
    assert inside(step_box(root, "approve"), view)  # the current step is in the box the page opens on
    assert not inside(step_box(root, "assign"), view)  # the first step, far left, is not
    assert root.get("data-focus-viewbox") == root.get("viewBox")
    # the lane names are pinned at the window's left: the current step's lane stays named
    pinned = root.find(f"{SVG}g[@class='dg-pinned']")
    assert pinned is not None
    assert "Cấp có thẩm quyền" in " ".join(pinned.itertext())
    shift = float(re.match(r"translate\(([-\d.]+)", pinned.get("transform")).group(1))
    assert shift == pytest.approx(view[0] - 100)  # the pool's left edge in the file is 100


def test_the_whole_process_is_one_request_away(at_approval):
    [main] = diagram.task_diagrams(at_approval, focus=False)
    root = root_of(main.svg)
    assert main.focusable and not main.focused
    assert root.get("viewBox") == root.get("data-whole-viewbox")
    assert "is-whole" in root.get("class")  # the pinned lane names are hidden (CSS)
    for step in ("assign", "approve", "confirm"):
        assert inside(step_box(root, step), numbers(root.get("viewBox")))


def test_a_step_at_the_left_opens_from_the_left_edge(world):
    task = new_task(world)
    [main] = diagram.task_diagrams(task)
    root = root_of(main.svg)
    view, whole = numbers(root.get("viewBox")), numbers(root.get("data-whole-viewbox"))
    assert view[0] == whole[0] and inside(step_box(root, "assign"), view)
    assert root.find(f"{SVG}g[@class='dg-pinned']") is None  # the file's own lane names are in view


def test_a_finished_process_is_shown_whole(world):
    task = new_task(world, output_type="letter")
    while task.state != "done":
        task = act(world, task, open_items(task)[0].step_id)
    [main] = diagram.task_diagrams(task)
    root = root_of(main.svg)
    assert not main.focusable and root.get("data-focus-viewbox") is None
    assert [s.state for s in main.steps] == ["done"] * len(main.steps)


def test_the_step_list_names_done_current_and_coming_steps(at_approval):
    [main] = diagram.task_diagrams(at_approval)
    rows = [(s.step_id, s.state) for s in main.steps]
    assert rows == [("assign", "done"), ("draft", "done"), ("give_opinion", "done"), ("sign_opinion", "done"),
                    ("finalise", "done"),
                    ("signoff", "done"), ("appraise", "done"), ("approve", "current"), ("report", "todo"),
                    ("confirm", "todo")]
    current = main.steps[7]
    assert current.holders == ["UBND tỉnh"] and current.unclaimed and current.at is not None
    signoff = main.steps[5]
    assert signoff.decision == "approve" and "Ông/Bà head" in signoff.actor


def test_steps_to_come_that_the_routing_may_skip_say_so(world):
    task = new_task(world)
    act(world, task, "assign")
    [main] = diagram.task_diagrams(task)
    coming = {s.step_id: s.optional for s in main.steps if s.state == "todo"}
    # in the order they come: the opinion round's two steps before the lead finalises
    assert list(coming) == ["give_opinion", "sign_opinion", "finalise", "signoff", "appraise", "approve",
                            "report", "confirm"]
    # only with collaborators / when appraisal is needed
    assert coming["give_opinion"] and coming["sign_opinion"] and coming["appraise"]
    assert not coming["finalise"] and not coming["approve"] and not coming["confirm"]


def test_the_page_lists_the_path_with_the_current_step_marked_in_words(at_approval, browser):
    browser.login("coord")
    html = browser.client.get(f"/tasks/{at_approval.id}").get_data(as_text=True)
    path = html[html.index('<ol class="step-path"'):]
    path = path[:path.index("</ol>")]
    [current] = re.findall(r'<li class="sp sp-current"[^>]*aria-current="step">(.*?)</li>', path, re.S)
    assert "Đang xử lý" in current and "Phê duyệt" in current and "UBND tỉnh" in current
    assert path.count('class="sp sp-done') == 7 and path.count('class="sp sp-todo') == 2
    assert path.index("Phân công chuyên viên") < path.index("Phê duyệt") < path.index("Xác nhận hoàn thành")
    # the drawing opens on the step, folds on a phone (details.fold-on-phone, served open), and the whole
    # process is a link away that works without JavaScript
    assert '<details class="diagram-details fold-on-phone" open>' in html
    link = re.search(r'<a class="diagram-switch" href="([^"]+)"[^>]*>([^<]+)</a>', html)
    assert link.group(2) == "Xem toàn bộ quy trình" and "diagram=whole" in link.group(1)
    whole = browser.client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    root = root_of(re.search(r"<svg xmlns=.*?</svg>", whole[whole.index('class="diagram-scroll"'):], re.S).group(0))
    assert root.get("viewBox") == root.get("data-whole-viewbox")
    assert re.search(r'<a class="diagram-switch" href="[^"?]+#dgcap\d+"[^>]*>Về bước đang xử lý</a>', whole)
