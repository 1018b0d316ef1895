"""The targets page carries each indicator's monitoring status and takes yearly values from signed-in users."""

from __future__ import annotations

import re

import pytest
from monitoring_helpers import MGMT, MONITORING_CONFIG, csrf_of, signed_in


@pytest.fixture
def app_config():
    return MONITORING_CONFIG


def _status_of(html: str, ind_id: str) -> str:
    form = html.index(f'data-testid="entry-{ind_id}"') if f'data-testid="entry-{ind_id}"' in html else None
    row = html[:form] if form else html
    return re.findall(r'data-status="(\w+)"', row)[-1]


def test_anonymous_sees_status_and_a_sign_in_link(client):
    html = client.get("/targets").get_data(as_text=True)
    assert "监测状态" in html and 'data-status="nodata"' in html and "审核员登录" in html
    assert html.count("登录后录入") == 0  # one sign-in hint above the table, not one per row
    row = client.get("/api/indicators").get_json()["indicators"][0]
    assert row["monitoring"]["current"]["code"] == "nodata" and row["monitoring"]["years"][-1] == 2025


def test_entering_a_value_on_the_targets_page_changes_its_status(client):
    signed_in(client)
    page = client.get("/targets").get_data(as_text=True)
    assert f'data-testid="entry-{MGMT}"' in page
    resp = client.post(
        f"/monitoring/indicator/{MGMT}",
        data={"csrf_token": csrf_of(page), "year": "2022", "value": "93", "next": "/targets"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/targets")
    after = client.get("/targets").get_data(as_text=True)
    assert _status_of(after, MGMT) == "met"
    rows = {r["id"]: r for r in client.get("/api/indicators").get_json()["indicators"]}
    assert rows[MGMT]["monitoring"]["latest_year"] == 2022


def test_sort_by_status_puts_unmet_first(client):
    signed_in(client)
    token = client.get("/api/session").get_json()["csrf_token"]
    resp = client.post(
        f"/api/indicators/{MGMT}/observations", json={"year": 2022, "value": 50}, headers={"X-CSRF-Token": token}
    )
    assert resp.status_code in (200, 201)
    rows = client.get("/api/indicators?sort=status").get_json()["indicators"]
    assert rows[0]["id"] == MGMT and rows[0]["monitoring"]["current"]["code"] == "unmet"
