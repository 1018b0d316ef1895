"""GET /api/search: payload shape, the one error shape, and never a 500 for any query."""

from __future__ import annotations

import pytest
from search_fixture import PLAN, write_build


@pytest.fixture
def app_data(kb_data):
    """The app serves the small search fixture build instead of the default plan's."""
    write_build(kb_data)
    return kb_data


def test_payload_shape(client):
    resp = client.get("/api/search", query_string={"q": "校园欺凌", "limit": 5})
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["ok"] is True and body["query"] == "校园欺凌" and body["total"] >= 2
    assert set(body["facets"]) == {"plan", "domain", "kind", "department"}
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
        ({"q": "儿童", "sort": "plan"}, 200),
        ({"q": "儿童", "sort": "random"}, 400),
        ({"q": "儿童", "spell": "0"}, 200),
        ({"q": "儿童", "spell": "maybe"}, 400),
        ({"q": "儿童", "page": "2"}, 200),
        ({"q": "儿童", "page": "0"}, 400),
        ({"q": "儿童", "page": "²"}, 400),
        ({"q": "儿童", "has_indicator": "perhaps"}, 400),
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
    from webapp import create_app  # over an empty data dir: no build at all, unlike the `app` fixture

    resp = create_app({"TESTING": True, "KB_DATA_DIR": str(kb_data)}).test_client().get("/api/search?q=儿童")
    assert resp.status_code == 503 and resp.get_json()["ok"] is False


@pytest.mark.parametrize(
    "params",
    [
        {"q": "儿童"},
        {"q": "儿童", "page": "2"},
        {"q": "欺凌", "kind": "measure"},
        {"q": "儿童", "has_indicator": "1"},
        {"q": "儿童", "plan": PLAN, "sort": "plan"},
        {"q": "儿童", "dept": "妇联", "role": "co"},
        {"q": "婴幼儿照户"},  # a typo: both run the same correction
        {"q": "婴幼儿照户", "spell": "0"},
    ],
)
def test_page_and_api_are_twins(client, params):
    """/search filters on everything /api/search filters on and shows the same payload."""
    import re

    page = client.get("/search", query_string=params)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    api_href = re.search(r'href="(/api/search[^"]*)"', html).group(1).replace("&amp;", "&")
    api = client.get(api_href).get_json()
    direct = client.get("/api/search", query_string={**params, "limit": 10}).get_json()
    assert api["results"] == direct["results"] and api["total"] == direct["total"]
    shown = re.findall(r'<article class="result" data-testid="result">\s*<h2>.*?<a href="/items/([^"?#]+)', html)
    assert [i.replace("%3A", ":") for i in shown] == [r["id"] for r in api["results"]]


def test_page_refuses_what_the_api_refuses(client):
    for params in ({"q": "儿童", "sort": "random"}, {"q": "儿童", "kind": "poem"}, {"q": "儿童", "page": "0"}):
        api = client.get("/api/search", query_string=params)
        page = client.get("/search", query_string=params)
        assert api.status_code == page.status_code == 400
        assert api.get_json()["error"] in page.get_data(as_text=True)
