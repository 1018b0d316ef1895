"""Done-when, in Debian chromium: admin creates a 市卫健委 reporter → the reporter reports two items with an
attachment → the overview shows the department as reported and the lights change → admin returns one report →
the reporter sees the comment."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import quote

import pytest
from live_server import ADMIN, PASSWORD, serve, sign_in

pytestmark = pytest.mark.browser
HEALTH = "市卫健委"
REPORTER, REPORTER_PW = "weijian-tianbao", "tianbao-password-77"

if not os.path.exists("/usr/bin/chromium"):
    pytest.skip("/usr/bin/chromium not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def server(built_kb: Path, tmp_path_factory: pytest.TempPathFactory):
    with serve(built_kb, tmp_path_factory.mktemp("progress-e2e"), [(ADMIN, PASSWORD, "admin")]) as base:
        yield base


def _context(browser, server):
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=server)
    pg = ctx.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    return ctx, pg


def _light(pg, item: str) -> str:
    return pg.locator(f"tr[data-item='{item}'] .light").first.get_attribute("data-light") or ""


def test_report_review_return_flow(browser, server, tmp_path):
    admin_ctx, admin = _context(browser, server)
    sign_in(admin, ADMIN, PASSWORD)
    admin.goto("/admin/users")
    form = admin.locator("[data-testid=create-user]")
    form.locator("input[name=name]").fill(REPORTER)
    form.locator("select[name=role]").select_option("reporter")
    form.locator("input[name=department]").fill(HEALTH)
    form.locator("input[name=password]").fill(REPORTER_PW)
    form.locator("button[type=submit]").click()
    admin.wait_for_selector("[data-testid=admin-message]")
    assert HEALTH in admin.locator(f"tr[data-user='{REPORTER}']").inner_text()

    admin.goto(f"/progress/department/{quote(HEALTH)}?period=2024")
    items = admin.locator("tr[data-item]").evaluate_all("rows => rows.map(r => r.dataset.item)")
    first, second = items[0], items[1]
    before = {first: _light(admin, first), second: _light(admin, second)}
    assert before[first] == "red"  # 2024 closed with nothing reported

    rep_ctx, rep = _context(browser, server)
    sign_in(rep, REPORTER, REPORTER_PW)
    rep.click("[data-testid=nav-progress]")
    rep.wait_for_selector("[data-testid=duty-table]")
    assert rep.locator("h1").inner_text().startswith(HEALTH)
    rep.goto(f"/progress/department/{quote(HEALTH)}?period=2024")
    mine = rep.locator("tr[data-item]").evaluate_all("rows => rows.map(r => r.dataset.item)")
    assert mine == items  # the reporter sees exactly its duties
    assert rep.goto("/progress/department/" + quote("市教育局")).status == 403
    pdf = tmp_path / "会议纪要.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    for n, item in enumerate((first, second)):
        rep.goto(f"/progress/department/{quote(HEALTH)}?period=2024")
        rep.click(f"tr[data-item='{item}'] a")
        rep.wait_for_selector("[data-testid=report-form]")
        rep.select_option("select[name=status]", "in_progress")
        rep.fill("textarea[name=progress]", f"已完成第{n + 1}项专项行动")
        if n == 0:
            rep.set_input_files("input[type=file]", str(pdf))
        rep.click("[data-testid=submit]")
        rep.wait_for_selector("[data-testid=report-state]")
        assert "已提交" in rep.locator("[data-testid=report-state]").inner_text()
    rep.goto(f"/progress/department/{quote(HEALTH)}/item/{quote(first)}?period=2024")
    assert rep.locator("[data-testid=attachments] a").first.inner_text() == "会议纪要.pdf"

    admin.goto("/progress/overview?period=2024")
    row = admin.locator(f"tr[data-dept='{HEALTH}'] .reported").inner_text()
    assert row.startswith("2 /")
    admin.goto(f"/progress/department/{quote(HEALTH)}?period=2024")
    after = {first: _light(admin, first), second: _light(admin, second)}
    assert all(after[i] != before[i] for i in (first, second)), (before, after)

    admin.click(f"tr[data-item='{first}'] a")
    admin.fill("[data-testid=return-form] textarea[name=comment]", "请补充会议纪要的正式文号")
    admin.click("[data-testid=return-form] button[type=submit]")
    admin.wait_for_selector("[data-testid=return-comment]")

    rep.goto(f"/progress/department/{quote(HEALTH)}?period=2024")
    assert "请补充会议纪要的正式文号" in rep.locator(f"tr[data-item='{first}']").inner_text()
    rep.click(f"tr[data-item='{first}'] a")
    assert "请补充会议纪要的正式文号" in rep.locator("[data-testid=return-comment]").inner_text()
    assert not rep.errors and not admin.errors
    rep_ctx.close()
    admin_ctx.close()
