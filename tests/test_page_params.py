"""Bad query parameters on the browsing pages: a 400 in the one error shape naming the choices, on the HTML page
and its JSON twin alike, as /api/search answers them; valid values still answer 200."""

from __future__ import annotations

import pytest

TWINS = {"/targets": "/api/indicators"}  # the targets table's twin keeps its published name


def _api(url: str) -> str:
    path, _, query = url.partition("?")
    return TWINS.get(path, "/api" + path) + "?" + query


@pytest.mark.parametrize(
    ("url", "status", "says"),
    [
        ("/departments/市教育局?role=xx", 400, "lead(牵头)、co(配合)"),
        ("/departments/市教育局?sort=xx", 400, "doc(文档顺序)、lead(牵头在前)、kind(按类别)"),
        ("/departments/市教育局?page=0", 400, "参数 page 必须是 1 到 10000 之间的整数"),
        ("/departments/市教育局?page=abc", 400, "参数 page"),
        ("/departments/市教育局?role=lead&sort=kind", 200, ""),
        ("/departments/市教育局?role=牵头&sort=按类别", 200, ""),  # the Chinese words the page shows are accepted
        ("/departments/市教育局?role=&sort=", 200, ""),  # blank is the default, as the form submits it
        ("/departments/市教育局?page=999", 200, ""),  # beyond the end: the last page
        ("/targets?sort=xx", 400, "order(规划顺序)、domain(所属条目)"),
        ("/targets?order=up", 400, "asc(升序)、desc(降序)"),
        ("/targets?sort=status&order=desc", 200, ""),
        ("/targets?sort=value", 200, ""),
        ("/plans?page=abc", 400, "参数 page 必须是 1 到 10000 之间的整数"),
        ("/plans?page=0", 400, "参数 page"),
        ("/plans?page=-1", 400, "参数 page"),
        ("/plans?page=１", 400, "参数 page"),  # a full-width digit is no page number
        ("/plans?page=10001", 400, "参数 page"),
        ("/plans?level=xx", 400, "可选:市"),
        ("/plans?page=1", 200, ""),
        ("/plans?page=5", 200, ""),
        ("/plans?level=市", 200, ""),
    ],
)
def test_bad_parameters_are_a_400_on_the_page_and_its_twin(client, url, status, says):
    html, api = client.get(url), client.get(_api(url))
    assert (html.status_code, api.status_code) == (status, status)
    body = api.get_json()
    assert body["ok"] is (status == 200)
    if status == 400:
        assert body["status"] == 400 and says in body["error"]
        assert says in html.get_data(as_text=True) and "请求有误" in html.get_data(as_text=True)


@pytest.mark.parametrize(
    ("query", "picked"),
    [("role=co", ("co", "doc")), ("sort=lead", ("", "lead")), ("role=配合&sort=kind", ("co", "kind"))],
)
def test_valid_parameters_pick_what_they_name(client, query, picked):
    body = client.get(f"/api/departments/市教育局?{query}").get_json()
    assert (body["role"], body["sort"]) == picked
    roles = {e["role"] for g in body["groups"] for e in g["items"]}
    assert roles == ({picked[0]} if picked[0] else {"lead", "co"})


def test_search_answers_its_bad_parameters_in_the_same_shape(client):
    """The pages follow /api/search: the same status, the same body, the choices in Chinese."""
    for url in ("/api/search?q=近视&sort=xx", "/api/departments/市教育局?sort=xx"):
        body = client.get(url).get_json()
        assert set(body) == {"ok", "error", "status"} and body["status"] == 400
        assert "未知的排序“xx”" in body["error"] and "可选:" in body["error"]
