"""The graph in Debian chromium: the plan by domain expands on a click, a department's view is labelled and
grouped by domain, a link's hover box tells its evidence, no console warnings, no sideways overflow."""

from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
from test_browser import page, server, shot  # noqa: F401 (shared real server and page)
from test_browser_layout import LAYOUT_JS

pytestmark = pytest.mark.browser

DEPT = "/graph?dept=" + quote("卫健委")


def _console(pg) -> list[str]:
    """Warnings and errors the page logs from now on (cytoscape's 'invalid endpoints' is a warning)."""
    seen: list[str] = []
    pg.on("console", lambda m: seen.append(f"{m.type}: {m.text}") if m.type in ("warning", "error") else None)
    return seen


def _open(pg, path: str) -> None:
    pg.goto(path)
    pg.wait_for_selector("#graph[data-rendered]", timeout=60_000)


def test_whole_plan_shows_domains_and_a_click_expands_one(page):
    logged = _console(page)
    _open(page, "/graph")
    kinds = page.evaluate("() => window.planGraph.nodes().map(n => n.data('kind'))")
    assert kinds and set(kinds) == {"domain"}
    shot(page, "graph-plan")
    target = page.evaluate("""() => {
        const n = window.planGraph.nodes('[kind = "domain"]')[0], p = n.renderedPosition();
        const box = document.getElementById('graph').getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y, domain: n.id()};
    }""")
    page.mouse.click(target["x"], target["y"])
    page.wait_for_function("() => document.getElementById('graph').dataset.expanded !== ''")
    code = page.get_attribute("#graph", "data-expanded")
    assert code and parse_qs(urlsplit(page.url).query)["domain"] == [code]  # kept in the URL
    kids = page.evaluate(f"() => window.planGraph.getElementById({target['domain']!r}).children().length")
    assert kids > 5
    labels = page.evaluate(
        f"() => window.planGraph.getElementById({target['domain']!r}).children().map(n => n.style('label'))"
    )
    assert all(lab.strip() for lab in labels)
    shot(page, "graph-plan-expanded")
    page.evaluate(f"() => window.planGraph.getElementById({target['domain']!r}).emit('tap')")  # folds it again
    page.wait_for_function("() => document.getElementById('graph').dataset.expanded === ''")
    assert page.evaluate("() => window.planGraph.nodes().length") == len(kinds)
    assert logged == [] and page.errors == []


def test_department_view_is_labelled_and_grouped_by_domain(page):
    logged = _console(page)
    _open(page, DEPT)
    info = page.evaluate("""() => {
        const cy = window.planGraph, items = cy.nodes('[kind = "goal"], [kind = "measure"]');
        return {items: items.length, orphans: items.filter(n => !n.isChild()).length,
                groups: cy.nodes(':parent').map(n => n.style('label')),
                unlabelled: items.filter(n => !n.style('label').trim()).length,
                shown: items.filter(n => n.renderedBoundingBox({includeLabels: false}).x2 > 0
                                       && n.renderedBoundingBox().y2 > 0).length,
                zoom: cy.zoom(), font: parseFloat(items[0].style('font-size'))};
    }""")
    assert info["items"] > 20 and info["orphans"] == 0 and info["unlabelled"] == 0
    assert any(g.startswith("儿童与健康") and "牵头" in g for g in info["groups"])
    assert info["zoom"] * info["font"] >= 8  # labels drawn at a readable size
    shot(page, "graph-dept")
    assert logged == [] and page.errors == []


def test_hovering_a_link_tells_its_evidence(page):
    _open(page, DEPT)
    point = page.evaluate("""() => {
        const cy = window.planGraph, box = document.getElementById('graph').getBoundingClientRect();
        const e = cy.edges('.serves').filter(e => { const m = e.renderedMidpoint();
            const bottom = Math.min(box.height, innerHeight - box.top) - 10;
            return m.x > 10 && m.y > 10 && m.x < box.width - 10 && m.y < bottom;
        })[0];
        const m = e.renderedMidpoint();
        return {x: box.left + m.x, y: box.top + m.y, text: e.data('evidence')};
    }""")
    page.mouse.move(point["x"] - 30, point["y"] - 30)
    page.mouse.move(point["x"], point["y"], steps=8)  # cytoscape finds what is under the pointer as it moves
    tip = page.locator(".graph-tip")
    tip.wait_for(state="visible")
    assert tip.inner_text() == point["text"] and "关联" in point["text"]


@pytest.mark.parametrize("width", [1366, 390])
def test_graph_views_do_not_overflow(page, width):
    logged = _console(page)
    page.set_viewport_size({"width": width, "height": 800})
    problems = {}
    for path in ("/graph", "/graph?domain=health", DEPT, "/graph?item=health-m4"):
        _open(page, path)
        bad = page.evaluate(LAYOUT_JS)
        if bad:
            problems[path] = bad
    assert problems == {}
    assert logged == [] and page.errors == []
