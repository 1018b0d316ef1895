"""Review findings kept fixed: colliding query keys, odd JSON, huge ids, empty value entry, aliases, empty duties."""

from __future__ import annotations

import pytest
from monitoring_helpers import MGMT, MONITORING_CONFIG, csrf_of, signed_in


@pytest.fixture
def app_config():
    return MONITORING_CONFIG


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
    resp = client.get("/monitoring/department/卫生健康部门", follow_redirects=True)
    assert resp.status_code == 200 and resp.request.path == "/monitoring/department/市卫健委"


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
    from kb.reviews import reviewed_item

    after = reviewed_item(item)
    assert name not in {d["name"] for c in after["clauses"] for d in c["departments"]}
    page = client.get(f"/api/departments/{name}").get_json()
    assert item not in {i["id"] for g in page["groups"] for i in g["items"]}


# -- issue 14: notes rendered once, within a cap, never per view -------------------------------------
NOTE_ITEM = "yiyang-children-2021-2025:health-m4"


def _note(client, body: str, action: str = "note.add", **extra):
    from web_support import csrf

    return client.post(
        f"/api/items/{NOTE_ITEM}/review",
        json={"action": action, "body": body, **extra},
        headers={"X-CSRF-Token": csrf(client)},
    )


@pytest.mark.parametrize(
    "body,status",
    [
        ("[" * 20_000, 422),  # the 71-second note of the report: over the cap, refused
        ("![" * 10_000, 422),
        ("[a](" * 5_000, 422),
        ("[" * 9_000, 200),  # the same shapes under the cap render once, at write time
        ("![" * 4_900, 200),
        ("**正常的备注**", 200),
        ("   ", 422),
    ],
)
def test_note_bodies_are_capped(reviewer, body, status):
    assert _note(reviewer, body).status_code == status


def test_viewing_an_item_never_renders_its_notes(reviewer, client, monkeypatch):
    import kb.reviews.markup as markup

    assert _note(reviewer, "**加粗** 与 [链接](https://example.org)").status_code == 200

    def boom(md: str) -> str:
        raise AssertionError("a note was rendered on a read")

    monkeypatch.setattr(markup, "render_note", boom)
    monkeypatch.setattr("kb.reviews.overlay.render_note", boom)
    monkeypatch.setattr("kb.reviews.render_note", boom)
    for c in (reviewer, client):  # signed in and anonymous
        html = c.get(f"/items/{NOTE_ITEM}").get_data(as_text=True)
        assert "<strong>加粗</strong>" in html and 'href="https://example.org"' in html


def test_a_lone_surrogate_in_a_note_is_a_400_not_a_500(reviewer):
    from web_support import csrf

    raw = '{"action": "note.add", "body": "bad \\ud800 text"}'
    resp = reviewer.post(
        f"/api/items/{NOTE_ITEM}/review",
        data=raw,
        content_type="application/json",
        headers={"X-CSRF-Token": csrf(reviewer)},
    )
    assert resp.status_code == 400 and resp.get_json()["ok"] is False


def test_a_reviewer_edits_only_their_own_notes(app, reviewer):
    from web_support import PASSWORD, csrf, make_user, sign_in

    from kb.reviews import list_reviews

    assert _note(reviewer, "我的备注").status_code == 200
    note = next(r for r in list_reviews(kind="note"))["target"]
    other = app.test_client()
    make_user("reviewer2")
    assert sign_in(other, "reviewer2").status_code == 302
    for action in ("note.edit", "note.remove"):
        resp = _note(other, "改掉", action=action, note=note)
        assert resp.status_code == 422 and "自己的备注" in resp.get_json()["error"]
    # nor through another item's URL
    resp = reviewer.post(
        "/api/items/yiyang-children-2021-2025:health-m1/review",
        json={"action": "note.edit", "note": note, "body": "换个地方改"},
        headers={"X-CSRF-Token": csrf(reviewer)},
    )
    assert resp.status_code == 422 and "不属于" in resp.get_json()["error"]
    from kb.store.users import add_user

    add_user("admin1", PASSWORD, role="admin")
    admin = app.test_client()
    assert sign_in(admin, "admin1").status_code == 302
    assert _note(admin, "管理员修订", action="note.edit", note=note).status_code == 200
    [row] = list_reviews(kind="note")
    assert row["body"] == "管理员修订" and row["actor"] == "reviewer1"


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 1000 + "]" * 1000,  # nested 1,000 deep (the anonymous 500 at /api/login)
        '{"a":' * 200 + "1" + "}" * 200,
        '{"name": "\\udfff", "password": "x"}',
        '{"name": "x", "password": ' + "9" * 5000 + "}",
        '{"name": "x", "password": 1e999}',
        '{"name": "x", "password": NaN}',
        '{"name": "x", ',
        "\xff\xfe",
    ],
)
@pytest.mark.parametrize("path", ["/api/login", f"/api/items/{NOTE_ITEM}/review", "/api/indicators/x/observations"])
def test_malformed_or_hostile_json_is_a_400_in_the_api_shape(reviewer, raw, path):
    from web_support import csrf

    resp = reviewer.post(
        path,
        data=raw.encode("utf-8", "surrogatepass"),
        content_type="application/json",
        headers={"X-CSRF-Token": csrf(reviewer)},
    )
    assert resp.status_code in (400, 401, 404, 422), resp.status_code
    body = resp.get_json()
    assert body["ok"] is False and body["status"] == resp.status_code and body["error"]


@pytest.mark.parametrize(
    "payload,status",
    [
        ({"year": 10**30, "value": 91}, 400),  # a huge integer: refused by the JSON guard
        ({"year": "9" * 5000, "value": 91}, 422),
        ({"year": 1850, "value": 91}, 422),
        ({"year": 2035, "clear": True}, 200),  # clearing a year outside the period answers, not raises
        ({"year": 2022}, 422),  # no value and no clear: nothing is deleted
        ({"year": 2022, "value": 91, "source": "来" * 900_000}, 413),  # over the request cap
        ({"year": 2022, "value": 91, "source": "来" * 5_000}, 422),  # over the field cap
        ({"year": 2022, "value": 91, "source": "市统计局年报"}, 200),
    ],
)
def test_observation_inputs_are_capped_and_answered(client, payload, status):
    token = signed_in(client)
    resp = client.post(f"/api/indicators/{MGMT}/observations", json=payload, headers={"X-CSRF-Token": token})
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    assert resp.get_json()["ok"] is (status == 200)
