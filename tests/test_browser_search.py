"""Search in the browser (issue 18): a question gets an answer card; a traditional-character query and a typo find
the right item, and the item page opens at the matched sentence with the match highlighted."""

from __future__ import annotations

import pytest
from test_browser import page, server  # noqa: F401 (the real server and a fresh page, shared fixtures)

pytestmark = pytest.mark.browser


def _search(pg, q: str) -> None:
    pg.goto("/search")
    pg.fill("#q", q)
    pg.press("#q", "Enter")
    pg.wait_for_selector("[data-testid=result]")


def test_question_gets_an_answer_card(page):
    _search(page, "谁负责儿童近视")
    card = page.locator("[data-testid=answer-card]")
    assert card.is_visible() and "市卫健委" in card.locator("h2").inner_text()
    items = card.locator("[data-testid=answer-item]")
    assert items.count() >= 2 and "近视" in items.first.inner_text()
    assert "牵头" in items.first.inner_text() and ("推断" in card.inner_text() or "明确" in card.inner_text())
    items.first.locator("a").first.click()
    page.wait_for_selector("[data-testid=answer]")
    assert "/items/" in page.url and "近视" in page.locator("h1").inner_text()
    assert page.errors == []


@pytest.mark.parametrize(
    "query,shown,item",
    [
        ("兒童近視", "近视", "health-"),  # traditional characters
        ("逆水", "溺水", "safety-"),  # a same-pinyin typo, corrected and run
    ],
)
def test_traditional_query_and_typo_find_the_item_highlighted(page, query, shown, item):
    _search(page, query)
    first = page.locator("[data-testid=result]").first
    assert shown in first.locator("mark").all_inner_texts()[0] or any(
        shown in m for m in first.locator(".snippet mark").all_inner_texts()
    )
    if query == "逆水":
        note = page.locator("[data-testid=corrected]")
        assert "溺水" in note.inner_text() and "仍要搜索" in note.inner_text()
    first.locator("h2 a").click()
    page.wait_for_selector(".clauses")
    assert item in page.url and "#" in page.url
    page.locator("mark.search-hit").first.wait_for()
    assert shown in "".join(page.locator("mark.search-hit").all_inner_texts())  # a word may span two marks
    target = page.locator(".search-target")
    assert target.count() == 1 and shown in target.inner_text()
    assert page.errors == []


def test_search_within_a_departments_duties(page):
    page.goto("/departments/市卫健委")
    form = page.locator("[data-testid=duty-search]")
    form.locator("input[name=q]").fill("近视")
    form.locator("select[name=role]").select_option("lead")
    form.locator("button").click()
    page.wait_for_selector("[data-testid=result]")
    assert "dept=" in page.url and "role=lead" in page.url
    results = page.locator("[data-testid=result]")
    assert results.count() >= 1 and all("市卫健委" in t for t in results.all_inner_texts())
