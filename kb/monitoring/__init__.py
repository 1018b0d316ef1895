"""Monitoring rules (监测评估): an indicator's status per year and early warnings (预警) from its observations.

Targets are judged in kb/monitoring/targets.py, warnings raised in kb/monitoring/early_warnings.py; this module
assesses indicators and selects dashboard rows. The names callers use are re-exported here.
"""

from __future__ import annotations

from typing import Any

from kb.monitoring.early_warnings import EarlyWarning, linear_trend, trend_warning, volatility_warning
from kb.monitoring.targets import (
    RULES_FILE,
    Obs,
    Status,
    baseline_year,
    bounds,
    fmt,
    judge,
    level,
    norm_unit,
    observation_unit,
    rule_kind,
    rules,
    status,
    target_text,
    target_year,
)

__all__ = [
    "RULES_FILE",
    "EarlyWarning",
    "Obs",
    "Status",
    "assess",
    "assessment_json",
    "baseline_year",
    "bounds",
    "fmt",
    "judge",
    "level",
    "linear_trend",
    "norm_unit",
    "observation_unit",
    "overview",
    "rule_kind",
    "rules",
    "select",
    "status",
    "summary",
    "target_text",
    "target_year",
    "trend_warning",
    "volatility_warning",
]


def assess(ind: dict[str, Any], obs: Obs, period: tuple[int, int]) -> dict[str, Any]:
    """Everything the views need: per-year status, current status, warnings, projection, target in words."""
    years = list(range(period[0] - rules()["baseline_offset"], max(period[1], target_year(ind, period)) + 1))
    years += sorted(y for y in obs if y not in years)
    per_year = {y: status(ind, obs, y, period) for y in years}
    latest = max(obs, default=None)
    current = per_year[latest] if latest is not None else Status("nodata", "尚无监测数据")
    trend, projected = trend_warning(ind, obs, period)
    warnings = [w for w in (trend, volatility_warning(obs)) if w]
    return {
        "rule": rule_kind(ind),
        "target": target_text(ind, period),
        "bounds": bounds(ind, obs, period),
        "target_year": target_year(ind, period),
        "baseline_year": baseline_year(ind, period),
        "years": years,
        "per_year": per_year,
        "latest_year": latest,
        "current": current,
        "warnings": warnings,
        "projection": None if projected is None else {"year": target_year(ind, period), "value": projected},
    }


def assessment_json(a: dict[str, Any]) -> dict[str, Any]:
    """assess() output as JSON-ready data."""
    return {
        **a,
        "per_year": {str(y): s.as_dict() for y, s in a["per_year"].items()},
        "current": a["current"].as_dict(),
        "warnings": [w.as_dict() for w in a["warnings"]],
    }


def overview(index: dict[str, dict[str, Any]], anchored: dict[str, dict[int, dict]]) -> list[dict[str, Any]]:
    """One row per live indicator: its context, yearly values and assessment (dashboards, API, reports)."""
    out = []
    for ind_id, ind in index.items():
        rows = anchored.get(ind_id, {})
        obs = {y: r["value"] for y, r in sorted(rows.items())}
        a = assess(ind, obs, ind["period"])
        out.append(
            {
                "indicator": ind,
                "rows": rows,
                "obs": obs,
                "assessment": a,
                "unit": observation_unit(ind) or next((r["unit"] for r in rows.values() if r["unit"]), None),
                "lead": [d["name"] for d in ind["departments"] if d["role"] == "lead"],
            }
        )
    return out


def summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    """Counts of current status and warnings over overview rows."""
    out = {"total": len(rows), "met": 0, "unmet": 0, "nodata": 0, "warning": 0}
    for r in rows:
        out[r["assessment"]["current"].code] += 1
        out["warning"] += bool(r["assessment"]["warnings"])
    return out


def select(
    rows: list[dict[str, Any]],
    plan: str | None = None,
    domain: str | None = None,
    department: str | None = None,
    role: str | None = None,
) -> list[dict[str, Any]]:
    """Overview rows of one plan, domain (code or heading) and/or responsible department (lead/co)."""
    out = []
    for r in rows:
        ind = r["indicator"]
        if plan and ind["plan"] != plan:
            continue
        if domain and domain not in (ind["domain_code"], ind["domain"]):
            continue
        if department and not any(d["name"] == department and role in (None, d["role"]) for d in ind["departments"]):
            continue
        out.append(r)
    return out
