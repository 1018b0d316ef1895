"""Every page and its JSON twin (same context rendered twice), error shapes, and what each page shows."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from web_support import PLAN, item_id
from werkzeug.exceptions import NotFound

M4 = item_id("health-m4")
G3 = item_id("health-g3")

# (HTML path, JSON twin path, text the HTML must show, key the JSON must carry)
PAGES = [
    ("/", "/api/home", "规划结构", "domains"),
    ("/search?q=新生儿", "/api/search?q=新生儿", "新生儿", "results"),
    (f"/items/{M4}", f"/api/items/{M4}", "保障5岁以下儿童安全与健康", "answer"),
    (f"/items/{G3}", f"/api/items/{G3}", "支撑本目标的措施", "served_by"),
    ("/departments/市卫健委", "/api/departments/市卫健委", "我的职责", "groups"),
    ("/departments", "/api/departments", "部门职责", "departments"),
    ("/targets", "/api/indicators", "目标指标一览", "indicators"),
    ("/goals", "/api/goals", "主要目标", "domains"),
    ("/graph", "/api/graph", "关系图", "nodes"),
    ("/graph?dept=卫健委", "/api/graph?dept=卫健委", "市卫健委", "nodes"),
    (f"/graph?item={M4}", f"/api/graph?item={M4}", "保障5岁以下儿童安全与健康", "edges"),
    (f"/plans/{PLAN}", f"/api/plans/{PLAN}", "益阳市儿童发展规划", "html"),
    ("/reviews", "/api/reviews", "审核记录", "entries"),
]


@pytest.mark.parametrize("html_path,api_path,text,key", PAGES)
def test_page_and_twin(client, html_path, api_path, text, key):
    page = client.get(html_path)
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert text in page.get_data(as_text=True)
    twin = client.get(api_path)
    assert twin.status_code == 200 and twin.mimetype == "application/json"
    body = twin.get_json()
    assert body["ok"] is True and key in body


@pytest.mark.parametrize("html_path,api_path,text,key", PAGES)
def test_page_links_its_twin_and_has_no_inline_code(client, html_path, api_path, text, key):
    html = client.get(html_path).get_data(as_text=True)
    assert 'class="json-link"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script> would break the CSP"
    assert not re.search(r"\son[a-z]+\s*=", html), "inline event handlers would break the CSP"
    assert not re.search(r"\sstyle\s*=", html), "inline style attributes would break the CSP"
    assert "http://" not in html.replace("http://www", "") and "https://" not in html  # nothing from other origins


def test_twin_renders_the_same_context(client):
    """The item page's answer (lead departments, goals served) is the JSON twin's answer."""
    data = client.get(f"/api/items/{M4}").get_json()
    html = client.get(f"/items/{M4}").get_data(as_text=True)
    assert data["answer"]["lead"] == ["市卫健委"]
    answer_box = html.split('data-testid="answer"', 1)[1].split("</section>", 1)[0]
    for name in data["answer"]["lead"] + data["answer"]["co"]:
        assert name in answer_box
    for goal in data["answer"]["serves"]:
        assert goal["url"] in answer_box


@pytest.mark.parametrize(
    "path,status",
    [
        (f"/api/items/{PLAN}:health-m99", 404),
        ("/api/items/nothing-here", 404),
        ("/api/departments/不存在的局", 404),
        ("/api/plans/no-such-plan", 404),
        ("/api/graph?dept=不存在的局", 404),
        ("/api/graph?item=nothing", 404),
        ("/api/no/such/route", 404),
        ("/api/search?q=x&bogus=1", 400),
        ("/api/search?domain=不存在的领域", 400),
    ],
)
def test_api_error_shape(client, path, status):
    resp = client.get(path)
    assert resp.status_code == status
    body = resp.get_json()
    assert body["ok"] is False and body["status"] == status and body["error"]


@pytest.mark.parametrize(
    "path,suggested",
    [
        (f"/items/{PLAN}:health-m99", "health-m"),
        ("/items/helth-m4", "health-m4"),
        ("/departments/卫生保健委", "市卫健委"),
    ],
)
def test_html_404_is_friendly_with_suggestions(client, path, suggested):
    resp = client.get(path)
    assert resp.status_code == 404 and resp.mimetype == "text/html"
    html = resp.get_data(as_text=True)
    assert "未找到" in html and "您是否要找" in html and suggested in html


def test_api_404_carries_suggestions(client):
    body = client.get("/api/departments/卫生保健委").get_json()
    assert any(s["label"] == "市卫健委" for s in body["suggestions"])


@pytest.mark.parametrize("alias", ["卫健委", "市卫健委", "益阳市卫生健康委员会"])
def test_department_any_alias(client, alias):
    body = client.get(f"/api/departments/{alias}").get_json()
    assert body["name"] == "市卫健委" and body["counts"]["lead"] > 0


def test_department_alias_redirects_to_canonical_page(client):
    resp = client.get("/departments/卫健委")
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/departments/" + quote("市卫健委"))


def test_department_page_groups_duties_with_targets(client):
    body = client.get("/api/departments/市卫健委").get_json()
    entries = [e for g in body["groups"] for e in g["items"]]
    m4 = next(e for e in entries if e["id"] == M4)
    assert m4["role"] == "lead" and {t["id"] for t in m4["targets"]} >= {G3}
    assert "市红十字会" in {p["name"] for p in body["partners"]}
    assert {e["format"] for e in body["exports"]} >= {"xlsx", "docx", "json"}
    assert body["groups"][0]["domain"] == "儿童与健康"


def test_department_download_link_works(client):
    body = client.get("/api/departments/市卫健委").get_json()
    xlsx = next(e["url"] for e in body["exports"] if e["format"] == "xlsx")
    resp = client.get(xlsx)
    assert resp.status_code == 200 and resp.data[:2] == b"PK"


def test_item_page_marks_repairs_evidence_and_targets(client):
    html = client.get(f"/items/{M4}").get_data(as_text=True)
    assert re.search(r'<ins class="repair[^"]*" title="已修复:补漏字 “高”', html)
    assert 'class="evidence' in html and 'data-depts="市卫健委"' in html
    assert 'class="target' in html
    raw = html.split('data-testid="raw-text">', 1)[1].split("</p>", 1)[0]
    assert "提危重新生儿" in raw  # the published text, without the repair


def test_item_json_marks_match_the_text(client):
    body = client.get(f"/api/items/{M4}").get_json()
    assert "".join(r["text"] for r in body["marked"]["runs"]) == body["item"]["text"]
    assert any(r["repair"] and r["repair"]["after"] == "高" for r in body["marked"]["runs"])
    dept = next(d for d in body["departments"] if d["name"] == "市卫健委")
    assert dept["role_label"] == "牵头" and "急救" in dept["phrases"]


def test_goal_page_lists_serving_measures(client):
    body = client.get(f"/api/items/{G3}").get_json()
    assert M4 in {m["id"] for m in body["served_by"]}
    assert body["indicators"] and body["indicators"][0]["display"].startswith("≤")


def test_short_item_id_resolves(client):
    assert client.get("/api/items/health-m4").get_json()["item"]["id"] == M4


def test_search_page_facets_badges_paging(client):
    html = client.get("/search?q=儿童").get_data(as_text=True)
    assert 'data-testid="result"' in html and "<mark>" in html
    assert "领域" in html and "部门" in html and 'rel="next"' in html
    assert 'class="badge role-lead' in html and "服务目标" in html and "匹配原因" in html


def test_search_page_second_page_and_filter(client):
    html = client.get("/search?q=儿童&page=2&domain=儿童与健康").get_data(as_text=True)
    assert 'rel="prev"' in html and "儿童与健康 ✕" in html


def test_search_empty_result_offers_help(client):
    html = client.get("/search?q=宇宙飞船 火箭").get_data(as_text=True)
    assert 'data-testid="empty-help"' in html and "按领域浏览" in html


def test_search_bad_filter_is_a_friendly_page(client):
    resp = client.get("/search?q=儿童&domain=不存在的领域")
    assert resp.status_code == 400 and "未知的领域" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "sort,order", [("value", "desc"), ("value", "asc"), ("name", "asc"), ("owner", "desc"), ("status", "asc")]
)
def test_targets_sorting(client, sort, order):
    body = client.get(f"/api/indicators?sort={sort}&order={order}").get_json()
    rows = body["indicators"]
    assert body["sort"] == sort and len(rows) == body["total"] > 0  # an unknown sort: tests/test_page_params.py
    if sort == "value":
        values = [r["value"] for r in rows if r["value"] is not None]
        assert values == sorted(values, reverse=order == "desc")
        assert all(r["value"] is None for r in rows[len(values) :])  # rows without a number come last
    assert all({"name", "comparator_label", "owner", "serving", "item"} <= set(r) for r in rows)


def test_graph_json_is_cytoscape_ready(client):
    body = client.get("/api/graph?dept=卫健委").get_json()
    ids = {n["id"] for n in body["nodes"]}
    assert "dept:市卫健委" in ids and M4 in ids
    assert all(e["source"] in ids and e["target"] in ids for e in body["edges"])
    assert any(n["focus"] for n in body["nodes"]) and all(n["url"] for n in body["nodes"])


def test_item_neighbours(client):
    body = client.get(f"/api/items/{M4}").get_json()
    rel = {n["id"]: n["relation"] for n in body["neighbours"]}
    assert rel[G3] == "serves" and "sibling" in rel.values()


def test_plan_reader_has_anchors_and_owners(client):
    html = client.get(f"/plans/{PLAN}").get_data(as_text=True)
    assert 'id="health-m4"' in html and 'href="#health-g3"' in html and "牵头:" in html
    assert client.get("/plan").status_code == 302


def test_home_shows_structure_and_picker(client):
    body = client.get("/api/home").get_json()
    assert next(d["domain"] for d in body["domains"]) == "儿童与健康"
    assert body["totals"]["goals"] == sum(d["goals"] for d in body["domains"])
    html = client.get("/").get_data(as_text=True)
    assert 'data-testid="dept-picker"' in html
    assert client.get("/departments?name=卫健委").status_code == 302


@pytest.mark.parametrize("path", ["/", f"/items/{M4}", "/api/home", "/login"])
def test_security_headers(client, path):
    h = client.get(path).headers
    csp = h["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert h["X-Content-Type-Options"] == "nosniff"


def test_static_vendor_library_is_served(client):
    resp = client.get("/static/vendor/cytoscape.min.js")
    assert resp.status_code == 200 and b"cytoscape" in resp.data[:2000].lower()
    resp.close()


@pytest.mark.parametrize(
    "path,is_api",
    [
        ("/", False),
        ("/api/home", True),
        (f"/items/{M4}", False),
        ("/api/departments/市卫健委", True),
        ("/search?q=儿童", False),
    ],
)
def test_before_first_build_pages_say_so(kb_data, path, is_api):
    from webapp import create_app

    resp = create_app({"TESTING": True}).test_client().get(path)
    assert resp.status_code == 503
    if is_api:
        assert resp.get_json()["ok"] is False and resp.get_json()["status"] == 503
    else:
        assert "kb build" in resp.get_data(as_text=True)


@pytest.mark.parametrize("query", ["name=x", "_method=POST", "endpoint=x", "_external=1", "_anchor=x", "role=lead"])
def test_alias_redirect_keeps_the_query_as_plain_values(client, query):
    resp = client.get(f"/departments/卫健委?{query}", headers={"Host": "evil.example"})
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/departments/") and resp.headers["Location"].endswith(f"?{query}")


@pytest.mark.parametrize(
    "method, path",
    [
        ("GET", "/progress/attachments/999999999999999999999999"),
        ("POST", "/api/progress/attachments/999999999999999999999999/delete"),
        ("POST", "/api/progress/reports/999999999999999999999999/return"),
        ("POST", "/api/reviews/999999999999999999999999/undo"),
    ],
)
def test_an_id_beyond_sqlite_integers_is_no_row(app, client, method, path):
    """Such an id matches no route (404), so no handler passes it to SQLite (OverflowError, a 500)."""
    with pytest.raises(NotFound):
        app.url_map.bind("localhost").match(path, method=method)
    assert app.url_map.bind("localhost").match(path.replace("999999999999999999999999", "7"), method=method)
    if method == "GET":
        assert client.get(path).status_code == 404
