"""Targets: every indicator as a sortable table, and the goals with the measures that serve them."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, request

from kb.reviews import statecache
from webapp.items import indicator_view
from webapp.lookup import brief, owners, snapshot
from webapp.params import choice
from webapp.plans import chosen_plan, switcher
from webapp.render import twin

bp = Blueprint("targets", __name__)

SORTS = {
    "order": lambda r: r["order"],
    "domain": lambda r: (r["item"]["domain"] or "", r["order"]),
    "name": lambda r: (r["name"], r["order"]),
    "comparator": lambda r: (r["comparator"], r["order"]),
    "value": lambda r: (r["value"] if r["value"] is not None else 0, r["order"]),
    "unit": lambda r: (r["unit"] or "", r["order"]),
    "owner": lambda r: (r["owner"][0] if r["owner"] else "\uffff", r["order"]),
    "serving": lambda r: (-len(r["serving"]), r["order"]),
    "status": lambda r: (STATUS_ORDER.get(r["monitoring"]["current"]["code"], 9) if r["monitoring"] else 9, r["order"]),
}
STATUS_ORDER = {"unmet": 0, "met": 1, "nodata": 2}
ORDERS = {"asc": "升序", "desc": "降序"}


def _monitoring_rows() -> dict[str, dict[str, Any]]:
    """Monitoring state per indicator id (status, warnings, years) so the table can show and take values."""
    from webapp.monitoring import monitoring_rows, row_json

    _index, rows, _orphans = monitoring_rows()
    out = {}
    for r in rows:
        j = row_json(r)
        out[j["id"]] = {k: j[k] for k in ("id", "name", "unit", "current", "latest_year", "warnings", "years", "url")}
    return out


COLUMNS = [
    ("domain", "所属条目"),
    ("name", "指标"),
    ("comparator", "要求"),
    ("value", "目标值"),
    ("unit", "单位"),
    ("owner", "牵头部门"),
    ("serving", "支撑措施"),
    ("status", "监测状态"),
]
SORT_LABELS = {"order": "规划顺序", **dict(COLUMNS)}  # what ?sort= may name, in the table's words


def _serving(snap, goal_id: str) -> list[dict[str, Any]]:
    out = []
    for mid in snap.serving.get(goal_id, []):
        m = snap.by_id[mid]
        out.append({**brief(m), "lead": owners(m)["lead"]})
    return out


def _indicator_rows(snap, plan: str | None) -> list[dict[str, Any]]:
    """Every indicator of the plan in order with its item, owners, serving measures and monitoring state; once per
    state and day (kb.reviews.statecache: a build, a department or link review or a value entered, not a note;
    statuses depend on the date)."""

    def compute() -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        monitoring = _monitoring_rows()
        for it in snap.items:
            if plan and it["plan"] != plan:
                continue
            for ind in it["indicators"]:
                rows.append(
                    {
                        **indicator_view(ind),
                        "order": len(rows),
                        "item": brief(it),
                        "owner": owners(it)["lead"],
                        "co": owners(it)["co"],
                        "serving": _serving(snap, it["id"]),
                        "monitoring": monitoring.get(ind["id"]),
                    }
                )
        return rows

    return statecache.cached(snap, ("targets", plan, date.today()), compute, scope="records")


@twin(bp, "/targets", "targets.html", api_rule="/api/indicators")
def targets_page() -> dict[str, Any]:
    snap = snapshot()
    sort = choice(request.args, "sort", SORT_LABELS, "order", "排序")
    desc = choice(request.args, "order", ORDERS, "asc", "排列方向") == "desc"
    plans = [p["id"] for p in snap.plans]
    plan = chosen_plan(snap, plans)  # many plans: one at a time, kept in ?plan=
    rows = _indicator_rows(snap, plan)
    blank = [sort == "value" and r["value"] is None for r in rows]  # rows without a number stay last
    rows = sorted((r for r, b in zip(rows, blank, strict=False) if not b), key=SORTS[sort], reverse=desc) + [
        r for r, b in zip(rows, blank, strict=False) if b
    ]
    from webapp.downloads import FORMAT_LABELS, download_url

    exports = [{"format": f, "label": FORMAT_LABELS[f], "url": download_url("indicators", f)} for f in ("xlsx", "csv")]
    return {
        "indicators": rows,
        "total": len(rows),
        "sort": sort,
        "order": "desc" if desc else "asc",
        "exports": exports,
        "columns": [{"key": k, "label": lbl} for k, lbl in COLUMNS],
        "plan": plan or "",
        "switcher": switcher(snap, plan, plans),
        "title": "目标指标一览",
    }


@twin(bp, "/goals", "goals.html")
def goals_page() -> dict[str, Any]:
    snap = snapshot()
    plans = [p["id"] for p in snap.plans]
    plan = chosen_plan(snap, plans)  # many plans: one at a time, kept in ?plan=
    ctx = statecache.cached(snap, ("goals", plan), lambda: _goals(snap, plan), scope="items")
    return {**ctx, "plan": plan or "", "switcher": switcher(snap, plan, plans)}


def _goals(snap, plan: str | None) -> dict[str, Any]:
    """The plan's goals by domain with owners, indicators and serving measures (once per item state; read-only)."""
    domains: dict[str, list] = {}
    for it in snap.items:
        if it["kind"] != "goal" or (plan and it["plan"] != plan):
            continue
        domains.setdefault(it["domain"] or "其他", []).append(
            {
                **brief(it),
                "text": it["text"],
                "owners": owners(it),
                "indicators": [indicator_view(i) for i in it["indicators"]],
                "serving": _serving(snap, it["id"]),
            }
        )
    goals = [g for gs in domains.values() for g in gs]
    return {
        "domains": [{"domain": d, "goals": gs} for d, gs in domains.items()],
        "total": len(goals),
        "unserved": [g["id"] for g in goals if not g["serving"]],
        "title": "主要目标",
    }
