"""The plan switcher in Debian chromium against the real server over a two-plan build, at desktop (1366) and phone
(390) widths: switching keeps the plan in the URL, shows that plan's duties, and no page overflows sideways."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlparse

import pytest
from live_server import desktop_page, serve
from test_browser_layout import LAYOUT_JS
from test_plans_ui import CHILDREN, WOMEN, two_plan_build  # noqa: F401 (the two-plan build fixture)

pytestmark = pytest.mark.browser
PAGES = ["/", "/plans", "/departments", "/departments/" + quote("市卫健委"), "/graph"]


@pytest.fixture(scope="module")
def plans_server(two_plan_build, tmp_path_factory):
    with serve(two_plan_build, tmp_path_factory.mktemp("plans-e2e")) as base:
        yield base


@pytest.fixture
def pg(browser, plans_server):
    with desktop_page(browser, plans_server) as page:
        yield page


@pytest.mark.parametrize("width", [1366, 390])
def test_switching_plan_keeps_it_in_the_url(pg, width):
    pg.set_viewport_size({"width": width, "height": 800})
    pg.goto("/departments/" + quote("市卫健委") + "?role=lead")
    switcher = pg.locator("[data-testid=plan-switcher]")
    assert switcher.is_visible()
    switcher.locator("select").select_option(WOMEN)
    switcher.locator("button").click()
    pg.wait_for_load_state("load")
    query = parse_qs(urlparse(pg.url).query)
    assert query["plan"] == [WOMEN] and query["role"] == ["lead"]  # the other choices survive the switch
    items = pg.locator("[data-testid=duty]")
    assert items.count() > 0
    assert all(i.startswith(WOMEN + ":") for i in items.evaluate_all("els => els.map(e => e.dataset.item)"))
    assert pg.locator("#plan-pick").input_value() == WOMEN


@pytest.mark.parametrize("width", [1366, 390])
def test_no_plan_page_overflows(pg, width):
    pg.set_viewport_size({"width": width, "height": 800})
    problems = {}
    for url in PAGES + [f"{p}{'&' if '?' in p else '?'}plan={CHILDREN}" for p in PAGES if p != "/plans"]:
        pg.goto(url)
        pg.wait_for_load_state("load")
        bad = pg.evaluate(LAYOUT_JS)
        if bad:
            problems[url] = bad
    assert problems == {}
