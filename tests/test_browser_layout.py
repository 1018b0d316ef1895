"""Layout in Debian chromium at desktop (1366) and phone (390, 375) widths: no horizontal overflow, no clipped control;
a supporting department's page names each lead; the print view of a department page has no navigation."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from live_server import sign_in
from test_browser import MEASURE, PASSWORD, USER, page, server  # noqa: F401 (shared real server and page)

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/search?q=" + quote("托育"),
    "/search?q=" + quote("没有这种词语的查询qzx"),
    "/departments",
    "/departments/" + quote("市卫健委"),
    "/departments/" + quote("市教育局"),
    f"/items/{MEASURE}",
    "/goals",
    "/targets",
    "/monitoring",
    "/monitoring/domain/health",
    "/monitoring/indicator/health-g8.i3",  # its trend chart is drawn 560 wide
    "/graph",
    "/reviews",
    "/review/queue",
    "/review/queue?department=" + quote("市教育局"),
]

# Elements that overflow or clip: the page wider than the viewport, or a control (button, field, select)
# reaching outside the viewport or outside an ancestor that clips it (overflow other than visible). On a phone a
# wide table may scroll sideways in its own container (a control there is reached by scrolling it); at desktop
# width it must fit.
LAYOUT_JS = """() => {
  const W = document.documentElement.clientWidth, bad = [], phone = W < 600;
  if (document.documentElement.scrollWidth > W + 1) {
    const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > W + 1
      && getComputedStyle(e).position !== 'fixed').slice(0, 3).map(e => e.tagName + '.' + e.className);
    bad.push('page ' + document.documentElement.scrollWidth + 'px wide: ' + wide.join(' '));
  }
  for (const el of document.querySelectorAll('button, input:not([type=hidden]), select, a.button')) {
    const r = el.getBoundingClientRect();
    if (!r.width || !r.height || !el.checkVisibility({visibilityProperty: true})) continue;  // closed <details> too
    const name = el.tagName + ' ' + (el.innerText || el.name || el.id || '').trim().slice(0, 12);
    let scroller = null;
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const cs = getComputedStyle(p);
      if (cs.overflowX === 'visible' && cs.overflowY === 'visible') continue;
      if (phone && (cs.overflowX === 'auto' || cs.overflowX === 'scroll')) { scroller = p; break; }
      const pr = p.getBoundingClientRect();
      if (r.right > pr.right + 1 || r.left < pr.left - 1) {
        bad.push(name + ' clipped by ' + p.tagName + '.' + p.className);
        break;
      }
    }
    if (!scroller && (r.right > W + 1 || r.left < -1)) bad.push(name + ' outside the viewport');
  }
  return bad;
}"""


def _sign_in(pg) -> None:
    sign_in(pg, USER, PASSWORD, f"审核员 {USER}")


@pytest.mark.parametrize("width", [1366, 390, 375])
@pytest.mark.parametrize("signed_in", [False, True])
def test_no_page_overflows(page, width, signed_in):
    page.set_viewport_size({"width": width, "height": 800})
    if signed_in:
        _sign_in(page)
    problems = {}
    for url in PAGES:
        page.goto(url)
        page.wait_for_load_state("load")
        bad = page.evaluate(LAYOUT_JS)
        if bad:
            problems[url] = bad
    assert problems == {}


def test_supporting_department_names_each_lead(page):
    page.goto("/departments/" + quote("市教育局") + "?role=co")
    duties = page.locator("[data-testid=duty]")
    assert duties.count() > 3
    for i in range(duties.count()):
        lead = duties.nth(i).locator("[data-testid=lead-of]")
        assert lead.count() == 1 and lead.inner_text().startswith("牵头单位")
    named = page.locator("[data-testid=lead-of] a")
    assert named.count() >= duties.count() // 2  # most co items have a tagged lead, shown as a link
    page.select_option("#duty-role", "lead")
    page.click("[data-testid=duty-filter] button")
    page.wait_for_url("**role=lead**")
    assert page.locator("[data-testid=lead-of]").count() == 0 and page.locator("[data-testid=duty]").count() > 0


def test_print_view_of_a_department_has_no_navigation(page):
    page.goto("/departments/" + quote("市卫健委"))
    page.emulate_media(media="print")
    for sel in ("nav.nav", "header.site", "form.top-search", "[data-testid=duty-search]", ".downloads"):
        loc = page.locator(sel)
        assert loc.count() == 0 or not loc.first.is_visible(), sel
    header = page.locator("[data-testid=print-header]")
    assert header.is_visible() and "打印日期" in header.inner_text() and "规划" in header.inner_text()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
    page.emulate_media(media="screen")
    assert page.locator("nav.nav").is_visible() and not header.is_visible()


def test_phone_search_facets_first_and_nav_hints_it_scrolls(page):
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto("/search?q=" + quote("托育"))
    facets, first = page.locator("aside.facets"), page.locator("[data-testid=result]").first
    assert facets.bounding_box()["y"] < first.bounding_box()["y"]
    nav = page.locator("nav.nav")
    assert nav.evaluate("n => n.scrollWidth > n.clientWidth")  # it does scroll …
    assert "gradient" in nav.evaluate("n => getComputedStyle(n).maskImage || getComputedStyle(n).webkitMaskImage")


def test_empty_result_help_card_gets_the_width(page):
    page.goto("/search?q=" + quote("没有这种词语的查询qzx"))
    card = page.locator("[data-testid=empty-help]").bounding_box()
    main = page.locator("main").bounding_box()
    assert card["width"] > 0.8 * main["width"]


def test_undo_twice_does_not_reapply(page):
    _sign_in(page)
    page.goto(f"/items/{MEASURE}")
    page.fill("[data-testid=add-dept-form] input[name=department]", "市民政局")
    page.fill("[data-testid=add-dept-form] input[name=reason]", "浏览器撤销测试")
    page.click("[data-testid=add-dept-form] button[type=submit]")
    page.goto("/reviews")
    row = page.locator("[data-testid=audit-row]").filter(has_text="添加 市民政局").first
    assert "为配合单位" in row.locator("[data-testid=summary]").inner_text()
    asked = []
    page.on("dialog", lambda d: (asked.append(d.message), d.accept()))
    row.locator("[data-testid=undo]").click()
    page.wait_for_selector("text=已撤销:添加 市民政局")
    assert asked and "撤销这项修改" in asked[0]  # a confirmation first
    row = page.locator("[data-testid=audit-row]").filter(has_text="添加 市民政局").last
    assert row.locator("[data-testid=undone]").count() == 1 and row.locator("[data-testid=undo]").count() == 0
    undo_row = page.locator("[data-testid=audit-row]").first  # the newest: the undo itself, no 撤销 button
    assert undo_row.locator("[data-testid=undo]").count() == 0 and "撤销:" in undo_row.inner_text()
    page.goto(f"/items/{MEASURE}")
    assert page.locator("[data-testid=dept-row][data-dept='市民政局']").count() == 0
    assert page.errors == []
