"""Accessibility as an official meets it, in a real browser (Debian chromium) on the seeded demo.

* axe-core (bundled by axe-playwright-python) on every main page, each opened by the role that uses
  it: no "critical" or "serious" violation; the minor and moderate ones are printed.
* Phone width (375 px): the document never scrolls sideways (wide tables and the diagram scroll in
  their own box) and every menu entry is on screen.
* Keyboard: "skip to content" is the first Tab stop, focus is visible, Tab reaches the task's actions.
* Status chips carry words; print hides navigation and forms and nothing is wider than A4;
  every form error sits next to its field, which says aria-invalid="true".

Screenshots go to test-output/e2e/ (a11y-phone-*.png, a11y-print-*.png).
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from axe_playwright_python.sync_playwright import Axe

PASSWORD = "demo1234"
OUT = Path(__file__).resolve().parents[2] / "test-output" / "e2e"
PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1280, "height": 900}
A4_PRINTABLE_PX = 700  # 210 mm less two 1.2 cm margins at 96 px per inch ≈ 701 CSS px
AXE = Axe()
# Every rule of axe 4.12's default set runs: nothing is disabled.
AXE_OPTIONS = {"resultTypes": ["violations", "incomplete"]}


# ---------------------------------------------------------------------------------------------
# Browser sessions: one logged-in context per role, shared by the module.

class Sessions:
    def __init__(self, browser, base_url):
        self.browser = browser
        self.base = base_url.rstrip("/")
        self._contexts = {}

    def page(self, role: str, viewport: dict = DESKTOP):
        """The role's page (one signed-in context per role), at the viewport asked for."""
        if role not in self._contexts:
            ctx = self.browser.new_context(viewport=viewport, locale="vi-VN")
            page = ctx.new_page()
            page.set_default_timeout(15_000)
            if role != "anonymous":
                page.goto(self.base + "/login")
                page.fill("#username", role)
                page.fill("#password", PASSWORD)
                page.click("form button[type=submit]")
                page.wait_for_load_state()
                assert "/login" not in page.url, f"{role} could not sign in"
            self._contexts[role] = (ctx, page)
        page = self._contexts[role][1]
        if page.viewport_size != viewport:
            page.set_viewport_size(viewport)
        return page

    def open(self, role: str, path: str, viewport: dict = DESKTOP):
        page = self.page(role, viewport)
        page.goto(self.base + path)
        page.wait_for_load_state()
        return page

    def close(self):
        for ctx, _page in self._contexts.values():
            ctx.close()


@pytest.fixture(scope="module")
def sessions(browser, live_server):
    OUT.mkdir(parents=True, exist_ok=True)
    s = Sessions(browser, live_server)
    yield s
    s.close()


def _path(url: str) -> str:
    p = urlparse(url)
    return p.path + (f"?{p.query}" if p.query else "")


@pytest.fixture(scope="module")
def urls(sessions):
    """Pages whose address depends on the seeded data, found the way a user finds them."""
    found = {}
    # A task waiting for the officer, with its action form (the inbox links to the work item).
    page = sessions.open("chuyenvien", "/inbox")
    href = page.locator("main table a[href*='/tasks/']").first.get_attribute("href")
    found["officer_task"] = href.split("#")[0]
    # A task waiting for the approver's decision (approve / return).
    page = sessions.open("pheduyet", "/inbox")
    found["approver_task"] = page.locator("main table a[href*='/tasks/']").first.get_attribute("href").split("#")[0]
    # An indicator group.
    page = sessions.open("theodoi", "/indicators")
    found["indicator_group"] = page.locator("main a[href*='/indicators/groups/']").first.get_attribute("href")
    # An import preview: the coordinator pastes a small table.
    page = sessions.open("dieuphoi", "/imports")
    page.fill("#text", IMPORT_TABLE)
    page.click("main form button[type=submit]")  # typed into: sent once static/keep.js has asked the server
    page.wait_for_url(re.compile(r"/imports/\d+$"))
    found["import_preview"] = _path(page.url)
    return found


IMPORT_TABLE = """\
PHỤ LỤC II
DANH MỤC NHIỆM VỤ

| STT | Nhiệm vụ | Cơ quan chủ trì | Cơ quan phối hợp | Thời gian hoàn thành | Kết quả/sản phẩm |
|---|---|---|---|---|---|
| 1 | Xây dựng kế hoạch kiểm thử trợ năng | Sở Khoa học và Công nghệ | Sở Nội vụ | Quý II năm 2026 | Kế hoạch |
| 2 | Rà soát biểu mẫu điện tử | Sở Nội vụ | Các sở, ban, ngành | Tháng 9/2026 | Báo cáo |
"""


# ---------------------------------------------------------------------------------------------
# 1. axe-core

# (label, role, path or key of `urls`)
AXE_PAGES = [
    ("login", "anonymous", "/login"),
    ("inbox-coordinator", "dieuphoi", "/inbox"),
    ("inbox-officer", "chuyenvien", "/inbox"),
    ("inbox-head", "lanhdao", "/inbox"),
    ("inbox-appraiser", "thamdinh", "/inbox"),
    ("inbox-approver", "pheduyet", "/inbox"),
    ("inbox-viewer", "theodoi", "/inbox"),
    ("inbox-admin", "quantri", "/inbox"),
    ("task-list", "chuyenvien", "/tasks"),
    ("task-officer", "chuyenvien", "officer_task"),
    ("task-viewer", "theodoi", "officer_task"),
    ("task-new", "dieuphoi", "/tasks/new"),
    ("dashboard", "theodoi", "/dashboard"),
    ("exports", "dieuphoi", "/exports"),
    ("exports-week", "dieuphoi", "/exports/week"),
    ("imports", "dieuphoi", "/imports"),
    ("import-preview", "dieuphoi", "import_preview"),
    ("reports", "dieuphoi", "/reports"),
    ("indicators", "theodoi", "/indicators"),
    ("indicator-group", "theodoi", "indicator_group"),
    ("notifications", "chuyenvien", "/notifications"),
    ("admin-models", "quantri", "/admin/models"),
    ("admin-model", "quantri", "/admin/models/approval_cycle"),
    ("admin-holidays", "quantri", "/admin/holidays"),
    ("admin-users", "quantri", "/admin/users"),
    ("admin-user-new", "quantri", "/admin/users/new"),
    ("admin-agencies", "quantri", "/admin/agencies"),
    ("head-people", "lanhdao", "/admin/users"),
    ("account-password", "chuyenvien", "/account/password"),
    ("error-403", "chuyenvien", "/admin/models"),
    ("error-404", "chuyenvien", "/tasks/99999999"),
]


def _resolve(path_or_key: str, urls: dict) -> str:
    return path_or_key if path_or_key.startswith("/") else urls[path_or_key]


def _axe_report(violations) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}), {len(v['nodes'])}×: {v['help']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {(node.get('failureSummary') or '').splitlines()[-1:]}")
    return "\n".join(lines)


def _axe(page, label: str = ""):
    response = AXE.run(page, options=AXE_OPTIONS).response
    review = [f"{v['id']} ({len(v['nodes'])}×)" for v in response.get("incomplete", [])]
    if review and label:
        print(f"\n[{label}] axe could not decide, look yourself: {', '.join(review)}")
    return response["violations"]


@pytest.mark.parametrize("label,role,where", AXE_PAGES, ids=[p[0] for p in AXE_PAGES])
def test_axe_no_serious_violation(sessions, urls, label, role, where):
    page = sessions.open(role, _resolve(where, urls))
    if label == "error-403":
        assert page.locator("h1").first.inner_text().strip(), "the 403 page has a heading"
    violations = _axe(page, label)
    minor = [v for v in violations if v["impact"] not in ("critical", "serious")]
    if minor:
        print(f"\n[{label}] minor/moderate:\n{_axe_report(minor)}")
    serious = [v for v in violations if v["impact"] in ("critical", "serious")]
    assert not serious, f"{label} ({role} {page.url}):\n{_axe_report(serious)}"


def _submit_empty_task(sessions):
    page = sessions.open("dieuphoi", "/tasks/new")
    page.click("main form button[type=submit]:not([name])")
    page.wait_for_load_state()
    return page


def _return_without_reason(sessions, urls):
    page = sessions.open("pheduyet", urls["approver_task"])
    page.click("main button[name=decision][value=return]")
    page.wait_for_load_state()
    return page


def _extension_without_reason(sessions, urls):
    page = sessions.open("chuyenvien", urls["officer_task"])
    page.locator("#extension summary").click()
    page.locator("#extension button[type=submit]").click()
    page.wait_for_load_state()
    return page


ERROR_FORMS = {
    "task-new-empty": _submit_empty_task,
    "return-without-reason": _return_without_reason,
    "extension-empty": _extension_without_reason,
}


@pytest.mark.parametrize("label", list(ERROR_FORMS))
def test_form_errors_accessible_and_next_to_their_field(sessions, urls, label):
    make = ERROR_FORMS[label]
    page = make(sessions) if label == "task-new-empty" else make(sessions, urls)
    assert page.locator("main [aria-invalid=true]").count() > 0, f"{label}: no field marked invalid ({page.url})"
    serious = [v for v in _axe(page) if v["impact"] in ("critical", "serious")]
    assert not serious, f"{label}:\n{_axe_report(serious)}"

    problems = page.evaluate(FIELD_ERRORS_JS)
    assert problems["errors"] > 0, f"{label}: the refused form shows no field error ({page.url})"
    assert not problems["bad"], f"{label}: " + "; ".join(problems["bad"])
    page.screenshot(path=str(OUT / f"a11y-form-errors-{label}.png"), full_page=True)


# Every visible field error must be (a) inside the container of its control and referenced by the
# control's aria-describedby, and (b) that control (or each control of a group) says aria-invalid.
FIELD_ERRORS_JS = """
() => {
  const bad = [];
  const errors = [...document.querySelectorAll('main .field-errors')].filter(e => e.offsetParent !== null);
  for (const err of errors) {
    const row = err.closest('.form-row, fieldset');
    const text = err.innerText.trim();
    if (!text) { bad.push('an empty error element'); continue; }
    if (!row) { bad.push(`"${text}" is not inside a field container`); continue; }
    const controls = [...row.querySelectorAll('input:not([type=hidden]), select, textarea')];
    if (!controls.length) { bad.push(`"${text}" has no control beside it`); continue; }
    const referenced = [row, ...controls].some(el =>
      (el.getAttribute('aria-describedby') || '').split(/\\s+/).includes(err.id));
    if (!err.id || !referenced) bad.push(`"${text}" is not referenced by aria-describedby`);
    for (const c of controls) {
      if (c.getAttribute('aria-invalid') !== 'true')
        bad.push(`${c.name || c.id} next to "${text}" lacks aria-invalid="true"`);
    }
  }
  return {errors: errors.length, bad};
}
"""


# ---------------------------------------------------------------------------------------------
# 2. Phone width

PHONE_PAGES = [
    ("login", "anonymous", "/login"),
    ("inbox", "chuyenvien", "/inbox"),
    ("task-list", "chuyenvien", "/tasks"),
    ("task", "chuyenvien", "officer_task"),
    ("task-new", "dieuphoi", "/tasks/new"),
    ("dashboard", "theodoi", "/dashboard"),
    ("exports", "dieuphoi", "/exports"),
    ("import-preview", "dieuphoi", "import_preview"),
    ("reports", "dieuphoi", "/reports"),
    ("indicator-group", "theodoi", "indicator_group"),
    ("notifications", "chuyenvien", "/notifications"),
    ("admin-models", "quantri", "/admin/models"),
    ("admin-holidays", "quantri", "/admin/holidays"),
    ("admin-users", "quantri", "/admin/users"),
    ("admin-agencies", "quantri", "/admin/agencies"),
    ("account-password", "chuyenvien", "/account/password"),
]

# Elements wider than the screen that are allowed, because they scroll inside their own box.
OVERFLOW_JS = """
(width) => {
  const doc = document.documentElement;
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const culprits = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= width + 1) continue;
    // inside a box that scrolls by itself (and is on screen): fine
    let p = el.parentElement, boxed = false;
    while (p && p !== document.body) {
      const ox = getComputedStyle(p).overflowX;
      if ((ox === 'auto' || ox === 'scroll' || ox === 'hidden') && p.getBoundingClientRect().right <= width + 1) {
        boxed = true; break;
      }
      p = p.parentElement;
    }
    if (!boxed) culprits.push(`${name(el)} right=${Math.round(r.right)}`);
  }
  return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, culprits: culprits.slice(0, 8)};
}
"""


@pytest.mark.parametrize("label,role,where", PHONE_PAGES, ids=[p[0] for p in PHONE_PAGES])
def test_phone_width_no_sideways_scroll(sessions, urls, label, role, where):
    page = sessions.open(role, _resolve(where, urls), viewport=PHONE)
    page.screenshot(path=str(OUT / f"a11y-phone-{label}.png"), full_page=True)
    res = page.evaluate(OVERFLOW_JS, PHONE["width"])
    assert res["scrollWidth"] <= res["clientWidth"] + 1, (
        f"{label}: the page scrolls sideways at 375 px ({res['scrollWidth']} > {res['clientWidth']}): "
        f"{res['culprits']}")
    assert not res["culprits"], f"{label}: sticks out of the screen: {res['culprits']}"



def test_phone_reports_summary_shows_every_count_without_scrolling(sessions):
    page = sessions.open("dieuphoi", "/reports", viewport=PHONE)
    summary = page.locator("section[aria-labelledby='summary-title'] table")
    assert summary.locator("th").last.inner_text().split() == ["Quá", "hạn"]
    for cell in (summary.locator("th").last, summary.locator("td").last):
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box

def test_phone_reports_list_reads_as_cards_every_cell_on_screen_and_labelled(sessions):
    """An outside check: the list of reports stayed a six-column table on a phone — titles one word a line, the
    status chip cut to "Chưa báo c", the step and the holder only reached by scrolling inside it."""
    page = sessions.open("dieuphoi", "/reports", viewport=PHONE)
    row = page.locator("table.cards-on-phone tbody tr").first
    for label in ("Hạn nộp", "Trạng thái", "Bước hiện tại", "Người/đơn vị đang giữ"):
        cell = row.locator(f"td[data-label='{label}']")
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], (label, box)
        assert cell.evaluate("td => getComputedStyle(td, '::before').content").startswith(f'"{label}')


def test_phone_a_table_wider_than_the_screen_is_reached_and_scrolled_by_keyboard(sessions, urls):
    """An outside check: on a phone the indicators' table showed 3 of its columns in a 364 px box; Tab passed only
    its links in the left column and the arrow keys moved it 4 px — the targets and figures out of a keyboard's
    reach. The box takes the focus, is named after its table, and the arrow keys scroll it."""
    page = sessions.open("theodoi", urls["indicator_group"], viewport=PHONE)
    box = page.get_by_role("region", name=re.compile("^Chỉ tiêu của nhóm"))
    assert box.evaluate("el => el.scrollWidth > el.clientWidth")
    box.focus()
    assert box.evaluate("el => getComputedStyle(el).outlineStyle") != "none"  # where the focus is, seen
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    box.evaluate("el => new Promise(done => { const t0 = Date.now(); (function wait() {"
                  " el.scrollLeft >= 200 || Date.now() - t0 > 5000 ? done() : setTimeout(wait, 50); })(); })")
    assert box.evaluate("el => el.scrollLeft") >= 200  # (the keys scroll smoothly: waited for, up to 5 s)
    page.set_viewport_size(DESKTOP)


@pytest.mark.parametrize("role", ["dieuphoi", "quantri"])
def test_phone_menu_every_entry_on_screen_and_usable(sessions, role):
    page = sessions.open(role, "/inbox", viewport=PHONE)
    links = page.locator("header nav a")
    assert links.count() >= 4
    # folded behind one button, so the page starts with its own content
    toggle = page.get_by_role("button", name=re.compile("^Menu"))
    assert toggle.get_attribute("aria-expanded") == "false" and not links.first.is_visible()
    assert page.get_by_role("heading", level=1).bounding_box()["y"] < 120
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    for i in range(links.count()):
        link = links.nth(i)
        assert link.is_visible(), link.inner_text()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1, (link.inner_text(), box)
        assert box["height"] >= 24, f"{link.inner_text()!r} is too small to tap: {box}"
    # the last entry really opens its page at that width
    last = links.nth(links.count() - 1)
    href = last.get_attribute("href")
    last.click()
    page.wait_for_load_state()
    assert urlparse(page.url).path == urlparse(href).path
    page.get_by_role("button", name=re.compile("^Menu")).click()
    for name in ("#header-q", "header button[type=submit]"):
        box = page.locator(name).first.bounding_box()
        assert box["x"] + box["width"] <= PHONE["width"] + 1, (name, box)
    # Escape folds it again and gives the focus back to the button
    page.keyboard.press("Escape")
    assert not links.first.is_visible()
    assert page.evaluate("document.activeElement.className") == "menu-toggle"


def test_dashboard_filters_fold_on_a_phone_and_open_on_a_tap(sessions):
    page = sessions.open("theodoi", "/dashboard", viewport=PHONE)
    summary = page.locator("details.fold-on-phone > summary")
    assert summary.is_visible() and not page.get_by_label("Đơn vị chủ trì", exact=True).is_visible()
    assert page.get_by_role("heading", name="Tổng hợp theo trạng thái").bounding_box()["y"] < 400
    summary.click()
    assert page.get_by_label("Đơn vị chủ trì", exact=True).is_visible()
    page = sessions.open("theodoi", "/dashboard", viewport=DESKTOP)
    assert page.get_by_label("Đơn vị chủ trì", exact=True).is_visible() and not summary.is_visible()


@pytest.mark.parametrize("width", [PHONE["width"], 320])
def test_phone_chart_key_read_without_scrolling_sideways(sessions, width):
    # the chart itself scrolls sideways on a phone; its key must not (three of seven entries were off screen)
    page = sessions.open("theodoi", "/dashboard", viewport={"width": width, "height": 812})
    figure = page.locator("figure.chart-figure").first
    shown = figure.bounding_box()
    entries = figure.locator("g.legend-item")
    assert entries.count() == 7
    for i in range(entries.count()):
        box = entries.nth(i).bounding_box()
        assert box["x"] >= shown["x"] - 1 and box["x"] + box["width"] <= shown["x"] + shown["width"], \
            entries.nth(i).text_content()


def test_menu_button_only_on_a_phone_and_the_menu_shown_without_javascript(sessions, browser, live_server):
    page = sessions.open("chuyenvien", "/inbox", viewport=DESKTOP)
    assert page.locator("header nav a").first.is_visible() and not page.locator(".menu-toggle").is_visible()
    ctx = browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        plain = ctx.new_page()
        plain.goto(live_server + "/login")
        plain.fill("#username", "chuyenvien")
        plain.fill("#password", PASSWORD)
        plain.click("form button[type=submit]")
        plain.wait_for_load_state()
        assert plain.locator("header nav a").first.is_visible()  # nothing hidden that no button can open
        assert not plain.locator(".menu-toggle").is_visible()
    finally:
        ctx.close()


# ---------------------------------------------------------------------------------------------
# 3. Keyboard

def _active(page) -> dict:
    return page.evaluate("""() => {
      const el = document.activeElement;
      const cs = getComputedStyle(el);
      return {tag: el.tagName.toLowerCase(), cls: el.className, id: el.id, name: el.getAttribute('name'),
              value: el.getAttribute('value'), type: el.getAttribute('type'), text: (el.innerText || '').trim(),
              outline: cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2,
              shadow: cs.boxShadow !== 'none',
              visible: !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)};
    }""")


@pytest.mark.parametrize("role,where", [("anonymous", "/login"), ("chuyenvien", "/inbox"),
                                        ("theodoi", "/dashboard")])
def test_skip_link_is_first_tab_stop(sessions, urls, role, where):
    page = sessions.open(role, where)
    page.keyboard.press("Tab")
    first = _active(page)
    assert first["tag"] == "a" and "skip-link" in first["cls"], first
    box = page.locator(".skip-link").bounding_box()
    assert box["y"] >= 0 and box["height"] > 10, f"the skip link is focused but off screen: {box}"
    assert first["outline"] or first["shadow"]
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_tab_reaches_task_actions_and_focus_is_visible(sessions, urls):
    page = sessions.open("chuyenvien", urls["officer_task"])
    decisions = page.locator("main button[name=decision]")
    assert decisions.count() >= 1, "the officer's task page has an action form"
    wanted = {b.get_attribute("value") for b in decisions.all()}
    reached, kinds, invisible = set(), {}, []
    for _ in range(250):
        page.keyboard.press("Tab")
        a = _active(page)
        if a["tag"] == "body":
            break
        if not (a["outline"] or a["shadow"]):
            invisible.append(a)
        kind = "input" if a["tag"] in ("input", "textarea", "select") else a["tag"]
        kinds.setdefault(kind, a)
        if a["tag"] == "button" and a["name"] == "decision":
            reached.add(a["value"])
            if reached == wanted:
                break
    assert reached == wanted, f"Tab reached {reached}, the form offers {wanted}"
    assert {"a", "button", "input"} <= set(kinds), kinds
    assert not invisible, f"focus is not visible on: {invisible[:5]}"


# ---------------------------------------------------------------------------------------------
# 4. Status chips carry words

@pytest.mark.parametrize("role,where", [("chuyenvien", "/inbox"), ("chuyenvien", "/tasks"),
                                        ("theodoi", "/dashboard"), ("theodoi", "officer_task")])
def test_status_chips_have_words(sessions, urls, role, where):
    page = sessions.open(role, _resolve(where, urls))
    chips = page.locator("main .chip")
    assert chips.count() > 0, f"no status chip on {where}"
    texts = chips.all_inner_texts()
    assert all(t.strip() for t in texts), f"a chip without words on {where}: {texts}"


# ---------------------------------------------------------------------------------------------
# 5. Print

PRINT_JS = """
(limit) => {
  const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
    (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
  const shown = sel => [...document.querySelectorAll(sel)].filter(e => e.getClientRects().length > 0).map(name);
  const wide = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    // a diagram opened on its current step clips the rest of its drawing to its own (fitting) box
    const clip = el.parentElement && el.parentElement.closest('svg');
    if (clip && clip.getBoundingClientRect().right <= limit + 1) continue;
    if (r.width > 0 && r.right > limit + 1) wide.push(`${name(el)} right=${Math.round(r.right)}`);
  }
  return {nav: shown('header, nav, .skip-link, footer'),
          forms: shown('main form, main button, main input, main select, main summary'),
          wide: wide.slice(0, 8), scrollWidth: document.documentElement.scrollWidth,
          text: document.querySelector('main').innerText.length};
}
"""


# The officer's view of the task page is the one with forms to hide; the viewer's dashboard has the filters.
@pytest.mark.parametrize("label,role,where", [("task", "chuyenvien", "officer_task"),
                                              ("dashboard", "theodoi", "/dashboard")])
def test_print_hides_navigation_and_forms_and_fits_a4(sessions, urls, label, role, where):
    page = sessions.page(role, {"width": A4_PRINTABLE_PX, "height": 1000})
    page.emulate_media(media="print")
    try:
        page.goto(sessions.base + _resolve(where, urls))
        page.wait_for_load_state()
        page.screenshot(path=str(OUT / f"a11y-print-{label}.png"), full_page=True)
        res = page.evaluate(PRINT_JS, A4_PRINTABLE_PX)
    finally:
        page.emulate_media(media="screen")
    assert res["text"] > 200, "the printed page has its content"
    assert not res["nav"], f"{label}: navigation printed: {res['nav']}"
    assert not res["forms"], f"{label}: forms printed: {res['forms'][:8]}"
    assert res["scrollWidth"] <= A4_PRINTABLE_PX + 1 and not res["wide"], (
        f"{label}: wider than A4 ({res['scrollWidth']} px): {res['wide']}")


# ---------------------------------------------------------------------------------------------
# 6. The first ten minutes: every role lands on a page that says what to do next

LANDING = {
    "dieuphoi": "Tổ giúp việc", "chuyenvien": "Chuyên viên", "lanhdao": "Lãnh đạo đơn vị",
    "thamdinh": "Cơ quan thẩm định", "pheduyet": "Cấp có thẩm quyền", "theodoi": "Lãnh đạo theo dõi",
    "quantri": "Quản trị hệ thống",
}


@pytest.mark.parametrize("role", list(LANDING))
def test_each_role_lands_on_a_page_that_says_what_to_do(sessions, role):
    page = sessions.open(role, "/")
    if role == "theodoi":  # holds no work items: starts on the figures, and the inbox says why it is empty
        assert urlparse(page.url).path == "/dashboard"
        assert page.locator("main h1").inner_text().strip() == "Theo dõi tiến độ"
        page = sessions.open(role, "/inbox")
    assert urlparse(page.url).path == "/inbox"
    assert page.locator("main h1").inner_text().strip() == "Việc cần xử lý"
    hint = page.locator("main .role-hint")
    assert hint.count() == 1 and hint.first.inner_text().startswith(LANDING[role]), hint.all_inner_texts()
    # either the work waiting, or an empty state saying what will appear here
    rows = page.locator("main table tbody tr").count()
    assert rows > 0 or "sẽ hiện ở đây" in page.locator("main .empty").inner_text()
    # every "go to" link of the hint opens a page this role may see
    for href in [a.get_attribute("href") for a in hint.locator("a").all()]:
        target = sessions.open(role, href)
        assert "không có quyền" not in target.locator("main h1").inner_text().lower(), href
