"""Generated findings of the annual report against a table of expected sentences (values 2020–2024, ≥ 20 indicators):
every unit (‰ 个千分点, % 个百分点, /10万, counts, hours, none), every direction (提高/下降/增加/减少/持平),
met / not met (按序时进度, 滞后, 差距较大) / no data, ranges, 全覆盖, relative and point decreases, directional."""

from __future__ import annotations

import pytest

from kb.monitoring import annual
from kb.monitoring import findings as fd
from kb.monitoring import pace as pc

PERIOD = (2021, 2025)


def ind(name, comparator, value=None, unit="%", value_max=None, baseline=None):
    return {
        "id": f"p:{name}",
        "name": name,
        "comparator": comparator,
        "value": value,
        "value_max": value_max,
        "unit": unit,
        "baseline": baseline,
        "year": 2025,
        "departments": [{"name": "市卫健委", "role": "lead"}, {"name": "市教育局", "role": "co"}],
    }


BASE20 = "以2020年为基数"
# (indicator, observations, unit of the values, year, expected pace code, expected sentence or None)
FINDINGS = [
    (
        ind("婴儿死亡率", "<=", 5, "‰"),
        {2020: 6.0, 2021: 5.6, 2022: 5.4, 2023: 5.0, 2024: 4.9},
        "‰",
        2024,
        "met",
        "2024年,全市婴儿死亡率为4.9‰,比上年下降0.1个千分点,低于5‰的规划目标,已达标。",
    ),
    (
        ind("新生儿死亡率", "<=", 3, "‰"),
        {2020: 3.2, 2021: 3.1, 2022: 3.0, 2023: 2.8, 2024: 2.8},
        "‰",
        2024,
        "met",
        "2024年,全市新生儿死亡率为2.8‰,与上年持平,低于3‰的规划目标,已达标。",
    ),
    (
        ind("5岁以下儿童死亡率", "<=", 6, "‰"),
        {2020: 7.0, 2021: 6.9, 2022: 6.9, 2023: 6.8, 2024: 6.9},
        "‰",
        2024,
        "far",
        "2024年,全市5岁以下儿童死亡率为6.9‰,比上年提高0.1个千分点,距6‰的规划目标还差0.9个千分点,"
        "与目标差距较大;按近年趋势推算,2025年预计为6.8‰,难以实现目标。",
    ),
    (
        ind("3岁以下儿童系统管理率", ">=", 90),
        {2020: 85, 2021: 86, 2022: 87, 2023: 88, 2024: 89.5},
        "%",
        2024,
        "on_pace",
        "2024年,全市3岁以下儿童系统管理率为89.5%,比上年提高1.5个百分点,距90%的规划目标还差0.5个百分点,"
        "按序时进度推进;按近年趋势推算,2025年预计为90.4%,可望实现目标。",
    ),
    (
        ind("适龄儿童免疫规划疫苗接种率", ">=", 95),
        {2020: 90, 2021: 90.5, 2022: 91, 2023: 91.5, 2024: 93},
        "%",
        2024,
        "lagging",
        "2024年,全市适龄儿童免疫规划疫苗接种率为93%,比上年提高1.5个百分点,距95%的规划目标还差2个百分点,"
        "滞后于序时进度;按近年趋势推算,2025年预计为93.3%,难以实现目标。",
    ),
    (
        ind("孕产妇死亡率", "<=", 12, "1/10万"),
        {2020: 15.0, 2021: 14.0, 2022: 13.0, 2023: 12.5, 2024: 11.8},
        "1/10万",
        2024,
        "met",
        "2024年,全市孕产妇死亡率为11.8/10万,比上年下降0.7个十万分点,低于12/10万的规划目标,已达标。",
    ),
    (
        ind("每千名儿童床位数", ">=", 2.8, "张"),
        {2020: 2.5, 2021: 2.5, 2022: 2.6, 2023: 2.6, 2024: 2.9},
        "张",
        2024,
        "met",
        "2024年,全市每千名儿童床位数为2.9张,比上年增加0.3张,高于2.8张的规划目标,已达标。",
    ),
    (
        ind("每千名儿童儿科执业(助理)医生数", ">=", 1, "名"),
        {2020: 0.8, 2021: 0.9, 2022: 1.0, 2023: 1.1, 2024: 1.0},
        "名",
        2024,
        "met",
        "2024年,全市每千名儿童儿科执业(助理)医生数为1名,比上年减少0.1名,达到1名的规划目标,已达标。",
    ),
    (
        ind("儿童服务类社会组织数", ">=", 3, "家", value_max=5),
        {2020: 1, 2021: 2, 2022: 2, 2023: 3, 2024: 4},
        "家",
        2024,
        "met",
        "2024年,全市儿童服务类社会组织数为4家,比上年增加1家,处于3–5家的规划目标区间内,已达标。",
    ),
    (
        ind("儿童友好示范单位数", ">=", 3, "家", value_max=5),
        {2020: 2, 2021: 3, 2022: 4, 2023: 5, 2024: 6},
        "家",
        2024,
        "far",
        "2024年,全市儿童友好示范单位数为6家,比上年增加1家,超出3–5家的规划目标区间上限1家,与目标差距较大;"
        "按近年趋势推算,2025年预计为7家,难以实现目标。",
    ),
    (
        ind("儿童之家示范点数", ">=", 3, "家", value_max=5),
        {2020: 1, 2023: 2, 2024: 2},
        "家",
        2024,
        "far",
        "2024年,全市儿童之家示范点数为2家,与上年持平,低于3–5家的规划目标区间下限1家,与目标差距较大;"
        "按近年趋势推算,2025年预计为2.4家,难以实现目标。",
    ),
    (
        ind("农村卫生厕所覆盖率", "==", 100),
        {2020: 90, 2021: 92, 2022: 95, 2023: 98, 2024: 100},
        "%",
        2024,
        "met",
        "2024年,全市农村卫生厕所覆盖率为100%,比上年提高2个百分点,实现全覆盖目标,已达标。",
    ),
    (
        ind("义务教育学校免试就近入学覆盖率", "==", 100),
        {2020: 95, 2023: 98, 2024: 99},
        "%",
        2024,
        "on_pace",
        "2024年,全市义务教育学校免试就近入学覆盖率为99%,比上年提高1个百分点,距全覆盖目标还差1个百分点,"
        "按序时进度推进;按近年趋势推算,2025年预计为100%,可望实现目标。",
    ),
    (
        ind("儿童伤害死亡率", "decrease_by", 20, "%", baseline=BASE20),
        {2020: 10, 2021: 9.5, 2022: 9, 2023: 8.6, 2024: 7.9},
        "1/10万",
        2024,
        "met",
        "2024年,全市儿童伤害死亡率为7.9/10万,比上年下降0.7个十万分点,较2020年下降21%,"
        "实现“较2020年下降20%”的规划目标,已达标。",
    ),
    (
        ind("儿童溺水死亡率", "decrease_by", 20, "%", baseline=BASE20),
        {2021: 9.2, 2022: 9, 2023: 8.8, 2024: 8.5},
        "1/10万",
        2024,
        "nodata",
        "2024年,全市儿童溺水死亡率为8.5/10万,比上年下降0.3个十万分点,因缺少2020年基线数据,暂无法评估达标情况。",
    ),
    (
        ind("小学生近视率", "decrease_by", 2, "个百分点", baseline=BASE20),
        {2020: 40, 2022: 39.5, 2023: 39.2, 2024: 38.8},
        "%",
        2024,
        "lagging",
        "2024年,全市小学生近视率为38.8%,比上年下降0.4个百分点,较2020年下降1.2个百分点,"
        "距“较2020年下降2个百分点”的规划目标还差0.8个百分点,滞后于序时进度;按近年趋势推算,2025年预计为38.6%,"
        "难以实现目标。",
    ),
    (
        ind("12岁儿童龋患率", "decrease", None, None),
        {2020: 30, 2021: 29.5, 2022: 29, 2023: 28, 2024: 27},
        "%",
        2024,
        "met",
        "2024年,全市12岁儿童龋患率为27%,比上年下降1个百分点,低于2020年的30%,实现规划“下降”目标,已达标。",
    ),
    (
        ind("学前教育普及率", "increase", None, None),
        {2020: 85, 2023: 84, 2024: 84.5},
        "%",
        2024,
        "lagging",
        "2024年,全市学前教育普及率为84.5%,比上年提高0.5个百分点,未高于2020年的85%,尚未实现规划“提高”目标;"
        "按近年趋势推算,2025年预计为84%,难以实现目标。",
    ),
    (
        ind("项目监测对象月龄上限", "==", 36, "月龄"),
        {2020: 24, 2024: 36},
        "月龄",
        2024,
        "met",
        "2024年,全市项目监测对象月龄上限为36月龄,比2020年增加12月龄,保持在36月龄的规划目标水平,已达标。",
    ),
    (
        ind("校外体育活动时间", ">=", 1, "小时"),
        {2020: 0.5, 2021: 0.5, 2022: 0.6, 2023: 0.6, 2024: 0.7},
        "小时",
        2024,
        "far",
        "2024年,全市校外体育活动时间为0.7小时,比上年增加0.1小时,距1小时的规划目标还差0.3小时,与目标差距较大;"
        "按近年趋势推算,2025年预计为0.7小时,难以实现目标。",
    ),
    (
        ind("新生儿访视率", ">=", 90),
        {2020: 92, 2023: 91, 2024: 89},
        "%",
        2024,
        "lagging",
        "2024年,全市新生儿访视率为89%,比上年下降2个百分点,距90%的规划目标还差1个百分点,滞后于序时进度;"
        "按近年趋势推算,2025年预计为88.9%,难以实现目标。",
    ),
    (
        ind("5岁以下儿童生长迟缓率", "<=", 5),
        {2020: 6, 2021: 5.8, 2023: 5.5},
        "%",
        2024,
        "nodata",
        None,  # nothing observed in 2024: no finding (listed among the missing instead)
    ),
    (
        ind("早期婴儿死亡率", "<=", 5, "‰"),
        {2020: 6.0, 2022: 5.4},
        "‰",
        2022,
        "on_pace",
        "2022年,全市早期婴儿死亡率为5.4‰,比2020年下降0.6个千分点,距5‰的规划目标还差0.4个千分点,"
        "按序时进度推进;按近年趋势推算,2025年预计为4.5‰,可望实现目标。",
    ),
    (
        ind("每千名儿童拥有床位数", ">=", 2.8, "张"),
        {2020: 2.8, 2022: 2.8},
        "张",
        2022,
        "met",
        "2022年,全市每千名儿童拥有床位数为2.8张,与2020年持平,达到2.8张的规划目标,已达标。",
    ),
    (
        ind("产前筛查率", ">=", 90),
        {2024: 95},
        "%",
        2024,
        "met",
        "2024年,全市产前筛查率为95%,高于90%的规划目标,已达标。",
    ),
    (
        ind("儿童之家数", ">=", 3, None),
        {2020: 1, 2021: 1, 2022: 2, 2023: 2, 2024: 4},
        None,
        2024,
        "met",
        "2024年,全市儿童之家数为4,比上年增加2,高于3的规划目标,已达标。",
    ),
    (
        ind("儿童工作满意度", "~", 5),
        {2023: 5, 2024: 5},
        "%",
        2024,
        "nodata",
        "2024年,全市儿童工作满意度为5%,与上年持平。",  # a target the rules cannot read: the value, no verdict
    ),
]


@pytest.mark.parametrize("target, obs, unit, year, code, expected", FINDINGS, ids=[f[0]["name"] for f in FINDINGS])
def test_finding_sentence(target, obs, unit, year, code, expected):
    assert pc.pace(target, obs, year, PERIOD).code == code
    assert fd.finding(target, obs, year, PERIOD, unit, "全市") == expected


def test_table_covers_the_genre():
    """At least 20 indicators, values across 2020–2024, every pace code and every kind of target."""
    names = {f[0]["name"] for f in FINDINGS}
    years = {y for f in FINDINGS for y in f[1]}
    assert len(names) >= 20 and years == {2020, 2021, 2022, 2023, 2024}
    assert {f[4] for f in FINDINGS} == set(pc.PACE_ORDER)
    words = "".join(f[5] or "" for f in FINDINGS)
    for w in ("个千分点", "个百分点", "个十万分点", "提高", "下降", "增加", "减少", "持平", "全覆盖", "区间"):
        assert w in words, w


@pytest.mark.parametrize(
    "plan, expected",
    [
        ({"meta": {"level": "市"}, "title": "益阳市儿童发展规划"}, "全市"),
        ({"meta": {"level": "县"}, "title": "桃江县儿童发展规划"}, "全县"),
        ({"meta": {}, "title": "湖南省妇女发展规划"}, "全省"),
        ({"meta": {}, "title": "资阳区儿童发展规划"}, "全区"),
        ({}, "全市"),
    ],
)
def test_scope_word(plan, expected):
    assert fd.scope_word(plan) == expected


def _rows(cases, year):
    return [
        {"indicator": {**c[0], "period": PERIOD, "plan": "p", "domain_code": "health"}, "obs": c[1], "unit": c[2]}
        for c in cases
    ]


def test_summary_counts_and_rate():
    cases = [f for f in FINDINGS if f[3] == 2024]
    rows = annual.judged(_rows(cases, 2024), 2024)
    c = annual.counts(rows)
    expected = {code: sum(f[4] == code for f in cases) for code in pc.PACE_ORDER}
    assert {k: c[k] for k in pc.PACE_ORDER} == expected
    assert c["monitorable"] == len(cases) - expected["nodata"]
    text = "".join(annual.summary_sentences(c, 2024))
    rate = f"{expected['met'] / c['monitorable'] * 100:.1f}%"
    assert f"2024年可监测指标{c['monitorable']}项,已达标{expected['met']}项,达标率{rate}" in text
    assert f"按序时进度推进{expected['on_pace']}项,滞后{expected['lagging']}项,差距较大{expected['far']}项" in text


@pytest.mark.parametrize(
    "met, monitorable, expected", [(31, 33, "93.9%"), (0, 5, "0.0%"), (5, 5, "100.0%"), (0, 0, "—")]
)
def test_rate_text(met, monitorable, expected):
    assert annual.rate_text(met, monitorable) == expected


def test_no_monitorable_indicator_says_so():
    c = annual.counts(annual.judged(_rows([FINDINGS[0]], 2019), 2019))
    assert annual.summary_sentences(c, 2019) == ["《规划》共设量化监测指标1项,2019年暂无可监测指标。"]


@pytest.mark.parametrize(
    "departments, expected",
    [
        ([{"name": "市卫健委", "role": "lead"}], "牵头单位市卫健委"),
        (
            [{"name": "市卫健委", "role": "lead"}, {"name": "市教育局", "role": "co"}],
            "牵头单位市卫健委,配合单位市教育局",
        ),
        ([{"name": "市教育局", "role": "co"}], "牵头单位待明确,配合单位市教育局"),
        ([], "责任单位待明确"),
    ],
)
def test_departments_text(departments, expected):
    assert fd.departments_text({"departments": departments}) == expected
