"""The review queue by keyboard in Debian chromium: after a decision the page reloads with a flash saying what was
decided, and the next undecided entry has the focus, so the next key acts on it (it had to be j first)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from live_server import desktop_page, serve, sign_in

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
USER, PASSWORD = "queue-keys", "queue-keys-password-1"

if not os.path.exists(CHROMIUM):
    pytest.skip(f"{CHROMIUM} not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def server(built_kb: Path, tmp_path_factory: pytest.TempPathFactory):
    """A server of its own: these decisions must not move the entries other browser tests count."""
    with serve(built_kb, tmp_path_factory.mktemp("queue-keys"), [(USER, PASSWORD, "reviewer")]) as base:
        yield base


@pytest.fixture
def page(browser, server):
    with desktop_page(browser, server) as pg:
        sign_in(pg, USER, PASSWORD, f"审核员 {USER}")
        yield pg


FOCUSED = """() => { const e = document.activeElement;
  if (!e || !e.classList.contains('q-entry')) return null;
  return [e.dataset.item, e.dataset.dept, e.classList.contains('done')]; }"""


def _open(page) -> list[tuple[str, str]]:
    return [
        (e.get_attribute("data-item"), e.get_attribute("data-dept")) for e in page.locator(".q-entry:not(.done)").all()
    ]


@pytest.mark.parametrize("view", ["/review/queue", "/review/queue?show=all"])
def test_after_a_decision_by_key_the_next_undecided_entry_has_the_focus(page, view):
    page.goto(view)
    page.wait_for_selector("[data-testid=queue]")
    assert page.evaluate(FOCUSED) is not None  # the first undecided entry, as before
    tags = [i for i, (_item, dept) in enumerate(_open(page)) if dept]
    at = tags[1]  # not the first: the focus must follow where the reviewer was
    before = _open(page)
    for _ in range(at):
        page.keyboard.press("j")
    assert tuple(page.evaluate(FOCUSED)[:2]) == before[at]
    page.keyboard.press("a")  # 确认
    page.wait_for_selector(".flash-ok")
    dept = before[at][1]
    assert f"已确认 {dept} 为" in page.locator(".flash-ok").inner_text()
    after = _open(page)
    assert before[at] not in after
    focused = page.evaluate(FOCUSED)
    assert focused is not None and not focused[2], "no undecided entry has the focus after a flash"
    assert tuple(focused[:2]) == after[at]  # the one that followed the decided entry
    # the next key acts on it, without j first
    nxt = after[at]
    page.keyboard.press("a")
    page.wait_for_selector(".flash-ok")
    assert f"已确认 {nxt[1]} 为" in page.locator(".flash-ok").inner_text()
    assert nxt not in _open(page)
    assert page.errors == []


def test_a_click_on_the_first_entry_leaves_the_focus_on_the_first_undecided(page):
    page.goto("/review/queue")
    page.wait_for_selector("[data-testid=queue]")
    first = page.locator(".q-entry:not(.done)[data-dept]:has(button[value=accept])").first
    decided = (first.get_attribute("data-item"), first.get_attribute("data-dept"))
    first.locator("button[value=accept]").click()
    page.wait_for_selector(".flash-ok")
    focused = page.evaluate(FOCUSED)
    assert focused is not None and tuple(focused[:2]) != decided and not focused[2]
