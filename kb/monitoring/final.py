"""The final evaluation table (终期评估): every goal with its target, baseline, final value and verdict, every measure
with its lead and co departments; xlsx or docx in the office layout."""

from __future__ import annotations

import sqlite3
from typing import Any

from kb import monitoring as mon
from kb.monitoring import findings as fd
from kb.monitoring import pace as pc
from kb.monitoring.tables import Sheet
from kb.store.durable import durable_connection

GOAL_HEADER = ["序号", "领域", "目标", "指标", "目标值", "基线值", "终期值", "评估结论", "责任单位"]
MEASURE_HEADER = ["序号", "领域", "措施", "牵头单位", "配合单位", "落实情况"]


def _value_at(obs: mon.Obs, year: int, unit: str | None) -> str:
    """'92.5%' for the year, '91%(2024年)' from the latest earlier year, '' when none."""
    if year in obs:
        return fd.show(obs[year], unit)
    earlier = [y for y in obs if y <= year]
    return f"{fd.show(obs[max(earlier)], unit)}({max(earlier)}年)" if earlier else ""


def verdict(ind: dict[str, Any], obs: mon.Obs, year: int) -> str:
    """已达标 / 未达标(滞后 …) / 无数据 for the final year, judged on the latest value up to that year."""
    s = fd.sentences()["final"]
    usable = {y: v for y, v in obs.items() if y <= year}
    if not usable:
        return s["nodata"]
    last = max(usable)
    p = pc.pace(ind, usable, last, ind["period"])
    if p.code == "met":
        return s["met"] if last == year else s["met_early"].format(year=last)
    if p.code == "nodata":
        return s["nodata_reason"].format(reason=p.reason)
    return s["unmet"].format(pace=p.label)


def goal_rows(items: list[dict[str, Any]], rows: dict[str, dict[str, Any]], year: int | None) -> list[list[Any]]:
    """One line per goal and indicator (a goal without an indicator gets one qualitative line)."""
    s = fd.sentences()["final"]
    out: list[list[Any]] = []
    for it in (i for i in items if i["kind"] == "goal"):
        owners = "、".join(d["name"] for d in it["departments"])
        inds = [rows[i["id"]] for i in it["indicators"] if i["id"] in rows]
        if not inds:
            out.append(
                [
                    len(out) + 1,
                    it["domain"] or "",
                    it["title"],
                    "",
                    s["qualitative"],
                    "",
                    "",
                    s["qualitative_verdict"],
                    owners,
                ]
            )
            continue
        for r in inds:
            ind = r["indicator"]
            period = ind["period"]
            due = year or mon.target_year(ind, period)
            by = mon.baseline_year(ind, period)
            out.append(
                [
                    len(out) + 1,
                    it["domain"] or "",
                    it["title"],
                    ind["name"],
                    f"{mon.target_text(ind, period)}({mon.target_year(ind, period)}年)",
                    f"{fd.show(r['obs'][by], r['unit'])}({by}年)" if by in r["obs"] else "",
                    _value_at(r["obs"], due, r["unit"]),
                    verdict(ind, r["obs"], due),
                    owners,
                ]
            )
    return out


def measure_rows(items: list[dict[str, Any]], reports: dict[str, str] | None = None) -> list[list[Any]]:
    """One line per measure: its lead and co departments and, when departments report progress, that status."""
    s = fd.sentences()["final"]
    out: list[list[Any]] = []
    for it in (i for i in items if i["kind"] == "measure"):
        lead = "、".join(d["name"] for d in it["departments"] if d["role"] == "lead")
        co = "、".join(d["name"] for d in it["departments"] if d["role"] != "lead")
        status = (reports or {}).get(it["id"], s["measure_placeholder"])
        out.append([len(out) + 1, it["domain"] or "", it["title"], lead or s["no_lead"], co, status])
    return out


def report_status(conn: sqlite3.Connection | None = None) -> dict[str, str]:
    """item id → its departments' latest progress reports (kb.progress): 市卫健委:已完成(2024,已提交);…"""
    from kb.progress import state_label, status_label
    from kb.progress import store as progress

    own = conn is None
    conn = conn or durable_connection()
    try:
        latest: dict[tuple[str, str], dict[str, Any]] = {}
        for r in progress.reports(conn):
            key = (r["item"], r["department"])
            if key not in latest or r["period"] > latest[key]["period"]:
                latest[key] = r
    finally:
        if own:
            conn.close()
    lines: dict[str, list[str]] = {}
    template = fd.sentences()["final"]["report_status"]
    for (item, dept), r in sorted(latest.items()):
        lines.setdefault(item, []).append(
            template.format(
                department=dept, status=status_label(r["status"]), period=r["period"], state=state_label(r["state"])
            )
        )
    return {item: ";".join(parts) for item, parts in lines.items()}


def sheets(
    plan: dict[str, Any],
    items: list[dict[str, Any]],
    rows: list[dict[str, Any]],
    year: int | None,
    reports: dict[str, str] | None = None,
) -> list[Sheet]:
    """The 目标 and 措施 tables of one plan."""
    s = fd.sentences()["final"]
    mine = [i for i in items if i["plan"] == plan["id"]]
    by_id = {r["indicator"]["id"]: r for r in rows if r["indicator"]["plan"] == plan["id"]}
    title = plan["title"]
    return [
        Sheet(
            "主要目标评估",
            s["goals_title"].format(plan=title, year=f"{year}年" if year else "各指标目标年度"),
            GOAL_HEADER,
            goal_rows(mine, by_id, year),
            [6, 12, 36, 28, 18, 14, 14, 20, 24],
            [s["note"]],
        ),
        Sheet(
            "措施落实情况",
            s["measures_title"].format(plan=title),
            MEASURE_HEADER,
            measure_rows(mine, reports),
            [6, 12, 48, 22, 36, 24],
        ),
    ]
