"""Traffic lights (红黄绿灯) per item and department against the scheduled pace (序时进度), with the rule that fired."""

from __future__ import annotations

from datetime import date
from typing import Any

from kb import monitoring as mon
from kb.progress import rules
from kb.progress.deadlines import due_in
from kb.progress.periods import Period

ORDER = {"grey": 0, "green": 1, "yellow": 2, "red": 3}


def _rule(level: str, code: str, text: str) -> dict[str, str]:
    return {"level": level, "code": code, "text": text, "label": rules()["light_labels"][level]}


def merged_obs(row: dict[str, Any], reported: dict[int, float]) -> dict[int, float]:
    """An indicator's observations with the values units reported for years not yet observed."""
    obs = dict(row["obs"])
    for year, value in reported.items():
        obs.setdefault(year, value)
    return dict(sorted(obs.items()))


def pace(ind: dict[str, Any], obs: dict[int, float]) -> dict[str, Any] | None:
    """Where the latest value should be on the straight path from the baseline to the target, when it is behind."""
    period = ind["period"]
    base_year, target_year = mon.baseline_year(ind, period), mon.target_year(ind, period)
    base = obs.get(base_year)
    later = [y for y in obs if base_year < y <= target_year]
    if base is None or not later or target_year <= base_year:
        return None
    year = max(later)
    lo, hi = mon.bounds(ind, obs, period)
    if (lo is None) == (hi is None):  # a range or no number: the monitoring status judges it
        return None
    goal = lo if lo is not None else hi
    expected = base + (goal - base) * (year - base_year) / (target_year - base_year)  # type: ignore[operator]
    tol = float(rules()["lights"]["pace_tolerance"]) * abs(goal - base)  # type: ignore[operator]
    behind = obs[year] < expected - tol if lo is not None else obs[year] > expected + tol
    if not behind:
        return None
    return {"year": year, "value": obs[year], "expected": expected}


def item_light(
    *,
    report: dict[str, Any] | None,
    deadline: dict[str, Any],
    period: Period,
    indicators: list[tuple[dict[str, Any], dict[int, float]]],
    today: date,
) -> dict[str, Any]:
    """The light of one (item, department) in a period: {"light", "label", "rules": [every rule that fired]}."""
    fired: list[dict[str, str]] = []
    submitted = report if report and report["state"] == "submitted" else None
    status = submitted["status"] if submitted else None
    if status == "not_applicable":
        fired.append(_rule("grey", "not_applicable", "本单位报告此项不适用"))
        return _result(fired)
    due = due_in(deadline, period)
    asof = min(today, period.due)  # a closed period is judged as it stood when its report was due
    days = (due - asof).days if due else None
    if deadline["kind"] == "date" and days is not None and days < 0 and status != "done":
        fired.append(_rule("red", "overdue", f"已超过完成时限 {due.isoformat()} 仍未完成"))  # type: ignore[union-attr]
    if submitted is None and today > period.due:
        why = "报告被退回后未重新提交" if report and report["state"] == "returned" else "尚未提交报告"
        fired.append(_rule("red", "not_reported", f"{period.label}已结束(报告截止 {period.due.isoformat()}),{why}"))
    for ind, obs in indicators:
        a = mon.assess(ind, obs, ind["period"])
        if any(w.code == "trend" for w in a["warnings"]):
            proj = a["projection"]
            fired.append(
                _rule(
                    "red",
                    "projected_miss",
                    f"指标“{ind['name']}”按趋势预计 {proj['year']} 年"
                    f"为 {mon.fmt(proj['value'])},达不到目标 {a['target']}",
                )
            )
        behind = pace(ind, obs)
        if behind:
            fired.append(
                _rule(
                    "yellow",
                    "behind_pace",
                    f"指标“{ind['name']}” {behind['year']} 年为 "
                    f"{mon.fmt(behind['value'])},低于序时进度 {mon.fmt(behind['expected'])}",
                )
            )
    if status == "delayed":
        fired.append(_rule("yellow", "delayed", "本单位报告进度滞后"))
    near = int(rules()["lights"]["yellow_deadline_days"])
    if days is not None and 0 <= days <= near and status != "done":
        fired.append(_rule("yellow", "deadline_near", f"距完成时限 {due.isoformat()} 还有 {days} 天"))  # type: ignore[union-attr]
    if not fired:
        if submitted is None:
            fired.append(_rule("green", "not_due", f"尚未报告,报告截止 {period.due.isoformat()}"))
        else:
            fired.append(_rule("green", "on_pace", "按序时进度推进"))
    return _result(fired)


def _result(fired: list[dict[str, str]]) -> dict[str, Any]:
    worst = max(fired, key=lambda r: ORDER[r["level"]])
    top = [r for r in fired if r["level"] == worst["level"]]
    return {"light": worst["level"], "label": worst["label"], "rule": top[0]["text"], "rules": fired}


def worst(lights: list[str]) -> str:
    """The worst of several lights (no lights: grey)."""
    return max(lights, key=lambda x: ORDER[x], default="grey")
