"""Session 14's monitoring pass: the baseline year is where the pace starts, the pace reason says which distance its
share is of, the final table's title names its year, and the annual report refuses a year outside the plan."""

from __future__ import annotations

import io

import pytest
from docx import Document
from monitoring_helpers import MGMT, MORT

from kb.monitoring import final
from kb.monitoring import observations as obsdb
from kb.monitoring import pace as pc

PERIOD = (2021, 2025)
MYOPIA = {"id": "p:小学生近视率", "name": "小学生近视率", "comparator": "<=", "value": 38.0, "unit": "%", "year": 2025}


def test_the_baseline_year_is_on_its_own_path():
    """45.2 in the baseline year was 差距较大 (落后 189%) while the page said 应达 45.2 that year."""
    obs = {2020: 45.2, 2024: 40.1}
    base = pc.pace(MYOPIA, obs, 2020, PERIOD)
    assert base.code == "on_pace" and base.expected == pytest.approx(45.2)
    assert pc.path(MYOPIA, obs, PERIOD)[2020] == pytest.approx(base.expected)
    later = pc.pace(MYOPIA, obs, 2024, PERIOD)  # 45.2 → 38 over 5 years: 39.44 due in 2024, 0.66 of 7.2 behind
    assert later.code == "lagging" and later.expected == pytest.approx(39.44)
    assert "落后基线到目标全程差距的 9%" in later.reason and "按目标" not in later.reason


def test_without_a_start_the_reason_names_the_target_scale():
    late = pc.pace(MYOPIA, {2025: 45.0}, 2025, PERIOD)  # first value in the target year: no path, the target itself
    assert late.code == "far" and "以目标值的 10% 为全程差距" in late.reason


def test_a_first_value_without_baseline_starts_the_path_the_chart_draws():
    """初中生近视率 70 (2024), 66.5 (2025), nothing for 2020: the chart drew the path from 2024 while the verdict
    for 2024 read 差距较大 against the target. The first value is the start both ways now; 2025 is judged on it."""
    ind = {**MYOPIA, "id": "p:初中生近视率", "name": "初中生近视率", "value": 63.0}
    obs = {2024: 70.0, 2025: 66.5}
    first = pc.pace(ind, obs, 2024, PERIOD)
    assert first.code == "on_pace" and first.expected == pytest.approx(pc.path(ind, obs, PERIOD)[2024])
    assert "以首个监测年度为起点" in first.reason
    assert pc.pace(ind, obs, 2025, PERIOD).code == "far"  # the target year: 66.5 misses 63, half the way covered


def test_indicator_page_baseline_row(client, mon_kb):
    obsdb.write(
        [obsdb.Entry(MGMT, 2020, 80.0, "%"), obsdb.Entry(MGMT, 2024, 72.0, "%")], "测试", obsdb.indicator_index()
    )
    values = {v["year"]: v for v in client.get(f"/api/monitoring/indicator/{MGMT}").get_json()["indicator"]["values"]}
    assert values[2020]["pace"]["code"] == "on_pace" and values[2020]["path"] == pytest.approx(80.0)
    assert values[2024]["pace"]["code"] == "far"  # 88 due in 2024 (80 → 90): 16 of 10 behind


def test_final_table_title_names_the_year(mon_kb):
    plan = {"id": "p", "title": "某市儿童发展规划"}
    assert "主要目标完成情况(各指标目标年度)" in final.sheets(plan, [], [], None)[0].title
    assert "主要目标完成情况(2025年)" in final.sheets(plan, [], [], 2025)[0].title


def test_final_docx_download_has_no_placeholder(client, mon_kb):
    doc = Document(io.BytesIO(client.get("/monitoring/final.docx").data))
    assert "目标年度年" not in doc.paragraphs[0].text and "主要目标完成情况(" in doc.paragraphs[0].text


def test_annual_report_only_for_the_plans_years(client, mon_kb):
    obsdb.write([obsdb.Entry(MORT, 2023, 5.6, "‰")], "测试", obsdb.indicator_index())
    for year in (2019, 2031):
        resp = client.get(f"/monitoring/annual.md?year={year}")
        assert resp.status_code == 400 and "2020–2025" in resp.get_data(as_text=True), year
    ok = client.get("/monitoring/annual.md?year=2020")
    assert ok.status_code == 200 and ok.headers["Content-Type"] == "text/markdown; charset=utf-8"


def test_missing_indicator_names_are_listed_once(client, mon_kb):
    from collections import Counter

    from kb.monitoring import annual

    obsdb.write([obsdb.Entry(MORT, 2023, 5.6, "‰")], "测试", obsdb.indicator_index())
    md = client.get("/monitoring/annual.md?year=2023").get_data(as_text=True)
    listed = md.split("缺少监测数据的指标")[1].split("暂无2023年监测数据")[0].strip()
    names = listed.split("、")
    assert Counter(names).most_common(1)[0][1] == 1, names
    assert annual.name_list(["甲", "乙", "甲"]) == "甲(2项)、乙"
