"""Observations in the durable DB: validation tables, all-or-nothing writes, history + audit, re-anchoring."""

from __future__ import annotations

import sqlite3

import pytest

from kb.monitoring import observations as obsdb
from kb.monitoring import values as mvalues
from kb.store.durable import durable_connection

PLAN = "demo-2021-2025"


def _ind(num: str, name: str, comparator: str, value, unit, fp: str = "fp-a", **kw) -> dict:
    return {
        "id": f"{PLAN}:health-g{num}",
        "name": name,
        "comparator": comparator,
        "value": value,
        "value_max": kw.get("value_max"),
        "unit": unit,
        "baseline": kw.get("baseline"),
        "year": 2025,
        "item": f"{PLAN}:health-g{num.split('.')[0]}",
        "plan": PLAN,
        "fingerprint": fp,
        "period": (2021, 2025),
        "owners": ["市卫健委"],
        "departments": [{"name": "市卫健委", "role": "lead"}],
        "domain": "儿童与健康",
        "domain_code": "health",
        "item_title": "t",
        "item_kind": "goal",
    }


@pytest.fixture
def index(kb_data):
    inds = [
        _ind("1.i1", "5岁以下儿童死亡率", "<=", 6, "‰"),
        _ind("1.i2", "婴儿死亡率", "<=", 5, "‰"),
        _ind("2.i1", "儿童系统管理率", ">=", 90, "%", fp="fp-b"),
        _ind("3.i1", "高中阶段毛入学率", ">=", 93.5, "%"),
        _ind("4.i1", "龋患率", "decrease", None, None, fp="fp-c"),
    ]
    return {i["id"]: i for i in inds}


def _rows():
    conn = durable_connection()
    try:
        return [
            dict(r)
            for r in conn.execute("SELECT indicator, year, value, unit FROM observations ORDER BY indicator, year")
        ]
    finally:
        conn.close()


# (indicator key, year, typed value, options, expected (value, unit) or error fragment)
ENTRIES = [
    ("1.i1", 2021, "5.5", {}, (5.5, "‰")),
    ("1.i1", 2021, "5.5‰", {}, (5.5, "‰")),
    ("1.i1", 2021, 5, {}, (5.0, "‰")),
    ("1.i1", 2021, "0.55%", {}, "单位不符"),  # % for a ‰ target is refused …
    ("1.i1", 2021, "0.55%", {"convert": True}, (5.5, "‰")),  # … unless converted on purpose
    ("1.i1", 2021, "5名", {"convert": True}, "单位不符"),  # not convertible at all
    ("1.i1", 2019, "5", {}, "不在监测期内"),
    ("1.i1", 2026, "5", {}, "不在监测期内"),
    ("1.i1", "二〇二一", "5", {}, "无法识别的年度"),
    ("1.i1", 2021, "abc", {}, "无法识别的数值"),
    ("1.i1", 2021, "-1", {}, "不能为负"),
    ("1.i1", 2021, "nan", {}, "无法识别的数值"),
    ("2.i1", 2022, "95%", {}, (95.0, "%")),
    ("2.i1", 2022, "９５．５", {}, (95.5, "%")),  # full-width digits
    ("2.i1", 2022, "950", {}, "超出合理范围"),
    ("3.i1", 2022, "101.2", {}, (101.2, "%")),  # gross ratios may pass 100 %
    ("4.i1", 2022, "30%", {}, (30.0, "%")),  # directional target: any unit …
    ("4.i1", 2022, "30‰", {"known_unit": "%"}, "单位不符"),  # … but consistent across years
    ("2.i1", 2022, "95", {"unit": "‰"}, "单位不符"),
    ("2.i1", 2022, "95%", {"unit": "‰"}, "不一致"),
]


@pytest.mark.parametrize("key, year, raw, opts, expected", ENTRIES)
def test_make_entry(index, key, year, raw, opts, expected):
    ind = index[f"{PLAN}:health-g{key}"]
    if isinstance(expected, str):
        with pytest.raises(obsdb.ObservationError, match=expected):
            mvalues.make_entry(ind, year, raw, **opts)
    else:
        e = mvalues.make_entry(ind, year, raw, **opts)
        assert (e.value, e.unit) == pytest.approx(expected) if isinstance(expected[0], float) else expected
        assert e.unit == expected[1]
        assert ("换算" in e.note) == bool(opts.get("convert") and "%" in str(raw))


def test_write_history_and_audit(index):
    ind = index[f"{PLAN}:health-g1.i1"]
    c1 = obsdb.write([mvalues.make_entry(ind, 2021, "6.2", source="统计年报")], "张三", index)
    c2 = obsdb.write([mvalues.make_entry(ind, 2021, "5.9")], "李四", index)
    c3 = obsdb.write([mvalues.make_entry(ind, 2021, "5.9")], "李四", index)
    c4 = obsdb.write([obsdb.Entry(ind["id"], 2021, None)], "王五", index)
    assert (c1["set"], c2["change"], c3["unchanged"], c4["clear"]) == (1, 1, 1, 1)
    assert _rows() == []
    hist = obsdb.history(ind["id"])
    assert [(h["action"], h["actor"], h["old_value"], h["new_value"]) for h in hist] == [
        ("clear", "王五", 5.9, None),
        ("change", "李四", 6.2, 5.9),
        ("set", "张三", None, 6.2),
    ]
    assert hist[1]["source"] == "统计年报"  # a change without a source keeps the earlier one
    conn = durable_connection()
    audit = [dict(r) for r in conn.execute("SELECT actor, action, kind, target FROM audit ORDER BY id")]
    assert audit == [
        {"actor": a, "action": f"observation.{x}", "kind": "observation", "target": f"{ind['id']}@2021"}
        for a, x in (("张三", "set"), ("李四", "change"), ("王五", "clear"))
    ]
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM observation_log")
    conn.close()


@pytest.mark.parametrize(
    "by, entries, error",
    [
        ("", [("1.i1", 2021, 5.0)], "录入人"),
        ("张三", [("9.i9", 2021, 5.0)], "没有这个指标"),
    ],
)
def test_write_refuses(index, by, entries, error):
    es = [obsdb.Entry(f"{PLAN}:health-g{k}", y, v, "‰") for k, y, v in entries]
    with pytest.raises(obsdb.ObservationError, match=error):
        obsdb.write(es, by, index)
    assert _rows() == []


def test_crash_midway_changes_nothing(index, monkeypatch):
    ind = index[f"{PLAN}:health-g1.i1"]
    obsdb.write([mvalues.make_entry(ind, 2020, "7")], "张三", index)
    before = _rows()
    calls = {"n": 0}
    real = obsdb._apply

    def crash(*args, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk on fire")
        return real(*args, **kw)

    monkeypatch.setattr(obsdb, "_apply", crash)
    es = [mvalues.make_entry(ind, y, v) for y, v in ((2020, "6.9"), (2021, "6.5"), (2022, "6.1"))]
    with pytest.raises(RuntimeError):
        obsdb.write(es, "李四", index)
    assert _rows() == before
    assert [h["action"] for h in obsdb.history(ind["id"])] == ["set"]


def test_rebuild_renumbering_reanchors_and_keeps_orphans(index):
    a, b = index[f"{PLAN}:health-g1.i1"], index[f"{PLAN}:health-g1.i2"]
    obsdb.write([mvalues.make_entry(a, 2021, "6"), mvalues.make_entry(b, 2021, "4.8")], "张三", index)
    # the rebuild swapped i1/i2 and dropped 龋患率's neighbour: names + fingerprint find the rows again
    swapped = {k: dict(v) for k, v in index.items()}
    swapped[a["id"]] = {**b, "id": a["id"]}
    swapped[b["id"]] = {**a, "id": b["id"]}
    del swapped[f"{PLAN}:health-g2.i1"]
    anchored, orphans = obsdb.load(swapped)
    assert anchored[b["id"]][2021]["value"] == 6 and anchored[a["id"]][2021]["value"] == 4.8
    assert orphans == []
    res = obsdb.reanchor("系统", swapped)
    assert res["reanchored"] == 2
    assert {(r["indicator"], r["value"]) for r in _rows()} == {(b["id"], 6), (a["id"], 4.8)}
    # an indicator that vanished leaves an orphan that is reported, not deleted
    obsdb.write([mvalues.make_entry(index[f"{PLAN}:health-g2.i1"], 2021, "91")], "张三", index)
    gone = {k: v for k, v in index.items() if k != f"{PLAN}:health-g2.i1"}
    _anchored, orphans = obsdb.load(gone)
    assert [(o["indicator_name"], o["value"]) for o in orphans] == [("儿童系统管理率", 91)]
    assert "找不到同名指标" in orphans[0]["why"]
    assert obsdb.reanchor("系统", gone)["orphans"] and len(_rows()) == 3


@pytest.mark.parametrize(
    "plan, expected",
    [
        ({"id": "x", "meta": {"period": [2021, 2025]}}, (2021, 2025)),
        ({"id": "hunan-women-2016-2020", "title": "", "meta": {}}, (2016, 2020)),
        ({"id": "x", "title": "某规划", "meta": {}}, (2021, 2025)),
    ],
)
def test_plan_period(plan, expected):
    assert obsdb.plan_period(plan) == expected
