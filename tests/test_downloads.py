"""Download routes: files with RFC 5987 Chinese names, query-string filters, clear errors instead of empty files."""

from __future__ import annotations

import csv
import io
import json
from urllib.parse import quote, unquote

import openpyxl
import pytest
from docx import Document

from webapp import downloads


def _filename(resp) -> str:
    header = resp.headers["Content-Disposition"]
    assert header.startswith('attachment; filename="')
    return unquote(header.split("filename*=UTF-8''")[1])


@pytest.mark.parametrize(
    "url, mimetype, name_part",
    [
        ("/download/plan.xlsx", "spreadsheetml", "任务分解责任清单.xlsx"),
        ("/download/plan.docx", "wordprocessingml", "任务分解责任清单.docx"),
        ("/download/plan.csv", "text/csv", ".csv"),
        ("/download/plan.md", "text/markdown", ".md"),
        ("/download/plan.json", "application/json", ".json"),
        ("/download/department/卫健委.xlsx", "spreadsheetml", "(市卫健委).xlsx"),
        (
            "/download/department/" + quote("各区县(市)人民政府") + ".docx",
            "wordprocessingml",
            "(各区县(市)人民政府).docx",
        ),
        ("/download/indicators.xlsx?domain=health", "spreadsheetml", "指标责任清单-儿童与健康.xlsx"),
    ],
)
def test_downloads(client, url, mimetype, name_part):
    resp = client.get(url)
    assert resp.status_code == 200
    assert mimetype in resp.headers["Content-Type"]
    assert _filename(resp).endswith(name_part)
    assert int(resp.headers["Content-Length"]) == len(resp.data) > 100
    assert resp.headers["Cache-Control"] == "no-store"


def test_department_xlsx_is_the_list(client):
    resp = client.get("/download/department/市教育局.xlsx?role=lead")
    ws = openpyxl.load_workbook(io.BytesIO(resp.data)).worksheets[0]
    assert "市教育局" in ws["A1"].value
    roles = {ws.cell(r, 2).value for r in range(4, ws.max_row + 1)} - {None}
    assert roles == {"牵头"} and ws.max_row - 3 == int(resp.headers["X-Export-Rows"])


def test_query_filters_follow(client):
    resp = client.get("/download/plan.csv?domain=儿童与教育&kind=measure")
    rows = list(csv.DictReader(io.StringIO(resp.data.decode("utf-8-sig"))))
    assert rows and {r["领域"] for r in rows} == {"儿童与教育"} and {r["类别"] for r in rows} == {"政策措施"}
    assert "儿童与教育" in _filename(resp) and "政策措施" in _filename(resp)
    full = client.get("/download/plan.xlsx?per_dept_sheets=1")
    assert len(openpyxl.load_workbook(io.BytesIO(full.data)).sheetnames) > 10
    doc = Document(io.BytesIO(client.get("/download/department/妇联.docx").data))
    assert "市妇联" in doc.paragraphs[0].text


@pytest.mark.parametrize(
    "url, status, text",
    [
        ("/download/department/卫生委.json", 404, "市卫健委"),
        ("/download/department/卫生委.xlsx?api=1", 404, "最接近的部门"),
        ("/download/plan.json?kind=foo", 400, "政策措施"),
        ("/download/plan.json?reviewed_only=1", 404, "没有任务"),
        ("/download/plan.json?role=lead", 400, "部门"),
        ("/download/plan.json?plan=../../etc", 404, "没有这个规划"),
        # a yes/no that is neither: it exported everything without a word
        ("/download/plan.json?reviewed_only=maybe", 400, "reviewed_only=1 或 0"),
        ("/download/department/市教育局.json?ids=ja", 400, "ids=1 或 0"),
        ("/download/plan.json?per_dept_sheets=2", 400, "per_dept_sheets"),
    ],
)
def test_json_errors(client, url, status, text):
    resp = client.get(url)
    assert resp.status_code == status and resp.is_json
    body = resp.get_json()
    assert body["ok"] is False and body["status"] == status and text in body["error"]
    assert "Content-Disposition" not in resp.headers


def test_json_error_suggests_departments(client):
    body = client.get("/download/department/卫生委.json").get_json()
    first = body["suggestions"][0]
    assert first["label"] == "市卫健委" and unquote(first["url"]) == "/download/department/市卫健委.json"
    assert client.get(first["url"]).status_code == 200


@pytest.mark.parametrize(
    "url, status, text",
    [
        ("/download/department/卫生委.xlsx", 404, "未找到部门"),
        ("/download/department/...xlsx", 404, "未找到部门"),  # dots in the name never reach a path
        ("/download/plan.pdf", 404, "不支持的格式"),
        ("/download/plan.xlsx?domain=经济", 404, "没有这个领域"),
        ("/download/plan.xlsx?reviewed_only=1", 404, "没有任务"),
        ("/download/plan.xlsx?reviewed_only=maybe", 400, "无法理解的参数"),
    ],
)
def test_html_errors(client, url, status, text):
    resp = client.get(url, headers={"Accept": "text/html"})
    assert resp.status_code == status and "text/html" in resp.headers["Content-Type"]
    assert text in resp.data.decode("utf-8") and "Content-Disposition" not in resp.headers


def test_download_url_helper(client):
    app = client.application
    with app.test_request_context():
        assert (
            downloads.download_url("dept", "xlsx", name="市卫健委", role="lead")
            == "/download/department/" + quote("市卫健委") + ".xlsx?role=lead"
        )
        assert (
            downloads.download_url("plan", "csv", domain="health", reviewed_only=False)
            == "/download/plan.csv?domain=health"
        )
        assert downloads.download_url("indicators", "md") == "/download/indicators.md"


def test_registered_in_app(app):
    rules = {r.endpoint: r.rule for r in app.url_map.iter_rules()}
    assert rules["downloads.department"] == "/download/department/<name>.<fmt>"
    resp = app.test_client().get("/download/plan.json")
    assert resp.status_code == 200 and json.loads(resp.data)["layout"] == "plan"
