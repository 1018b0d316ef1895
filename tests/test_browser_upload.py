"""End-to-end upload in Debian chromium: a .docx through the form, the parse report, publish, items in search."""

from __future__ import annotations

import os
import urllib.request
from pathlib import Path

import pytest
from forms import to_docx
from kb_helpers import copy_analyses
from live_server import serve

from nlp.reader import read_plan_file

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parent.parent
USER, PASSWORD = "upload-reviewer", "upload-password-123"
PLAN = REPO / "tests" / "fixtures" / "real" / "02_national_women_2011.txt"

if not os.path.exists("/usr/bin/chromium"):
    pytest.skip("/usr/bin/chromium not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def upload_server(built_kb: Path, tmp_path_factory: pytest.TempPathFactory):
    """Its own real server (publishing rebuilds its KB, so it must not be the shared e2e server)."""
    data = tmp_path_factory.mktemp("upload-data")
    copy_analyses(built_kb, data)  # publishing rebuilds: the default plan's analysis as a build before left it
    with serve(built_kb, data, [(USER, PASSWORD, "reviewer")], workers=1) as base:
        yield base, data


def test_upload_docx_report_publish_search(browser, upload_server, tmp_path):
    base, data = upload_server
    docx = tmp_path / "妇女发展纲要.docx"
    docx.write_bytes(to_docx(read_plan_file(PLAN).text))
    ctx = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=base)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto("/upload")
        page.fill("input[name=name]", USER)  # not signed in: the sign-in page comes first, then back here
        page.fill("input[name=password]", PASSWORD)
        page.click("form.stack button[type=submit]")
        page.wait_for_selector("[data-testid=upload-file]")
        page.set_input_files("[data-testid=upload-file]", str(docx))
        page.fill("input[name=title]", "中国妇女发展纲要(2011—2020年)节选")
        page.fill("input[name=slug]", "women-2011-excerpt")
        page.click("[data-testid=upload-submit]")
        report = page.locator("[data-testid=parse-report]")
        report.wait_for()
        # 总目标, the stray principle, 8 goals, 1 measure
        assert page.locator("[data-testid=report-items]").inner_text() == "11"
        text = report.inner_text()
        assert "Word 文档" in text and "妇女与健康" in text and "主要目标 8" in text
        first = page.locator("[data-testid=report-first-items]").inner_text()
        assert "妇女在整个生命周期享有良好的基本医疗卫生服务" in first
        assert not (data / "plans").exists() or not any((data / "plans").iterdir())  # nothing published yet
        page.click("[data-testid=publish]", no_wait_after=True)  # publishing rebuilds: wait below, not 30 s
        page.wait_for_url("**/plans/women-2011-excerpt", timeout=180_000)
        assert "已发布" in page.inner_text("body")
        assert "编号 4 与预期 1 不符" in page.locator("[data-testid=plan-warnings]").inner_text()
        page.goto("/search?q=" + urllib.request.quote("宫颈癌 乳腺癌"))
        hits = page.locator("a[href*='women-2011-excerpt']")
        hits.first.wait_for()
        assert hits.count() >= 1
        assert errors == []
    finally:
        ctx.close()
