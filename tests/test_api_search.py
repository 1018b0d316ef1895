"""GET /api/search: payload shape, the one error shape, and never a 500 for any query."""

from __future__ import annotations

import pytest
from search_fixture import PLAN, write_build

from webapp import create_app


@pytest.fixture
def client(kb_data):
    write_build(kb_data)
    return create_app({"TESTING": True}).test_client()


def test_payload_shape(client):
    resp = client.get("/api/search", query_string={"q": "校园欺凌", "limit": 5})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["ok"] is True and body["query"] == "校园欺凌" and body["total"] >= 2
    assert set(body["facets"]) == {"domain", "kind", "department"}
    r = body["results"][0]
    assert {"id", "kind", "domain", "number", "title", "snippet", "departments", "serves", "score", "why"} <= set(r)
    assert r["id"].startswith(PLAN + ":") and "<mark>学生欺凌</mark>" in r["snippet"]


@pytest.mark.parametrize(
    "params,status",
    [
        ({"q": "儿童", "limit": "abc"}, 400),
        ({"q": "儿童", "limit": "1000"}, 400),
        ({"q": "儿童", "offset": "-3"}, 400),
        ({"q": "儿童", "dept": "不存在的局"}, 400),
        ({"q": "儿童", "kind": "poem"}, 400),
        ({"q": "儿童", "role": "lead"}, 400),
        ({"q": "儿童", "bogus": "1"}, 400),
        ({"q": "x" * 10_000}, 400),
        ({"q": "儿童", "dept": "妇联", "role": "co"}, 200),
        ({"q": "", "domain": "健康"}, 200),
    ],
)
def test_parameters(client, params, status):
    resp = client.get("/api/search", query_string=params)
    assert resp.status_code == status
    body = resp.get_json()
    if status == 400:
        assert body == {"ok": False, "error": body["error"], "status": 400} and body["error"]


@pytest.mark.parametrize(
    "q",
    [
        '"未闭合',
        "(((",
        "AND",
        "OR NOT",
        "-",
        "*:*",
        "\x00\x07",
        "😀",
        "儿童 ^2 ~",
        "<img src=x onerror=alert(1)>",
        "领域:",
        "儿童" * 120,
        "%00",
        "\ud7ff",
    ],
)
def test_malformed_queries_never_500(client, q):
    resp = client.get("/api/search", query_string={"q": q})
    assert resp.status_code in (200, 400)
    body = resp.get_json()
    assert body["ok"] is (resp.status_code == 200)
    if resp.status_code == 200 and not body["results"]:
        assert body["messages"] or body["total"] == 0
    assert "onerror=alert" not in "".join(r["snippet"] for r in body.get("results", []))


def test_no_build_is_503(kb_data):
    resp = create_app({"TESTING": True}).test_client().get("/api/search?q=儿童")
    assert resp.status_code == 503 and resp.get_json()["ok"] is False
