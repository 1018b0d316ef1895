"""The 统计监测指标体系 (defaults, admin edits, exports), the 终期评估表 (a row for every goal and measure) and the
web downloads of the annual draft, on the full plan."""

from __future__ import annotations

import io
import zipfile

import pytest
from monitoring_helpers import MORT, PASSWORD, csrf_of
from openpyxl import load_workbook

from kb.cli import main
from kb.monitoring import final, registry
from kb.monitoring import observations as obsdb
from kb.store import KB


def _sign_in(client, name: str, role: str) -> str:
    from kb.store.users import add_user, get_user

    if get_user(name) is None:
        add_user(name, PASSWORD, role=role)
    token = csrf_of(client.get("/login").get_data(as_text=True))
    resp = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": token, "next": "/"})
    assert resp.status_code == 302
    return client.get("/api/session").get_json()["csrf_token"]


@pytest.mark.parametrize(
    "name, field, expected",
    [
        ("婴儿死亡率", "method", "一年内未满周岁的婴儿死亡数 ÷ 当年活产数 × 1000‰"),
        (
            "3岁以下儿童系统管理率",
            "definition",
            "一年内辖区内按年龄要求接受规定次数健康检查的儿童数与同期该年龄段儿童数之比。",
        ),
        ("婴儿死亡率", "unit", "‰"),
        ("婴儿死亡率", "source", "市卫健委"),
        ("婴儿死亡率", "frequency", "年报"),
        ("每千名儿童拥有床位数", "definition", ""),  # no published definition known: left for the office
    ],
)
def test_registry_defaults(mon_kb, name, field, expected):
    entries = {e["name"]: e for e in registry.entries(obsdb.indicator_index())}
    assert entries[name][field] == expected


def test_registry_edit_is_kept_audited_and_validated(mon_kb):
    index = obsdb.indicator_index()
    ind = index[MORT]
    registry.update(ind, {"frequency": "季报", "source": "市卫健委、市统计局"}, "管理员")
    e = next(e for e in registry.entries(index) if e["id"] == MORT)
    assert (e["frequency"], e["source"], e["edited"]) == ("季报", "市卫健委、市统计局", ["frequency", "source"])
    registry.update(ind, {"source": ""}, "管理员")  # empty restores the default
    e = next(e for e in registry.entries(index) if e["id"] == MORT)
    assert e["source"] == "市卫健委" and e["frequency"] == "季报"
    for bad in ({"frequency": "每天"}, {"colour": "red"}, {"definition": "长" * 501}):
        with pytest.raises(registry.RegistryError):
            registry.update(ind, bad, "管理员")
    from kb.store.durable import durable_connection

    with durable_connection() as conn:
        n = conn.execute("SELECT COUNT(*) FROM audit WHERE action = 'registry.update'").fetchone()[0]
    assert n == 2


def test_registry_exports_one_row_per_indicator(mon_kb, tmp_path):
    index = obsdb.indicator_index()
    out = tmp_path / "reg.xlsx"
    assert main(["monitor", "registry", "-o", str(out)]) == 0
    ws = load_workbook(out).active
    assert [c.value for c in ws[3]] == registry.HEADER
    assert sum(1 for r in ws.iter_rows(min_row=4) if r[-1].value) == len(index)
    registry.update(index[MORT], {"definition": '=HYPERLINK("http://x")'}, "管理员")
    assert main(["monitor", "registry", "-o", str(out)]) == 0
    cell = next(r[4] for r in load_workbook(out).active.iter_rows(min_row=4) if r[-1].value == MORT)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")  # text, never a formula
    doc = tmp_path / "reg.docx"
    assert main(["monitor", "registry", "-o", str(doc)]) == 0
    with zipfile.ZipFile(doc) as z:
        xml = z.read("word/document.xml").decode()
    assert "计算方法" in xml and "资料来源" in xml and "报送频率" in xml


def test_final_table_has_every_goal_and_measure(mon_kb, tmp_path):
    obsdb.write([obsdb.Entry(MORT, 2020, 6.0, "‰"), obsdb.Entry(MORT, 2025, 4.5, "‰")], "测试", obsdb.indicator_index())
    out = tmp_path / "final.xlsx"
    assert main(["monitor", "final", "-o", str(out)]) == 0
    wb = load_workbook(out)
    goals_ws, measures_ws = wb["主要目标评估"], wb["措施落实情况"]
    with KB() as kb:
        items = kb.items(plan=kb.plans()[0]["id"])
    goals = [i for i in items if i["kind"] == "goal"]
    measures = [i for i in items if i["kind"] == "measure"]
    goal_titles = [r[2].value for r in goals_ws.iter_rows(min_row=4) if str(r[0].value or "").isdigit()]
    measure_titles = [r[2].value for r in measures_ws.iter_rows(min_row=4) if str(r[0].value or "").isdigit()]
    assert {g["title"] for g in goals} <= set(goal_titles)
    assert len(goal_titles) == sum(max(1, len(g["indicators"])) for g in goals)
    assert measure_titles == [m["title"] for m in measures]
    row = next(r for r in goals_ws.iter_rows(min_row=4) if r[3].value == "5岁以下儿童死亡率")
    assert [c.value for c in row[4:8]] == ["≤6‰(2025年)", "6‰(2020年)", "4.5‰", "已实现"]
    docx = tmp_path / "final.docx"
    assert main(["monitor", "final", "-o", str(docx)]) == 0
    with zipfile.ZipFile(docx) as z:
        assert "终期评估表" in z.read("word/document.xml").decode()


def test_final_table_shows_department_reports(mon_kb, tmp_path):
    """When departments report progress (kb.progress), each measure's line carries their latest report."""
    from kb.store.durable import durable_connection

    with KB() as kb:
        measure = next(i for i in kb.items(plan=kb.plans()[0]["id"]) if i["kind"] == "measure")
    with durable_connection() as conn:
        for period, status, state in (("2023", "in_progress", "submitted"), ("2024", "done", "submitted")):
            conn.execute(
                "INSERT INTO progress_reports (plan, item, department, period, role, status, state, updated_by, "
                "updated_at) VALUES (?, ?, '市卫健委', ?, 'lead', ?, ?, '测试', '2024-12-01T00:00:00Z')",
                (measure["plan"], measure["id"], period, status, state),
            )
        conn.commit()
    out = tmp_path / "final.xlsx"
    assert main(["monitor", "final", "-o", str(out)]) == 0
    ws = load_workbook(out)["措施落实情况"]
    first = next(r for r in ws.iter_rows(min_row=4) if r[2].value == measure["title"])
    assert first[5].value == "市卫健委:已完成(2024,已提交)"
    other = [r[5].value for r in ws.iter_rows(min_row=4) if str(r[0].value or "").isdigit()][1]
    assert other == "待部门报告"


@pytest.mark.parametrize(
    "obs, year, expected",
    [
        ({2020: 6.0, 2025: 4.5}, 2025, "已实现"),
        ({2020: 6.0, 2024: 4.8}, 2025, "已实现(2024年数据)"),
        ({2020: 6.0, 2025: 5.8}, 2025, "未实现(差距较大)"),
        ({}, 2025, "无数据"),
    ],
)
def test_final_verdicts(obs, year, expected):
    ind = {"name": "婴儿死亡率", "comparator": "<=", "value": 5, "unit": "‰", "year": 2025, "period": (2021, 2025)}
    assert final.verdict(ind, obs, year) == expected


@pytest.mark.slow
def test_web_downloads(client, mon_kb):
    obsdb.write(
        [obsdb.Entry(MORT, y, v, "‰") for y, v in ((2020, 6.0), (2021, 5.8), (2022, 5.7), (2023, 5.6))],
        "测试",
        obsdb.indicator_index(),
    )
    md = client.get("/monitoring/annual.md?year=2023")
    assert md.status_code == 200 and "一、总体情况" in md.get_data(as_text=True)
    assert "2023年,全市5岁以下儿童死亡率为5.6‰,比上年下降0.1个千分点" in md.get_data(as_text=True)
    docx = client.get("/monitoring/annual.docx?year=2023")
    assert docx.status_code == 200 and zipfile.is_zipfile(io.BytesIO(docx.data))
    for url in (
        "/monitoring/registry.xlsx",
        "/monitoring/registry.docx",
        "/monitoring/final.xlsx",
        "/monitoring/final.docx",
    ):
        resp = client.get(url)
        assert resp.status_code == 200 and zipfile.is_zipfile(io.BytesIO(resp.data)), url
    for url, status in (
        ("/monitoring/annual.pdf", 404),
        ("/monitoring/annual.md?year=abc", 400),
        ("/monitoring/annual.md?plan=nope", 404),
        ("/monitoring/final.csv", 404),
    ):
        assert client.get(url).status_code == status, url
    page = client.get("/monitoring").get_data(as_text=True)
    assert "序时进度" in page and "/monitoring/annual.docx" in page


def test_registry_page_edit_needs_admin(client, mon_kb):
    page = client.get("/monitoring/registry")
    assert page.status_code == 200 and "统计监测指标体系" in page.get_data(as_text=True)
    assert client.get("/api/monitoring/registry").get_json()["entries"]
    token = _sign_in(client, "李四", "reviewer")
    resp = client.post(f"/api/monitoring/registry/{MORT}", json={"frequency": "季报"}, headers={"X-CSRF-Token": token})
    assert resp.status_code == 403
    client.post("/logout", data={"csrf_token": token})
    token = _sign_in(client, "王五", "admin")
    resp = client.post(f"/api/monitoring/registry/{MORT}", json={"frequency": "季报"}, headers={"X-CSRF-Token": token})
    assert resp.status_code == 200 and resp.get_json()["fields"]["frequency"] == "季报"
    bad = client.post(f"/api/monitoring/registry/{MORT}", json={"frequency": "每天"}, headers={"X-CSRF-Token": token})
    assert bad.status_code == 422
    assert client.post("/api/monitoring/registry/nope", json={}, headers={"X-CSRF-Token": token}).status_code == 404
    html = client.get("/monitoring/registry").get_data(as_text=True)
    assert 'name="frequency"' in html


def test_indicator_page_and_json_show_pace(client, mon_kb):
    obsdb.write(
        [obsdb.Entry(MORT, y, v, "‰") for y, v in ((2020, 7.0), (2021, 6.9), (2022, 6.9), (2023, 6.8))],
        "测试",
        obsdb.indicator_index(),
    )
    data = client.get(f"/api/monitoring/indicator/{MORT}").get_json()["indicator"]
    assert data["pace"]["code"] == "far" and data["pace"]["label"] == "差距较大"
    by_year = {v["year"]: v for v in data["values"]}
    assert by_year[2023]["path"] == pytest.approx(7.0 - 1.0 * 3 / 5)
    assert by_year[2024]["pace"]["code"] == "nodata"
    assert data["pace_projection"]["year"] == 2025 and data["pace_projection"]["meets"] is False
    html = client.get(f"/monitoring/indicator/{MORT}").get_data(as_text=True)
    assert "差距较大" in html and "序时进度" in html
