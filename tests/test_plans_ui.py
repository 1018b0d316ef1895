"""Many plans in the UI (issue 19): the plan list, `?plan=` kept in the URL, a department's duties across plans
one plan at a time, paging, and an unknown plan as a 404 in the one error shape (HTML page and JSON twin)."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

CHILDREN = "yiyang-children-2021-2025"
WOMEN = "yiyang-women-2021-2025"
TABLES = ("items", "clauses", "assignments", "indicators", "links", "repairs", "headings", "item_review")


def _second_plan(db: Path) -> None:
    """Add a copy of the children's plan as a women's plan (own ids, title, kind): two plans sharing departments."""
    conn = sqlite3.connect(db)

    def ren(v):
        return (
            WOMEN + v[len(CHILDREN) :] if isinstance(v, str) and (v == CHILDREN or v.startswith(CHILDREN + ":")) else v
        )

    for t in TABLES:
        rows = conn.execute(f"SELECT * FROM {t}").fetchall()
        if rows:
            conn.executemany(
                f"INSERT INTO {t} VALUES ({','.join('?' * len(rows[0]))})", ([ren(v) for v in r] for r in rows)
            )
    cols = [r[1] for r in conn.execute("PRAGMA table_info(plans)")]
    row = dict(zip(cols, conn.execute("SELECT * FROM plans WHERE id = ?", (CHILDREN,)).fetchone(), strict=True))
    meta = json.loads(row["meta"]) | {"kind": "women", "slug": WOMEN, "title": "益阳市妇女发展规划(2021-2025年)"}
    row.update(id=WOMEN, title=meta["title"], meta=json.dumps(meta, ensure_ascii=False), position=row["position"] + 1)
    conn.execute(f"INSERT INTO plans VALUES ({','.join('?' * len(cols))})", [row[c] for c in cols])
    conn.commit()
    conn.close()


@pytest.fixture(scope="module")
def two_plan_build(built_kb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("two-plans")
    build = root / "builds" / "two"
    build.mkdir(parents=True)
    shutil.copyfile(built_kb / "current" / "kb.sqlite", build / "kb.sqlite")
    _second_plan(build / "kb.sqlite")
    (root / "current").symlink_to(build, target_is_directory=True)
    return root


@pytest.fixture
def two(two_plan_build: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from kb_helpers import data_dir_over

    from kb.reviews import snapshot
    from webapp import create_app

    snapshot.reset()
    data = data_dir_over(two_plan_build, tmp_path, monkeypatch, "data")
    return create_app({"TESTING": True, "KB_DATA_DIR": str(data)}).test_client()


def test_plan_list_page_and_twin(two):
    api = two.get("/api/plans").get_json()
    assert api["ok"] and api["totals"]["plans"] == 2
    rows = {r["id"]: r for r in api["plans"]["rows"]}
    assert rows[CHILDREN]["level"] == "市" and rows[CHILDREN]["region"] == "益阳市"
    assert rows[CHILDREN]["period"] == "2021—2025年" and rows[WOMEN]["kind"] == "妇女发展规划"
    assert rows[CHILDREN]["counts"] == rows[WOMEN]["counts"] and rows[WOMEN]["counts"]["goals"] > 0
    html = two.get("/plans").get_data(as_text=True)
    assert "规划列表" in html and "益阳市妇女发展规划" in html and 'data-plan="yiyang-women-2021-2025"' in html


def test_department_duties_across_plans_one_plan_at_a_time(two):
    first = two.get("/api/departments/市卫健委").get_json()
    assert first["plan"] == CHILDREN  # the first plan it has duties in
    assert [p["id"] for p in first["plans"]] == [CHILDREN, WOMEN] and first["plans"][0]["total"] > 0
    ids = {e["id"] for g in first["groups"] for e in g["items"]}
    assert ids and all(i.startswith(CHILDREN + ":") for i in ids)
    women = two.get(f"/api/departments/市卫健委?plan={WOMEN}").get_json()
    assert {e["id"].split(":", 1)[1] for g in women["groups"] for e in g["items"]} == {i.split(":", 1)[1] for i in ids}
    assert women["counts"] == first["counts"]
    html = two.get(f"/departments/市卫健委?plan={WOMEN}").get_data(as_text=True)
    assert 'data-testid="plan-switcher"' in html and f'value="{WOMEN}" selected' in html
    assert "在 2 个规划中有职责" in html


@pytest.mark.parametrize(
    "url",
    [
        "/?plan=no-such-plan",
        "/departments?plan=no-such-plan",
        "/departments/市卫健委?plan=no-such-plan",
        "/graph?plan=no-such-plan",
        "/goals?plan=no-such-plan",
        "/targets?plan=no-such-plan",
    ],
)
def test_unknown_plan_is_a_404_with_the_known_ones(two, url):
    html = two.get(url)
    twin = {"/targets": "/indicators"}  # the targets table's twin keeps its published name
    path, _, query = url.partition("?")
    api = two.get("/api/home?" + query if path == "/" else f"/api{twin.get(path, path)}?{query}")
    assert html.status_code == api.status_code == 404
    body = api.get_json()
    assert body["ok"] is False and body["status"] == 404 and "no-such-plan" in body["error"]
    assert {s["label"] for s in body["suggestions"]} >= {"益阳市儿童发展规划(2021-2025年)"}


@pytest.mark.parametrize(
    "url, plan, expect",
    [
        ("/api/home", None, lambda d: d["totals"]["goals"] > 0 and d["plan_count"] == 2),
        (f"/api/home?plan={WOMEN}", WOMEN, lambda d: d["plans"][0]["id"] == WOMEN),
        (f"/api/departments?plan={WOMEN}", WOMEN, lambda d: d["departments"][0]["total"] > 0),
        (f"/api/graph?plan={WOMEN}", WOMEN, lambda d: all(n["id"].startswith(f"domain:{WOMEN}") for n in d["nodes"])),
        ("/api/graph", CHILDREN, lambda d: all(n["id"].startswith(f"domain:{CHILDREN}") for n in d["nodes"])),
        (
            "/api/goals",
            CHILDREN,
            lambda d: all(g["id"].startswith(CHILDREN + ":") for x in d["domains"] for g in x["goals"]),
        ),
        (
            f"/api/goals?plan={WOMEN}",
            WOMEN,
            lambda d: d["total"] > 0 and all(g["id"].startswith(WOMEN + ":") for x in d["domains"] for g in x["goals"]),
        ),
        (
            "/api/indicators",
            CHILDREN,
            lambda d: d["total"] > 0 and all(r["item"]["id"].startswith(CHILDREN + ":") for r in d["indicators"]),
        ),
        (
            f"/api/indicators?plan={WOMEN}&sort=value",
            WOMEN,
            lambda d: all(r["item"]["id"].startswith(WOMEN + ":") for r in d["indicators"]),
        ),
    ],
)
def test_the_plan_is_kept_in_the_url(two, url, plan, expect):
    d = two.get(url).get_json()
    assert d["ok"] and expect(d)
    assert (d.get("plan") or d.get("query", {}).get("plan") or None) == plan


def test_home_totals_of_one_plan_are_half_of_both(two):
    both = two.get("/api/home").get_json()["totals"]
    one = two.get(f"/api/home?plan={CHILDREN}").get_json()["totals"]
    assert both["goals"] == 2 * one["goals"] and both["measures"] == 2 * one["measures"]


def test_paging_keeps_the_other_arguments(two, monkeypatch):
    from webapp import departments

    monkeypatch.setattr(departments, "DUTIES_PER_PAGE", 5)
    d = two.get(f"/api/departments/市卫健委?plan={WOMEN}&role=lead").get_json()
    assert d["page"]["page"] == 1 and d["page"]["pages"] > 1 and sum(len(g["items"]) for g in d["groups"]) == 5
    assert f"plan={WOMEN}" in d["page"]["next_url"] and "role=lead" in d["page"]["next_url"]
    last = two.get(f"/api/departments/市卫健委?plan={WOMEN}&role=lead&page=999").get_json()
    assert last["page"]["page"] == d["page"]["pages"]  # out of range: the last page


@pytest.mark.parametrize(
    "query, plan, hits", [("近视", "", True), ("近视", CHILDREN, True), ("没有这种词qzx", "", False)]
)
def test_search_counts_hits_per_plan(client, query, plan, hits):
    """The plan facet of one search over every plan (kb.search facets), filterable with ?plan=."""
    d = client.get("/api/search", query_string={"q": query, "plan": plan}).get_json()
    assert d["ok"]
    if hits:
        assert d["facets"]["plan"] == {CHILDREN: d["total"]} and d["total"] > 0
    else:
        assert d["facets"]["plan"] == {} and d["total"] == 0
    assert "<h3>规划</h3>" not in client.get("/search", query_string={"q": query}).get_data(
        as_text=True
    )  # one plan: no facet


@pytest.mark.parametrize("path", ["/goals", "/targets"])
def test_goals_and_targets_switch_plans_and_keep_the_plan_in_their_links(two, path):
    html = two.get(f"{path}?plan={WOMEN}").get_data(as_text=True)
    assert 'data-testid="plan-switcher"' in html and f'value="{WOMEN}" selected' in html
    rest = html.split('data-testid="plan-switcher"', 1)[1].split("</form>", 1)[1]
    assert f"/items/{WOMEN}:" in rest and f"/items/{CHILDREN}:" not in rest
    if path == "/targets":
        assert f"plan={WOMEN}" in html.split("<thead>", 1)[1].split("</thead>", 1)[0]  # the sort links
