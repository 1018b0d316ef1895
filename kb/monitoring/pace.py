"""Status against the scheduled pace (序时进度): 已达标 / 按序时进度 / 滞后 / 差距较大 / 无数据, and the projection.

The scheduled path is the straight line from the starting value (the baseline year's, else the earliest earlier
observation) to the target in the target year. A year's value that misses the target is on pace when it is at or
beyond the path; otherwise its shortfall behind the path, as a share of the whole distance to cover, decides between
滞后 and 差距较大. Thresholds live in kb/data/monitoring.json ("pace").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kb import monitoring as mon

PACE_LABELS = {"met": "已达标", "on_pace": "按序时进度", "lagging": "滞后", "far": "差距较大", "nodata": "无数据"}
PACE_ORDER = ("met", "on_pace", "lagging", "far", "nodata")
_DIRECTIONAL = ("increase", "decrease")


@dataclass(frozen=True)
class Pace:
    """One year's verdict against the scheduled pace, with the path value it was compared to."""

    code: str
    reason: str = ""
    expected: float | None = None  # the path's value that year (None when there is no path)
    gap: float | None = None  # how far the value is from the target, in the target's direction (> 0: short)

    @property
    def label(self) -> str:
        return PACE_LABELS[self.code]

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "label": self.label, "reason": self.reason, "expected": self.expected}


def pace_rules() -> dict[str, Any]:
    """The pace thresholds from kb/data/monitoring.json."""
    return mon.rules()["pace"]


def goal_value(ind: dict[str, Any], obs: mon.Obs, period: tuple[int, int], start: float | None) -> float | None:
    """The single value the path heads for: the bound to reach (a range's nearer bound), None for directional."""
    kind = mon.rule_kind(ind)
    if kind in ("unknown", *_DIRECTIONAL):
        return None
    if kind == "equal":
        return float(ind["value"])
    lo, hi = mon.bounds(ind, obs, period)
    if lo is not None and hi is not None:  # a range: head for the bound on the start's side
        return hi if start is not None and start > hi else lo
    return lo if lo is not None else hi


def direction(ind: dict[str, Any], goal: float, start: float | None) -> int:
    """+1 when the value has to rise to the goal, -1 when it has to fall."""
    kind = mon.rule_kind(ind)
    if kind in ("ge", "coverage", "increase_by"):
        return 1
    if kind in ("le", "decrease_by"):
        return -1
    if kind == "range":
        lo, _hi = ind["value"], ind.get("value_max")
        return 1 if goal == lo else -1
    return 1 if start is None or goal >= start else -1


def start_point(ind: dict[str, Any], obs: mon.Obs, year: int, period: tuple[int, int]) -> tuple[int, float] | None:
    """(year, value) the path starts from: the baseline year's value, else the earliest observation before `year`."""
    by = mon.baseline_year(ind, period)
    if by in obs and by < year:
        return by, obs[by]
    earlier = [y for y in obs if y < year]
    return (min(earlier), obs[min(earlier)]) if earlier else None


def expected_value(ind: dict[str, Any], obs: mon.Obs, year: int, period: tuple[int, int]) -> float | None:
    """The path's value in `year` (None when the target gives no path or nothing was observed before)."""
    start = start_point(ind, obs, year, period)
    goal = goal_value(ind, obs, period, start[1] if start else None)
    if goal is None:
        return None
    due = mon.target_year(ind, period)
    if start is None or start[0] >= due:
        return goal
    s, v0 = start
    d = direction(ind, goal, v0)
    if (goal - v0) * d <= 0:  # already at or past the goal when the path starts: hold it
        return goal
    return v0 + (goal - v0) * min(1.0, (year - s) / (due - s))


def path_start(ind: dict[str, Any], obs: mon.Obs, period: tuple[int, int]) -> int | None:
    """The year the drawn path starts: the baseline year where it has a value, else the earliest observation."""
    by = mon.baseline_year(ind, period)
    return by if by in obs else min(obs, default=None)


def path(ind: dict[str, Any], obs: mon.Obs, period: tuple[int, int]) -> dict[int, float]:
    """The scheduled path from the baseline year to the target year (for charts); empty without a start value."""
    due = mon.target_year(ind, period)
    first = path_start(ind, obs, period)
    if first is None or first >= due:
        return {}
    start = obs[first]
    goal = goal_value(ind, obs, period, start)
    if goal is None:
        return {}
    d = direction(ind, goal, start)
    if (goal - start) * d <= 0:
        return {first: goal, due: goal}
    return {y: start + (goal - start) * (y - first) / (due - first) for y in range(first, due + 1)}


def pace(ind: dict[str, Any], obs: mon.Obs, year: int, period: tuple[int, int]) -> Pace:
    """The verdict of `year`'s value against the target and the scheduled pace."""
    if year not in obs:
        return Pace("nodata", f"{year}年无监测数据")
    st = mon.judge(ind, obs[year], year, obs, period)
    if st.code == "met":
        return Pace("met", st.reason, gap=0.0)
    if st.code == "nodata":
        return Pace("nodata", st.reason)
    r = pace_rules()
    kind, value = mon.rule_kind(ind), obs[year]
    if kind in _DIRECTIONAL:
        return Pace(r["directional_unmet"], f"{st.reason};目标无具体数值,按未较基线改善计")
    start = start_point(ind, obs, year, period)
    goal = goal_value(ind, obs, period, start[1] if start else None)
    assert goal is not None  # judge() returned unmet, so the target has a level
    if year == path_start(ind, obs, period) and year < mon.target_year(ind, period):
        # The year the path starts (the baseline year, else the first observation) has its own value as 应达: it
        # cannot be behind the path. Judged against the final target the baseline read 差距较大, 落后 189% beside
        # 应达 45.2 for a value of 45.2, and a first value of 2024 read 差距较大 while the chart drew it on the path.
        where = "基线年度" if year == mon.baseline_year(ind, period) else "无基线年度数值,以首个监测年度为起点"
        return Pace(
            "on_pace",
            f"{st.reason};{where},序时进度从这一年的数值起算",
            value,
            (goal - value) * direction(ind, goal, value),
        )
    expected = expected_value(ind, obs, year, period)
    assert expected is not None
    d = direction(ind, goal, start[1] if start else value)
    if kind == "range" and (goal - value) * d < 0:  # overshot the far bound: that bound is the goal, no path
        goal = ind["value_max"] if goal == ind["value"] else ind["value"]
        d, expected, start = -d, goal, None
    gap = (goal - value) * d
    has_path = start is not None and (goal - start[1]) * d > 0 and start[0] < mon.target_year(ind, period)
    scale = abs(goal - start[1]) if has_path and start else abs(goal) * r["fallback_scale"] or 1.0
    shortfall = (expected - value) * d
    u = mon.observation_unit(ind) or ""
    if shortfall <= r["on_pace_gap"] * scale + 1e-9 * max(1.0, abs(value)):
        return Pace("on_pace", f"{st.reason};不低于序时进度应达到的 {mon.fmt(round(expected, 2))}{u}", expected, gap)
    share = shortfall / scale
    code = "lagging" if share <= r["lagging_max_gap"] else "far"
    # The share is of the path's whole distance when there is a path, of the target-based scale otherwise.
    where = (
        f"序时进度应达到 {mon.fmt(round(expected, 2))}{u},落后基线到目标全程差距的 {share:.0%}"
        if has_path
        else f"已到目标年度或缺少起点,按目标计,落后 {share:.0%}(以目标值的 {r['fallback_scale']:.0%} 为全程差距)"
    )
    return Pace(code, f"{st.reason};{where}", expected, gap)


def projection(ind: dict[str, Any], obs: mon.Obs, period: tuple[int, int]) -> dict[str, Any] | None:
    """The linear trend projected to the target year and whether it would meet the target; None when not due."""
    due = mon.target_year(ind, period)
    usable = {y: v for y, v in obs.items() if y <= due}
    if len(usable) < pace_rules()["projection_min_points"] or max(usable) >= due:
        return None
    trend = mon.linear_trend(usable)
    if trend is None:
        return None
    value = trend[0] * due + trend[1]
    verdict = mon.judge(ind, value, due, obs, period)
    return {"year": due, "value": value, "meets": verdict.code == "met", "status": verdict.code}


def assess_pace(ind: dict[str, Any], obs: mon.Obs, period: tuple[int, int], years: list[int]) -> dict[str, Any]:
    """Per-year pace verdicts, the path and the projection (what the report and pages need)."""
    return {
        "per_year": {y: pace(ind, obs, y, period) for y in years},
        "path": path(ind, obs, period),
        "projection": projection(ind, obs, period),
    }


def pace_notes() -> list[str]:
    """The pace rules in words, with the thresholds from the data file (shown on the page and in reports)."""
    r = pace_rules()
    return [
        s.format(lag=r["lagging_max_gap"], fallback=r["fallback_scale"], n=r["projection_min_points"])
        for s in r["notes"]
    ]
