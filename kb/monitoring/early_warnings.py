"""Early warnings (预警) of a monitored indicator: its linear trend misses the target, or its values swing."""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from typing import Any

from kb.labels import WARNING
from kb.monitoring.targets import Obs, fmt, judge, rules, target_text, target_year


@dataclass(frozen=True)
class EarlyWarning:
    """An early warning: the rule that fired and a sentence explaining it."""

    code: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return {**asdict(self), "label": WARNING[self.code]}


def linear_trend(obs: Obs) -> tuple[float, float] | None:
    """Least-squares (slope, intercept) over the observations; None with fewer than two distinct years."""
    if len(obs) < 2:
        return None
    xs, ys = list(obs), list(obs.values())
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxx = sum((x - mx) ** 2 for x in xs)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=False)) / sxx
    return slope, my - slope * mx


def trend_warning(ind: dict[str, Any], obs: Obs, period: tuple[int, int]) -> tuple[EarlyWarning | None, float | None]:
    """预警 when the linear trend projected to the target year does not meet the target; also the projection."""
    due, last = target_year(ind, period), max(obs, default=None)
    r = rules()
    if last is None or last >= due or len(obs) < r["trend_min_points"]:
        return None, None
    trend = linear_trend(obs)
    if trend is None:  # trend_min_points set below two in the data file
        return None, None
    slope, intercept = trend
    projected = slope * due + intercept
    if judge(ind, projected, due, obs, period).code == "unmet":
        years = f"{min(obs)}–{last}"
        return EarlyWarning(
            "trend",
            f"按{years}年数据的线性趋势(每年{slope:+.3g}),{due}年预计为 {fmt(round(projected, 3))},"
            f"不满足目标 {target_text(ind, period)}",
        ), projected
    return None, projected


def volatility_warning(obs: Obs) -> EarlyWarning | None:
    """预警 when year-on-year changes reverse direction and the largest relative change reaches the threshold."""
    r = rules()
    if len(obs) < r["volatility_min_points"]:
        return None
    years = sorted(obs)
    changes = [(obs[b] - obs[a]) / (b - a) for a, b in itertools.pairwise(years)]
    rel = [abs(d) / abs(obs[a]) if obs[a] else (math.inf if d else 0.0) for d, a in zip(changes, years, strict=False)]
    signs = [math.copysign(1, d) for d in changes if d]
    reverses = any(s != t for s, t in itertools.pairwise(signs))
    biggest = max(rel)
    if reverses and biggest >= r["volatility_threshold"]:
        size = "∞" if math.isinf(biggest) else f"{biggest:.0%}"
        return EarlyWarning(
            "volatility", f"相邻年度数值有升有降,最大年度变化幅度 {size}(阈值 {r['volatility_threshold']:.0%})"
        )
    return None
