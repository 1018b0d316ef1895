"""Daily use (issue 22): a department page that names each lead, filters and sorts; print header; local times."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import pytest

from kb.duties import duties
from kb.store import KB


def _api(client, dept: str, **args):
    query = "&".join(f"{k}={v}" for k, v in args.items())
    resp = client.get(f"/api/departments/{quote(dept)}?{query}")
    assert resp.status_code == 200
    return resp.get_json()


def _entries(data) -> list[dict]:
    return [e for g in data["groups"] for e in g["items"]]


def test_co_items_name_their_lead(client, web_data):
    data = _api(client, "市教育局")
    co = [e for e in _entries(data) if e["role"] == "co"]
    assert co
    with KB() as kb:
        for e in co:
            item = kb.item(e["id"])
            leads = [d["name"] for d in item["departments"] if d["role"] == "lead"]
            assert e["leads"] == leads and "市教育局" not in e["co_partners"]
    html = client.get(f"/departments/{quote('市教育局')}").get_data(as_text=True)
    assert html.count('data-testid="lead-of"') == len(co)


@pytest.mark.parametrize(
    "role, expected", [("lead", {"lead"}), ("co", {"co"}), ("", {"lead", "co"})]
)  # an unknown role or sort is a 400: tests/test_page_params.py
def test_role_filter(client, web_data, role, expected):
    data = _api(client, "市卫健委", role=role)
    entries = _entries(data)
    assert {e["role"] for e in entries} == expected
    with KB() as kb:
        report = duties(kb.items(), "市卫健委")
    if role == "lead":
        assert len(entries) == report["lead"]


@pytest.mark.parametrize("sort", ["lead", "kind", "doc"])
def test_sort_keeps_every_item(client, web_data, sort):
    plain = _api(client, "市卫健委")
    data = _api(client, "市卫健委", sort=sort)
    assert sorted(e["id"] for e in _entries(data)) == sorted(e["id"] for e in _entries(plain))
    if sort == "lead":
        for g in data["groups"]:
            roles = [e["role"] for e in g["items"]]
            assert roles == sorted(roles, key=lambda r: r != "lead")
    assert data["sort"] == sort


def test_print_header_names_plan_and_date(client, web_data):
    html = client.get(f"/departments/{quote('市卫健委')}").get_data(as_text=True)
    assert 'data-testid="print-header"' in html and "打印日期" in html and "儿童发展规划" in html


@pytest.mark.parametrize(
    "value, zone, expected",
    [
        ("2024-03-05T06:20:00+00:00", "Asia/Shanghai", "2024-03-05 14:20"),
        ("2024-03-05T06:20:00", "Asia/Shanghai", "2024-03-05 14:20"),  # no offset: stored UTC
        ("2024-03-05T20:20:00Z", "Asia/Shanghai", "2024-03-06 04:20"),  # the local day turns
        ("2024-03-05T06:20:00+00:00", "Europe/Berlin", "2024-03-05 07:20"),
        ("2024-03-05T06:20:00+00:00", "Not/AZone", "2024-03-05 14:20"),  # a bad setting falls back
        ("不是时间", "Asia/Shanghai", "不是时间"),
        ("", "Asia/Shanghai", ""),
    ],
)
def test_local_time(monkeypatch, value, zone, expected):
    from webapp.timefmt import local_time

    monkeypatch.setenv("KB_PLAN_TIMEZONE", zone)
    assert local_time(value) == expected


def test_local_time_accepts_datetime(monkeypatch):
    from webapp.timefmt import local_time

    monkeypatch.delenv("KB_PLAN_TIMEZONE", raising=False)
    assert local_time(datetime(2024, 1, 1, 16, 0)) == "2024-01-02 00:00"


# -- undo that says what it does -------------------------------------------------------------------------
M4 = "yiyang-children-2021-2025:health-m4"


def _roles(client, item: str) -> dict[str, str]:
    data = client.get(f"/api/items/{item}").get_json()
    return {d["name"]: d["role"] for d in data["departments"]}


def test_undo_twice_does_not_reapply_and_redo_is_its_own_action(reviewer, web_data):
    from web_support import csrf

    token = {"X-CSRF-Token": csrf(reviewer)}
    added = next(d for d in ("市民政局", "市教育局", "市公安局") if d not in _roles(reviewer, M4))
    resp = reviewer.post(
        f"/api/items/{M4}/review", json={"action": "assignment.add", "department": added, "role": "co"}, headers=token
    )
    assert resp.status_code == 200, resp.get_json()
    audit_id = resp.get_json()["audit_id"]
    rows = reviewer.get("/api/reviews").get_json()["entries"]
    row = next(e for e in rows if e["id"] == audit_id)
    assert row["summary"] == f"添加 {added} 为配合单位" and row["undoable"] and "措施4" in row["item_title"]
    first = reviewer.post(f"/api/reviews/{audit_id}/undo", json={}, headers=token)
    assert first.status_code == 200 and added not in _roles(reviewer, M4)
    second = reviewer.post(f"/api/reviews/{audit_id}/undo", json={}, headers=token)
    assert second.status_code == 409 and "已撤销" in str(second.get_json())
    undo_row = first.get_json()["audit_id"]
    third = reviewer.post(f"/api/reviews/{undo_row}/undo", json={}, headers=token)  # 撤销 of the undo itself
    assert third.status_code == 409 and added not in _roles(reviewer, M4)  # still undone: nothing re-applied
    rows = {e["id"]: e for e in reviewer.get("/api/reviews").get_json()["entries"]}
    assert rows[audit_id]["undone_by"] and rows[audit_id]["redoable"] and not rows[audit_id]["undoable"]
    assert rows[undo_row]["summary"] == f"撤销:添加 {added} 为配合单位" and not rows[undo_row]["undoable"]
    html = reviewer.get("/reviews").get_data(as_text=True)
    assert "已撤销" in html and 'data-testid="redo"' in html and "data-confirm" in html
    redo = reviewer.post(f"/api/reviews/{audit_id}/redo", json={}, headers=token)
    assert redo.status_code == 200 and _roles(reviewer, M4)[added] == "co"
    again = reviewer.post(f"/api/reviews/{audit_id}/redo", json={}, headers=token)
    assert again.status_code == 409  # 恢复 twice is refused too
    rows = {e["id"]: e for e in reviewer.get("/api/reviews").get_json()["entries"]}
    assert rows[audit_id]["undoable"] and not rows[audit_id]["redoable"]
