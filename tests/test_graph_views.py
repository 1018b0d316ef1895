"""Graph views people can read: the plan by domain (expandable), a department's items grouped by domain, and
link evidence in words on item pages, their JSON twins and the graph's links."""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from web_support import PLAN, csrf, item_id

M4 = item_id("health-m4")
G3 = item_id("health-g3")
G1 = item_id("health-g1")
HEALTH = f"domain:{PLAN}:health"


def _valid(body: dict) -> set[str]:
    """Every edge joins two nodes of the view, never a node to itself or a child to its own group."""
    nodes = {n["id"]: n for n in body["nodes"]}
    for e in body["edges"]:
        assert e["source"] in nodes and e["target"] in nodes, e["id"]
        assert e["source"] != e["target"]
        assert nodes[e["source"]].get("parent") != e["target"] and nodes[e["target"]].get("parent") != e["source"]
    assert all(n["url"] for n in body["nodes"])
    return set(nodes)


def test_whole_plan_is_one_node_per_domain(client):
    body = client.get("/api/graph").get_json()
    _valid(body)
    assert body["view"] == "plan" and body["expanded"] == []
    assert {n["kind"] for n in body["nodes"]} == {"domain"}
    home = client.get("/api/home").get_json()
    assert len(body["nodes"]) == len(home["domains"])
    assert sum(n["goals"] for n in body["nodes"]) == home["totals"]["goals"]
    assert sum(n["measures"] for n in body["nodes"]) == home["totals"]["measures"]
    health = next(n for n in body["nodes"] if n["id"] == HEALTH)
    assert "儿童与健康" in health["label"] and f"目标 {health['goals']}" in health["label"]
    toggle = urlsplit(health["toggle"])
    assert toggle.path == "/api/graph" and parse_qs(toggle.query)["domain"] == ["health"] and not health["expanded"]
    assert all(e["kind"] == "serves_many" and e["evidence"].count("→") >= 1 for e in body["edges"])


@pytest.mark.parametrize(
    "domains, opened",
    [
        ("health", {"health"}),
        ("health,education", {"health", "education"}),
        (" health ,", {"health"}),
        ("", set()),
    ],
)
def test_expanded_domains_hold_their_goals_and_measures(client, domains, opened):
    body = client.get(f"/api/graph?domain={domains}").get_json()
    ids = _valid(body)
    assert set(body["expanded"]) == opened
    kids = Counter(n["parent"].rsplit(":", 1)[1] for n in body["nodes"] if n.get("parent"))
    assert set(kids) == opened
    for n in body["nodes"]:
        if n["kind"] == "domain":
            assert n["expanded"] == (n["domain"] in opened)
            assert kids.get(n["domain"], 0) == (n["goals"] + n["measures"] if n["expanded"] else 0)
    if "health" in opened:
        assert M4 in ids and G3 in ids
        link = next(e for e in body["edges"] if e["source"] == M4 and e["target"] == G3)
        assert link["kind"] == "serves" and link["strength"] in {"strong", "moderate", "weak"}
        assert "关联" in link["evidence"] and "“" in link["evidence"]
    else:
        assert M4 not in ids


@pytest.mark.parametrize(
    "path",
    [
        "/api/graph?domain=nowhere",
        "/api/graph?domain=health,nowhere",
        "/api/graph?dept=不存在的局",
        "/api/graph?dept=市外事局局",
        "/api/graph?item=nothing",
    ],
)
def test_unknown_domain_department_or_item_is_404_in_the_one_shape(client, path):
    resp = client.get(path)
    assert resp.status_code == 404
    body = resp.get_json()
    assert body["ok"] is False and body["status"] == 404 and body["error"]
    if "domain=" in path:
        assert "nowhere" in body["error"] and any(s["label"] == "儿童与健康" for s in body["suggestions"])
    assert client.get(path.removeprefix("/api")).status_code == 404  # the page too, in HTML


def test_department_view_groups_items_by_domain_with_labels(client):
    body = client.get("/api/graph?dept=卫健委").get_json()
    nodes = {n["id"]: n for n in body["nodes"]}
    _valid(body)
    assert body["view"] == "department" and nodes["dept:市卫健委"]["focus"]
    groups = {i: n for i, n in nodes.items() if n["kind"] == "group"}
    items = [n for n in nodes.values() if n["kind"] in ("goal", "measure")]
    assert groups and items and all(n.get("parent") in groups for n in items)
    assert all(n["label"].strip() and "\n" in n["label"] for n in items)  # number and title
    assert {n["role"] for n in items} <= {"lead", "co", "served"}
    duties = client.get("/api/departments/市卫健委").get_json()
    led = {e["id"] for g in duties["groups"] for e in g["items"] if e["role"] == "lead"}
    assert led <= {n["id"] for n in items if n["role"] == "lead"}
    health = groups[HEALTH]
    assert health["label"].startswith("儿童与健康") and f"牵头 {health['lead']}" in health["label"]
    assert not any(e["source"] == "dept:市卫健委" for e in body["edges"])  # no line to every item
    assert all(e["kind"] == "serves" and e["evidence"] for e in body["edges"])


def test_item_view_links_carry_evidence(client):
    body = client.get(f"/api/graph?item={M4}").get_json()
    _valid(body)
    serves = [e for e in body["edges"] if e["kind"] == "serves"]
    assert serves and all(e["evidence"].startswith(("强关联", "一般关联", "弱关联", "人工确认")) for e in serves)


def test_graph_page_lists_domains_and_link_evidence(client):
    html = client.get("/graph?domain=health").get_data(as_text=True)
    assert 'data-view="plan"' in html and "儿童与健康" in html and "关联依据" in html
    assert "强关联" in html and "弱关联" in html  # the legend tells them apart


def test_item_page_tells_strong_and_weak_links_apart_in_words(client):
    body = client.get(f"/api/items/{M4}").get_json()
    evs = [s["evidence"] for s in body["serves"]]
    assert evs and all(e["strength"] in {"strong", "moderate", "weak"} and e["text"].endswith("。") for e in evs)
    assert all(e["shared"] == ("未找到共同词语或指标" not in e["text"]) for e in evs)
    goal = client.get(f"/api/items/{G3}").get_json()
    assert goal["served_by"] and all(m["evidence"]["text"] for m in goal["served_by"])
    html = client.get(f"/items/{M4}").get_data(as_text=True)
    assert html.count('data-testid="link-evidence"') == len(evs)
    assert "关联依据:" in html and "(相似度 0.17)" not in html


def test_reviewer_added_link_says_so(reviewer):
    resp = reviewer.post(
        f"/api/items/{M4}/review",
        json={"action": "link.add", "goal": G1, "reason": "急救培训也服务于本目标"},
        headers={"X-CSRF-Token": csrf(reviewer)},
    )
    assert resp.status_code == 200
    s = next(s for s in reviewer.get(f"/api/items/{M4}").get_json()["serves"] if s["id"] == G1)
    assert s["evidence"]["strength"] == "reviewed" and not s["evidence"]["shared"]
    assert "由审核人员添加" in s["evidence"]["text"] and "急救培训也服务于本目标" in s["evidence"]["text"]


def _it(iid: str, kind: str, code: str | None, line: int) -> dict:
    names = {"health": "儿童与健康"}
    return {"id": iid, "plan": "p", "kind": kind, "domain_code": code, "domain": names.get(code), "line": line}


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("health", {"health"}),
        ("-", {"-"}),  # a plan's list without a domain heading can be opened too
        ("health,-", {"health", "-"}),
        ("education", None),  # a domain this plan does not have
    ],
)
def test_items_outside_every_domain_form_their_own_group(app, raw, expected):
    from types import SimpleNamespace

    from werkzeug.exceptions import NotFound

    from webapp.graphgroups import NO_DOMAIN, OTHER, domain_groups, expanded_codes

    items = [_it("p:g1", "goal", "health", 1), _it("p:m1", "measure", None, 2), _it("p:m2", "measure", "health", 3)]
    snap = SimpleNamespace(items=items, plans=[{"id": "p", "title": "规划"}])
    with app.test_request_context():
        groups = domain_groups(snap, items)
        assert [(d["code"], d["name"], len(d["goals"]), len(d["measures"])) for d in groups.values()] == [
            ("health", "儿童与健康", 1, 1),
            (NO_DOMAIN, OTHER, 0, 1),
        ]
        if expected is None:
            with pytest.raises(NotFound):
                expanded_codes(snap, raw)
        else:
            assert expanded_codes(snap, raw) == expected
