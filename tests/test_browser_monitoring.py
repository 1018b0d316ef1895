"""Browser: a signed-in reviewer enters a yearly value on the domain dashboard and sees the status change."""

from __future__ import annotations

import threading

import pytest
from monitoring_helpers import MGMT, PASSWORD, app_for

pytestmark = pytest.mark.browser


@pytest.fixture
def server(mon_kb):
    """The app on a free local port in a thread; yields its base URL."""
    from werkzeug.serving import make_server

    from kb.store.users import add_user

    add_user("李四", PASSWORD)
    srv = make_server("127.0.0.1", 0, app_for(mon_kb), threaded=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}"
    srv.shutdown()
    t.join()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(locale="zh-CN")
    yield ctx.new_page()
    ctx.close()


def test_enter_value_and_see_status_change(server, page):
    page.goto(f"{server}/login?next=/monitoring/domain/health")
    page.fill("input[name=name]", "李四")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form:has(input[name=password]) [type=submit]").click()
    page.wait_for_url("**/monitoring/domain/health")
    row = page.locator(f'tr[data-indicator="{MGMT}"]')
    assert row.locator("[data-status]").first.get_attribute("data-status") == "nodata"
    form = row.locator("form.mon-entry")
    form.locator("select[name=year]").select_option("2021")
    form.locator("input[name=value]").fill("93.5")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/monitoring/domain/health")
    row = page.locator(f'tr[data-indicator="{MGMT}"]')
    assert row.locator("[data-status]").first.get_attribute("data-status") == "met"
    assert row.locator('td.mon-val[data-year="2021"]').inner_text() == "93.5"
    assert "已保存 2021年 93.5%" in page.locator(".flash").inner_text()
    # a later, lower value turns it red; the indicator page shows who entered what
    form = row.locator("form.mon-entry")
    form.locator("select[name=year]").select_option("2022")
    form.locator("input[name=value]").fill("88")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/monitoring/domain/health")
    row = page.locator(f'tr[data-indicator="{MGMT}"]')
    assert row.locator("[data-status]").first.get_attribute("data-status") == "unmet"
    row.locator("th a").first.click()
    page.wait_for_url("**/monitoring/indicator/**")
    assert page.locator('[data-testid="current-status"] [data-status]').get_attribute("data-status") == "unmet"
    assert page.locator('[data-testid="history"] tbody tr').count() == 2
    assert "李四" in page.locator('[data-testid="history"]').inner_text()
