"""监测评估 web pages and JSON twins: dashboards, entry form (signed in, CSRF), import upload, downloads."""

from __future__ import annotations

import io

import pytest
from monitoring_helpers import MGMT, MONITORING_CONFIG, MORT, csrf_of, signed_in
from openpyxl import load_workbook

from kb.monitoring import workbook as mio


@pytest.fixture
def app_config():
    return MONITORING_CONFIG


@pytest.mark.parametrize(
    "url, needle",
    [
        ("/monitoring", "按领域"),
        ("/monitoring/domain/health", "5岁以下儿童死亡率"),
        ("/monitoring/department/市卫健委", "牵头负责的指标"),
        ("/monitoring/department/市教育局", "配合的指标"),
        (f"/monitoring/indicator/{MORT}", "≤6‰"),
        ("/monitoring/indicator/health-g3.i1", "5岁以下儿童死亡率"),  # short id
    ],
)
def test_pages(client, url, needle):
    resp = client.get(url)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and needle in html
    assert "<svg" in html or url == "/monitoring"
    assert ("登录后录入" in html) == url.startswith("/monitoring/indicator/")  # visitors get no form
    assert 'name="value"' not in html


@pytest.mark.parametrize(
    "url, status",
    [
        ("/monitoring/domain/nope", 404),
        ("/api/monitoring/domain/nope", 404),
        ("/monitoring/department/市卫健", 404),
        ("/monitoring/indicator/nope-g1.i9", 404),
        ("/api/indicators/nope/observations", 404),
        ("/monitoring/report.pdf", 404),
        ("/monitoring/report.xlsx?department=无此单位", 404),
    ],
)
def test_not_found_is_friendly(client, url, status):
    resp = client.get(url)
    assert resp.status_code == status
    if url.startswith("/api/"):
        assert resp.get_json()["ok"] is False
    else:
        assert "Traceback" not in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    "url, status, location",
    [
        # an alias or short name opens the dashboard under its canonical address, as /departments/ does
        ("/monitoring/department/教育局", 302, "/monitoring/department/市教育局"),
        ("/monitoring/department/卫健委", 302, "/monitoring/department/市卫健委"),
        ("/monitoring/department/卫生健康部门", 302, "/monitoring/department/市卫健委"),
        ("/monitoring/department/教育局?plan=x", 302, "/monitoring/department/市教育局?plan=x"),
        # negative rows: the canonical name is served as it is, an unknown name is a 404, the JSON twin answers
        ("/monitoring/department/市教育局", 200, None),
        ("/monitoring/department/市卫健", 404, None),
        ("/monitoring/department/无此单位", 404, None),
        ("/api/monitoring/department/卫健委", 200, None),
    ],
)
def test_department_alias_redirects_to_canonical(client, url, status, location):
    resp = client.get(url)
    assert resp.status_code == status
    if location is None:
        assert "Location" not in resp.headers
    else:
        from urllib.parse import unquote

        assert unquote(resp.headers["Location"]) == location


def test_department_alias_twin_and_unknown_error_shape(client):
    assert client.get("/api/monitoring/department/卫健委").get_json()["name"] == "市卫健委"
    body = client.get("/api/monitoring/department/卫建委会").get_json()
    assert body["ok"] is False and body["status"] == 404 and body["error"]
    assert any(s["url"].startswith("/monitoring/department/") for s in body["suggestions"])
    resp = client.get("/monitoring/report.xlsx?department=卫健委")  # the report reads the alias as the body
    assert resp.status_code == 200


def test_hints_for_misspelt_department(client):
    html = client.get("/monitoring/department/市卫健").get_data(as_text=True)
    assert "/monitoring/department/%E5%B8%82%E5%8D%AB%E5%81%A5%E5%A7%94" in html  # 市卫健委 suggested


def test_writes_need_sign_in_and_csrf(client):
    assert client.post(f"/api/indicators/{MORT}/observations", json={"year": 2021, "value": 5}).status_code == 400
    token = client.get("/api/session").get_json()["csrf_token"]
    resp = client.post(
        f"/api/indicators/{MORT}/observations", json={"year": 2021, "value": 5}, headers={"X-CSRF-Token": token}
    )
    assert resp.status_code == 401
    assert client.get(f"/api/indicators/{MORT}/observations").get_json()["observations"] == []


def test_api_entry_status_and_errors(client):
    token = signed_in(client)
    h = {"X-CSRF-Token": token}
    url = f"/api/indicators/{MORT}/observations"
    for year, value in ((2020, 8), (2021, "7.9"), (2022, 7.8)):
        r = client.post(url, json={"year": year, "value": value, "source": "卫健统计年报"}, headers=h)
        assert r.status_code == 200 and r.get_json()["status"]["code"] == "unmet"
    body = r.get_json()
    assert [w["code"] for w in body["warnings"]] == ["trend"]
    r = client.post(url, json={"year": 2023, "value": "0.55%"}, headers=h)
    assert r.status_code == 422 and "单位不符" in r.get_json()["error"]
    r = client.post(url, json={"year": 2023, "value": "0.55%", "convert": True}, headers=h)
    assert (
        r.status_code == 200 and r.get_json()["value"] == pytest.approx(5.5) and r.get_json()["status"]["code"] == "met"
    )
    got = client.get(url).get_json()
    assert [(o["year"], o["value"], o["entered_by"]) for o in got["observations"]] == [
        (2020, 8, "张三"),
        (2021, 7.9, "张三"),
        (2022, 7.8, "张三"),
        (2023, 5.5, "张三"),
    ]
    assert got["observations"][0]["source"] == "卫健统计年报" and got["status"]["code"] == "met"
    for bad in ({"year": "x", "value": 1}, {"year": 2031, "value": 1}, {"year": 2022, "value": "abc"}, {}):
        r = client.post(url, json=bad, headers=h)
        assert r.status_code == 422 and r.get_json()["ok"] is False
    assert client.post(url, json={"year": 2023, "clear": True}, headers=h).get_json()["changes"]["clear"] == 1
    overview = client.get("/api/monitoring").get_json()
    assert overview["summary"]["unmet"] >= 1 and any(w["id"] == MORT for w in overview["warnings"])
    dept = client.get("/api/monitoring/department/市卫健委").get_json()
    row = next(r for r in dept["indicators"] if r["id"] == MORT)
    assert row["current"]["code"] == "unmet" and row["values"][0]["display"] == "8"


def test_form_entry_flashes_and_redirects(client):
    signed_in(client)
    page = client.get("/monitoring/domain/health").get_data(as_text=True)
    assert f'data-testid="entry-{MGMT}"' in page and f'action="/monitoring/indicator/{MGMT}"' in page
    resp = client.post(
        f"/monitoring/indicator/{MGMT}",
        data={"csrf_token": csrf_of(page), "year": "2021", "value": "92", "next": "/monitoring/domain/health"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/monitoring/domain/health")
    html = client.get("/monitoring/domain/health").get_data(as_text=True)
    assert "已保存 2021年 92%" in html and "已达标" in html
    resp = client.post(
        f"/monitoring/indicator/{MGMT}",
        data={"csrf_token": csrf_of(html), "year": "2021", "value": "920", "next": "//evil.example/"},
    )
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/monitoring/indicator/{MGMT}")
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "未保存" in html and "超出合理范围" in html
    assert "修改记录" in html and "录入" in html


def test_import_upload_and_downloads(client):
    token = signed_in(client)
    assert 'action="/monitoring/import"' in client.get("/monitoring").get_data(as_text=True)
    tpl = client.get("/monitoring/template.xlsx")
    assert tpl.status_code == 200 and "attachment" in tpl.headers["Content-Disposition"]
    wb = load_workbook(io.BytesIO(tpl.data))
    ws = wb[mio.SHEET]
    head = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[0].value == MORT)
    row[head.index("2021")].value = "0.6%"
    buf = io.BytesIO()
    wb.save(buf)
    resp = client.post(
        "/monitoring/import",
        data={"csrf_token": token, "file": (io.BytesIO(buf.getvalue()), "t.xlsx")},
        content_type="multipart/form-data",
    )
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "未写入任何数据" in html and "单位不符" in html
    assert f"<td>{row[0].row}</td><td>{row[head.index('2021')].column_letter}</td>" in html
    resp = client.post(
        "/api/monitoring/import",
        data={"file": (io.BytesIO(buf.getvalue()), "t.xlsx")},
        headers={"X-CSRF-Token": token},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 422 and resp.get_json()["errors"][0]["col"] == row[head.index("2021")].column_letter
    row[head.index("2021")].value = 6
    buf = io.BytesIO()
    wb.save(buf)
    resp = client.post(
        "/api/monitoring/import",
        data={"file": (io.BytesIO(buf.getvalue()), "t.xlsx")},
        headers={"X-CSRF-Token": token},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 200 and resp.get_json()["changes"]["set"] == 1
    resp = client.post("/api/monitoring/import", data={}, headers={"X-CSRF-Token": token})
    assert resp.status_code == 422
    for fmt, magic in (("xlsx", b"PK"), ("docx", b"PK")):
        r = client.get(f"/monitoring/report.{fmt}?domain=health")
        assert r.status_code == 200 and r.data[:2] == magic
