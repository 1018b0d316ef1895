"""An indicator's target judged (监测评估): units and rule kinds from kb/data/monitoring.json, the baseline and
target years, the level a relative target implies, and one year's status against it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb.labels import STATUS

RULES_FILE = Path(__file__).parent.parent / "data" / "monitoring.json"
_EPS = 1e-9

Obs = dict[int, float]  # year → value, already in the indicator's observation unit


@dataclass(frozen=True)
class Status:
    """已达标 / 未达标 / 无数据 with the reason shown to the user."""

    code: str
    reason: str = ""

    @property
    def label(self) -> str:
        return STATUS[self.code]

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "label": self.label, "reason": self.reason}


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    """Units, tolerances and thresholds from kb/data/monitoring.json."""
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


def norm_unit(unit: str | None) -> str | None:
    """Canonical spelling of a unit (％ → %); '' → None."""
    unit = (unit or "").strip()
    return rules()["unit_aliases"].get(unit, unit) or None


def fmt(x: float | None) -> str:
    """A number as people write it: 90, 2.8, 0.35 (no trailing zeros)."""
    if x is None:
        return "—"
    return f"{x:.4f}".rstrip("0").rstrip(".") if not float(x).is_integer() else str(int(x))


def rule_kind(ind: dict[str, Any]) -> str:
    """ge | le | equal | coverage | range | decrease_by | increase_by | increase | decrease | unknown."""
    comp, value, unit = ind.get("comparator"), ind.get("value"), norm_unit(ind.get("unit"))
    # a level between two ends; a change by a range (每年降低0.5到1个百分点) is checked against its lower end
    if value is not None and ind.get("value_max") is not None and comp not in ("decrease_by", "increase"):
        return "range"
    if comp == "==" and value is not None:
        return "coverage" if unit == "%" and abs(value - 100) < _EPS else "equal"
    if comp in (">=", "<=") and value is not None:
        return {">=": "ge", "<=": "le"}[comp]
    if comp in ("decrease_by", "decrease", "increase"):
        down = comp != "increase"
        if value is None:
            return "decrease" if down else "increase"
        return "decrease_by" if down else "increase_by"
    return "unknown"


def observation_unit(ind: dict[str, Any]) -> str | None:
    """The unit observations must be in; None when the target does not fix one (relative or directional)."""
    kind, unit = rule_kind(ind), norm_unit(ind.get("unit"))
    if kind in ("decrease_by", "increase_by"):
        return rules()["point_units"].get(unit) if unit else None
    if kind in ("increase", "decrease", "unknown"):
        return None
    return unit


def baseline_year(ind: dict[str, Any], period: tuple[int, int]) -> int:
    """The year relative targets are measured from: 以2020年为基数 → 2020, else the year before the plan starts."""
    m = re.search(r"(?:19|20)\d{2}", ind.get("baseline") or "")
    return int(m.group(0)) if m else period[0] - rules()["baseline_offset"]


def target_year(ind: dict[str, Any], period: tuple[int, int]) -> int:
    """The year the target is due (the plan's end year unless the text says otherwise)."""
    return int(ind.get("year") or period[1])


def target_text(ind: dict[str, Any], period: tuple[int, int]) -> str:
    """The target in words, the one wording of every page, export and report: ≥90%, 3–5家, 全覆盖(100%),
    较2020年下降20%, 较2020年下降 (a direction is measured from the base year too), 每天≥1小时 …"""
    amount = _amount(ind, period)
    return amount if rule_kind(ind) == "unknown" else per_unit(ind) + amount


def per_unit(ind: dict[str, Any]) -> str:
    """The unit a target is counted per (每天, 每所乡镇卫生院…), where the indicator's name does not already say it:
    "全科医生数 ≥1名" alone would read as a total."""
    per = ind.get("per") or ""
    return "" if not per or per in (ind.get("name") or "") else per


def _amount(ind: dict[str, Any], period: tuple[int, int]) -> str:
    kind, v, unit = rule_kind(ind), ind.get("value"), norm_unit(ind.get("unit")) or ""
    base = f"较{baseline_year(ind, period)}年"
    by = fmt(v) + (f"–{fmt(ind['value_max'])}" if ind.get("value_max") is not None else "")  # 下降0.5–1个百分点
    return {
        "ge": f"≥{fmt(v)}{unit}",
        "le": f"≤{fmt(v)}{unit}",
        "equal": f"={fmt(v)}{unit}",
        "coverage": "全覆盖(100%)",
        "range": f"{fmt(v)}–{fmt(ind.get('value_max'))}{unit}",
        "decrease_by": f"{base}下降{by}{unit}",
        "increase_by": f"{base}提高{by}{unit}",
        "increase": f"{base}提高",
        "decrease": f"{base}下降",
        "unknown": "目标未量化",
    }[kind]


def level(ind: dict[str, Any], base: float | None) -> tuple[float | None, float | None]:
    """The (low, high) bounds a value must lie in; relative targets need the baseline value `base`."""
    kind, v = rule_kind(ind), ind.get("value")
    if kind == "ge":
        return v, None
    if kind == "le":
        return None, v
    if kind == "coverage":
        return v, None
    if kind == "range":
        return v, ind.get("value_max")
    if kind == "equal":
        v = float(ind["value"])  # rule_kind() says "equal" only when there is a value
        tol = rules()["equal_tolerance"]
        t = max(tol["absolute"].get(norm_unit(ind.get("unit")) or "", 0.0), tol["relative"] * abs(v))
        return v - t, v + t
    if base is None:
        return None, None
    relative = norm_unit(ind.get("unit")) in rules()["relative_units"]
    if kind in ("decrease_by", "increase_by"):
        v, sign = float(ind["value"]), (-1 if kind == "decrease_by" else 1)
        goal = base * (1 + sign * v / 100) if relative else base + sign * v
        return (None, goal) if kind == "decrease_by" else (goal, None)
    return (None, base) if kind == "decrease" else (base, None)


def bounds(ind: dict[str, Any], obs: Obs, period: tuple[int, int]) -> tuple[float | None, float | None]:
    """The target band to draw: relative targets computed from the baseline year's value when observed."""
    if rule_kind(ind) == "unknown":
        return None, None
    return level(ind, obs.get(baseline_year(ind, period)))


def judge(ind: dict[str, Any], value: float, year: int, obs: Obs, period: tuple[int, int]) -> Status:
    """Whether `value` (observed or projected in `year`) meets the target."""
    kind = rule_kind(ind)
    if kind == "unknown":
        return Status("nodata", "目标未量化,无法评估")
    base = None
    if kind in ("decrease_by", "increase_by", "increase", "decrease"):
        by = baseline_year(ind, period)
        if year == by:
            return Status("nodata", f"{by}年为基线年度")
        if by not in obs:
            return Status("nodata", f"缺少{by}年基线值,无法评估")
        base = obs[by]
    lo, hi = level(ind, base)
    strict = kind in ("increase", "decrease")  # 提高/下降 without a number: any real change in the right direction
    scale = _EPS * max(1.0, abs(value))
    ok_lo = lo is None or (value > lo + scale if strict else value >= lo - scale)
    ok_hi = hi is None or (value < hi - scale if strict else value <= hi + scale)
    u = observation_unit(ind) or ""
    goal = _goal_words(kind, lo, hi, base, u)
    if ok_lo and ok_hi:
        return Status("met", f"{fmt(value)}{u} 满足 {goal}")
    return Status("unmet", f"{fmt(value)}{u} 未满足 {goal}")


def _goal_words(kind: str, lo: float | None, hi: float | None, base: float | None, u: str) -> str:
    """The bound actually applied, in words (relative targets show the computed level)."""
    if kind == "increase":
        return f"高于基线值 {fmt(base)}{u}"
    if kind == "decrease":
        return f"低于基线值 {fmt(base)}{u}"
    if lo is not None and hi is not None:
        return f"{fmt(round(lo, 4))}–{fmt(round(hi, 4))}{u}"
    if lo is not None:
        return f"≥{fmt(round(lo, 4))}{u}"
    assert hi is not None  # a judged target has at least one bound
    return f"≤{fmt(round(hi, 4))}{u}"


def status(ind: dict[str, Any], obs: Obs, year: int, period: tuple[int, int]) -> Status:
    """Status of one year: 无数据 when nothing was observed that year."""
    if year not in obs:
        return Status("nodata", f"{year}年无监测数据")
    return judge(ind, obs[year], year, obs, period)
