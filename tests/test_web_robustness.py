"""Review findings kept fixed: colliding query keys, odd JSON, huge ids, empty value entry, aliases, empty duties."""

from __future__ import annotations

import pytest
from monitoring_helpers import MGMT, app_for, csrf_of, signed_in


@pytest.fixture
def client(mon_kb):
    return app_for(mon_kb).test_client()


@pytest.mark.parametrize(
    "url",
    [
        "/items/health-m9?item_id=x",
        "/items/health-m9?endpoint=x",
        "/items/health-m9?_method=x",
        "/departments/市教育局?name=y",
        "/monitoring/domain/health?code=x",
        "/monitoring/department/市教育局?name=x",
        "/download/plan.foo?fmt=x",
        "/download/indicators.pdf?fmt=1",
        "/download/department/卫建委会.xlsx?name=x",
        "/download/plan.xlsx?dept=卫建委会&fmt=x",
        "/items/health-m9?q=1&q=2",
        "/targets?sort=status&order=desc",
    ],
)
def test_query_keys_that_collide_with_url_parts_are_not_500(client, url):
    resp = client.get(url)
    assert resp.status_code in (200, 302, 400, 404), resp.status_code


def test_json_twin_link_keeps_the_query_as_query(client):
    html = client.get("/items/health-m9?item_id=x").get_data(as_text=True)
    assert "/api/items/yiyang-children-2021-2025:health-m9?item_id=x" in html or "item_id=x" in html


def test_odd_json_values_are_refused_not_500(client):
    token = signed_in(client)
    resp = client.post(
        f"/api/indicators/{MGMT}/observations",
        json={"year": 2022, "value": "85", "unit": ["%"]},
        headers={"X-CSRF-Token": token},
    )
    assert resp.status_code in (200, 201, 400, 422)
    resp = client.post("/api/reviews/99999999999999999999999/undo", json={}, headers={"X-CSRF-Token": token})
    assert resp.status_code in (400, 404, 409, 422) and resp.get_json()["ok"] is False


def test_an_empty_value_submitted_by_enter_keeps_the_stored_value(client):
    token = signed_in(client)
    client.post(
        f"/api/indicators/{MGMT}/observations", json={"year": 2022, "value": 91}, headers={"X-CSRF-Token": token}
    )
    page = client.get("/monitoring/domain/health").get_data(as_text=True)
    client.post(
        f"/monitoring/indicator/{MGMT}",
        data={"csrf_token": csrf_of(page), "year": "2022", "value": "", "next": "/monitoring/domain/health"},
    )
    values = client.get(f"/api/indicators/{MGMT}/observations").get_json()
    assert "91" in str(values)
    client.post(
        f"/monitoring/indicator/{MGMT}",
        data={
            "csrf_token": csrf_of(page),
            "year": "2022",
            "value": "",
            "clear": "1",
            "next": "/monitoring/domain/health",
        },
    )
    assert "91" not in str(client.get(f"/api/indicators/{MGMT}/observations").get_json())


def test_monitoring_department_accepts_aliases(client):
    assert client.get("/monitoring/department/卫生健康部门").status_code == 200


def test_department_without_duties_offers_no_dead_downloads(client):
    html = client.get("/departments/市审计局", follow_redirects=True).get_data(as_text=True)
    assert "暂未为该部门识别出职责" in html and "/download/department/" not in html


@pytest.mark.parametrize("name", ["市教育局", "市科技局", "市卫健委", "团市委", "市财政局"])
def test_department_page_and_its_download_list_the_same_duties(client, name):
    page = client.get(f"/api/departments/{name}").get_json()
    rows = client.get(f"/download/department/{name}.json").get_json()
    rows = rows if isinstance(rows, list) else rows["rows"]
    assert page["counts"]["total"] == len(rows)


def test_a_department_named_only_in_a_clause_can_be_rejected(client):
    from kb.store import KB

    with KB() as kb:
        item, name = next(
            (it["id"], d["name"])
            for it in kb.items(kind="measure")
            for c in it["clauses"]
            for d in c["departments"]
            if d["name"] not in {x["name"] for x in it["departments"]}
        )
    token = signed_in(client)
    resp = client.post(
        f"/api/items/{item}/review",
        json={"action": "assignment.reject", "department": name, "reason": "只是提及"},
        headers={"X-CSRF-Token": token},
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    with KB() as kb:
        after = kb.item(item)
    assert name not in {d["name"] for c in after["clauses"] for d in c["departments"]}
    page = client.get(f"/api/departments/{name}").get_json()
    assert item not in {i["id"] for g in page["groups"] for i in g["items"]}
