"""Status (已达标/未达标/无数据) and early-warning (预警) rules as (target, observations, expected) tables."""

from __future__ import annotations

import pytest

from kb import monitoring as mon

PERIOD = (2021, 2025)


def ind(
    comparator: str,
    value: float | None = None,
    unit: str | None = "%",
    value_max: float | None = None,
    baseline: str | None = None,
    year: int | None = 2025,
    name: str = "某指标率",
) -> dict:
    return {
        "id": "p:x-g1.i1",
        "name": name,
        "comparator": comparator,
        "value": value,
        "value_max": value_max,
        "unit": unit,
        "baseline": baseline,
        "year": year,
    }


# (indicator, observations year→value, year judged, expected status code)
STATUS = [
    # >= : at, above, below the target; no value that year
    (ind(">=", 90), {2023: 90}, 2023, "met"),
    (ind(">=", 90), {2023: 95.5}, 2023, "met"),
    (ind(">=", 90), {2023: 89.9}, 2023, "unmet"),
    (ind(">=", 90), {2022: 95}, 2023, "nodata"),
    # <= : mortality in ‰
    (ind("<=", 6, "‰"), {2024: 6}, 2024, "met"),
    (ind("<=", 6, "‰"), {2024: 5.2}, 2024, "met"),
    (ind("<=", 6, "‰"), {2024: 6.01}, 2024, "unmet"),
    # == with tolerance (保持在 36 月龄; relative 2 %)
    (ind("==", 36, "月龄"), {2025: 36}, 2025, "met"),
    (ind("==", 36, "月龄"), {2025: 36.5}, 2025, "met"),
    (ind("==", 36, "月龄"), {2025: 30}, 2025, "unmet"),
    (ind("==", 36, "月龄"), {2025: 40}, 2025, "unmet"),
    # coverage / 全覆盖: == 100 % means reaching 100
    (ind("==", 100), {2025: 100}, 2025, "met"),
    (ind("==", 100), {2025: 99.6}, 2025, "unmet"),
    (ind("==", 100), {2025: 98}, 2025, "unmet"),
    # ranges: 3-5 家
    (ind(">=", 3, "家", value_max=5), {2023: 3}, 2023, "met"),
    (ind(">=", 3, "家", value_max=5), {2023: 5}, 2023, "met"),
    (ind(">=", 3, "家", value_max=5), {2023: 2}, 2023, "unmet"),
    (ind(">=", 3, "家", value_max=5), {2023: 6}, 2023, "unmet"),
    # decrease_by 20 % from the 2020 baseline: target level 8 when the baseline is 10
    (ind("decrease_by", 20, baseline="以2020年为基数"), {2020: 10, 2025: 8}, 2025, "met"),
    (ind("decrease_by", 20, baseline="以2020年为基数"), {2020: 10, 2025: 7.5}, 2025, "met"),
    (ind("decrease_by", 20, baseline="以2020年为基数"), {2020: 10, 2025: 8.5}, 2025, "unmet"),
    (ind("decrease_by", 20, baseline="以2020年为基数"), {2025: 7}, 2025, "nodata"),  # no baseline value
    (ind("decrease_by", 20, baseline="以2020年为基数"), {2020: 10}, 2020, "nodata"),  # the baseline year
    (ind("decrease_by", 20, baseline="比2019年"), {2019: 10, 2020: 7}, 2020, "met"),  # explicit baseline year
    (ind("decrease_by", 2, unit="个百分点"), {2020: 10, 2025: 8}, 2025, "met"),  # points, not relative
    (ind("decrease_by", 2, unit="个百分点"), {2020: 10, 2025: 8.4}, 2025, "unmet"),
    # increase_by 10 %
    (ind("increase", 10), {2020: 50, 2024: 55}, 2024, "met"),
    (ind("increase", 10), {2020: 50, 2024: 54}, 2024, "unmet"),
    # increase / decrease without a number: direction vs the baseline year
    (ind("increase", None, None), {2020: 80, 2023: 81}, 2023, "met"),
    (ind("increase", None, None), {2020: 80, 2023: 80}, 2023, "unmet"),
    (ind("increase", None, None), {2020: 80, 2023: 79}, 2023, "unmet"),
    (ind("increase", None, None), {2023: 79}, 2023, "nodata"),
    (ind("decrease", None, None), {2020: 5, 2022: 4.5}, 2022, "met"),
    (ind("decrease", None, None), {2020: 5, 2022: 5.5}, 2022, "unmet"),
    # a comparator the rules do not know is never guessed
    (ind("~", 5), {2022: 5}, 2022, "nodata"),
]


@pytest.mark.parametrize("target, obs, year, expected", STATUS)
def test_status(target, obs, year, expected):
    st = mon.status(target, obs, year, PERIOD)
    assert st.code == expected, st.reason
    assert st.label == {"met": "已达标", "unmet": "未达标", "nodata": "无数据"}[expected]
    assert st.reason


@pytest.mark.parametrize(
    "target, kind, text",
    [
        (ind(">=", 90), "ge", "≥90%"),
        (ind("<=", 6, "‰"), "le", "≤6‰"),
        (ind("==", 100), "coverage", "全覆盖(100%)"),
        (ind("==", 36, "月龄"), "equal", "=36月龄"),
        (ind(">=", 3, "家", value_max=5), "range", "3–5家"),
        (ind("decrease_by", 20, baseline="以2020年为基数"), "decrease_by", "较2020年下降20%"),
        (ind("increase", 10), "increase_by", "较2020年提高10%"),
        # a change by a range is a change (checked against its lower end), not a level between two ends
        (
            ind("decrease_by", 0.5, "个百分点", value_max=1, baseline="在2020年基础上"),
            "decrease_by",
            "较2020年下降0.5–1个百分点",
        ),
        (ind("increase", None, None), "increase", "较2020年提高"),
        (ind("decrease", None, None), "decrease", "较2020年下降"),
        (ind("~", 1), "unknown", "目标未量化"),
        # the unit a target is counted per is said where the name does not say it already
        ({**ind(">=", 1, "名"), "name": "全科医生数", "per": "每所乡镇卫生院"}, "ge", "每所乡镇卫生院≥1名"),
        ({**ind(">=", 1, "小时"), "name": "校内体育活动时间", "per": "每天"}, "ge", "每天≥1小时"),
        ({**ind(">=", 2.8, "张"), "name": "每千名儿童拥有床位数", "per": "每千名儿童"}, "ge", "≥2.8张"),
        ({**ind("~", 1), "name": "睡眠时间", "per": "每天"}, "unknown", "目标未量化"),
    ],
)
def test_rule_kind_and_words(target, kind, text):
    assert mon.rule_kind(target) == kind
    assert mon.target_text(target, PERIOD) == text


# (indicator, observations, expected warning codes)
WARNINGS = [
    # trend: improving fast enough → none; too slowly → trend
    (ind(">=", 90), {2020: 80, 2021: 83, 2022: 86}, []),
    (ind(">=", 90), {2020: 80, 2021: 81, 2022: 82}, ["trend"]),
    (ind("<=", 6, "‰"), {2020: 8, 2021: 7.5, 2022: 7}, []),
    (ind("<=", 6, "‰"), {2020: 8, 2021: 7.9, 2022: 7.8}, ["trend"]),
    # fewer than three points: no projection
    (ind(">=", 90), {2020: 80, 2021: 80.5}, []),
    # the target year is observed: the status is final, no projection
    (ind(">=", 90), {2023: 80, 2024: 81, 2025: 82}, []),
    # coverage creeping up but not reaching 100 %
    (ind("==", 100), {2020: 90, 2021: 92, 2022: 93}, ["trend"]),
    (ind("==", 100), {2020: 70, 2021: 80, 2022: 90}, []),
    # range: heading past the upper bound
    (ind(">=", 3, "家", value_max=5), {2020: 2, 2021: 4, 2022: 6}, ["trend"]),
    (ind(">=", 3, "家", value_max=5), {2020: 3, 2021: 3.2, 2022: 3.4}, []),
    # equal: drifting away from 36
    (ind("==", 36, "月龄"), {2021: 24, 2022: 24, 2023: 25}, ["trend"]),
    # decrease_by 20 %: baseline 10 → level 8
    (ind("decrease_by", 20, baseline="以2020年为基数"), {2020: 10, 2021: 9.5, 2022: 9}, []),
    (ind("decrease_by", 20, baseline="以2020年为基数"), {2020: 10, 2021: 9.9, 2022: 9.8}, ["trend"]),
    # directional without a number: wrong direction warns
    (ind("increase", None, None), {2020: 80, 2021: 79, 2022: 78}, ["trend"]),
    (ind("decrease", None, None), {2020: 5, 2021: 4.8, 2022: 4.6}, []),
    # volatility: up/down reversals with a ≥20 % year-on-year change
    (ind("<=", 6, "‰"), {2020: 5, 2021: 3, 2022: 5.5, 2023: 3.2}, ["volatility"]),
    (ind(">=", 90), {2020: 95, 2021: 97, 2022: 94, 2023: 96}, []),  # reversals but small changes
    (ind(">=", 3), {2020: 10, 2021: 20, 2022: 40}, []),  # big but steady growth
    (ind(">=", 90), {2020: 50, 2021: 80, 2022: 60, 2023: 61}, ["trend", "volatility"]),
    (ind(">=", 1, "名"), {2020: 0, 2021: 2, 2022: 1}, ["volatility"]),  # from zero: an unbounded change
]


@pytest.mark.parametrize("target, obs, expected", WARNINGS)
def test_warnings(target, obs, expected):
    a = mon.assess(target, obs, PERIOD)
    assert [w.code for w in a["warnings"]] == expected, [w.text for w in a["warnings"]]
    for w in a["warnings"]:
        assert w.text and w.as_dict()["label"] in ("趋势预警", "波动预警")


def test_trend_warning_explains_projection():
    a = mon.assess(ind(">=", 90), {2020: 80, 2021: 81, 2022: 82}, PERIOD)
    assert a["projection"]["year"] == 2025 and a["projection"]["value"] == pytest.approx(85)
    assert "2025年预计为 85" in a["warnings"][0].text and "不满足目标 ≥90%" in a["warnings"][0].text


@pytest.mark.parametrize(
    "obs, current, latest",
    [
        ({}, "nodata", None),
        ({2020: 80, 2023: 91}, "met", 2023),
        ({2020: 95, 2023: 85}, "unmet", 2023),
    ],
)
def test_current_status_is_latest_year(obs, current, latest):
    a = mon.assess(ind(">=", 90), obs, PERIOD)
    assert (a["current"].code, a["latest_year"]) == (current, latest)
    assert a["years"] == [2020, 2021, 2022, 2023, 2024, 2025]


def test_linear_trend_least_squares():
    assert mon.linear_trend({2020: 1, 2021: 3, 2022: 5}) == pytest.approx((2, 1 - 2 * 2020))
    assert mon.linear_trend({2020: 1}) is None


@pytest.mark.parametrize("unit, expected", [("％", "%"), ("/10万", "1/10万"), ("", None), (None, None), ("‰", "‰")])
def test_norm_unit(unit, expected):
    assert mon.norm_unit(unit) == expected


@pytest.mark.parametrize(
    "target, expected",
    [
        (ind(">=", 90), "%"),
        (ind("<=", 6, "‰"), "‰"),
        (ind("decrease_by", 20), None),
        (ind("decrease_by", 2, unit="个百分点"), "%"),
        (ind("increase", None, None), None),
        (ind(">=", 1, "名"), "名"),
    ],
)
def test_observation_unit(target, expected):
    assert mon.observation_unit(target) == expected
