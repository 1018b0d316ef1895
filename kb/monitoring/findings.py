"""One finding per indicator, as published monitoring reports word it, from the templates in monitoring_sentences.json.

"2024年,全市婴儿死亡率为4.9‰,比上年下降0.1个千分点,低于5‰的规划目标,已达标。"
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb import monitoring as mon
from kb.monitoring import pace as pc

SENTENCES_FILE = Path(__file__).parent.parent / "data" / "monitoring_sentences.json"
_EPS = 1e-9


@lru_cache(maxsize=1)
def sentences() -> dict[str, Any]:
    """The sentence templates (kb/data/monitoring_sentences.json)."""
    return json.loads(SENTENCES_FILE.read_text(encoding="utf-8"))


def scope_word(plan: dict[str, Any] | None) -> str:
    """全市 / 全县 / 全省 … from the plan's level (metadata), the title's administrative suffix otherwise."""
    s = sentences()
    meta = (plan or {}).get("meta") or {}
    level = meta.get("level") or ""
    if not level:
        title = meta.get("city") or (plan or {}).get("title") or ""
        level = next((k for k in s["scope"] if k in title[:8]), "")
    return s["scope"].get(level, s["scope_default"])


def is_rate(unit: str | None) -> bool:
    """Rates change in points (个百分点, 个千分点); counts and amounts in their own unit."""
    return (unit or "") in sentences()["point_words"]


def _decimals(*xs: float) -> int:
    """Digits after the point the inputs were written with (so 5.0 − 4.9 prints 0.1, not 0.0999…)."""
    out = 0
    for x in xs:
        text = mon.fmt(x)
        out = max(out, len(text.split(".")[1]) if "." in text else 0)
    return min(out, 4)


def show(value: float, unit: str | None) -> str:
    """A value with its unit as printed: 4.9‰, 90%, 2.8张, 15.7/10万."""
    u = sentences()["unit_display"].get(unit or "", unit or "")
    return f"{mon.fmt(value)}{u}"


def amount(delta: float, unit: str | None, *like: float) -> str:
    """A difference in the words of its unit: 0.1个千分点, 2个百分点, 0.3张."""
    d = mon.fmt(round(abs(delta), _decimals(*like) if like else 4))
    if is_rate(unit):
        return f"{d}{sentences()['point_words'][unit or '']}"
    return f"{d}{unit or ''}"


def change_clause(obs: mon.Obs, year: int, unit: str | None) -> str:
    """',比上年下降0.1个千分点' / ',与上年持平' / ',比2021年提高…' (latest earlier year) / '' (none)."""
    s = sentences()
    earlier = [y for y in obs if y < year]
    if year not in obs or not earlier:
        return ""
    since = max(earlier)
    delta = obs[year] - obs[since]
    prev = since == year - 1
    places = _decimals(obs[year], obs[since])
    if abs(round(delta, places)) < _EPS:
        return "," + (s["change"]["flat_prev"] if prev else s["change"]["flat_since"].format(since=since))
    words = s["words"]["rate" if is_rate(unit) else "count"]
    word = words["up" if delta > 0 else "down"]
    text = s["change"]["prev" if prev else "since"].format(
        word=word, delta=amount(delta, unit, obs[year], obs[since]), since=since
    )
    return "," + text


def _goal_text(ind: dict[str, Any], unit: str | None) -> str:
    """The target as the verdict names it: 90%, 5‰, 3–5家, 36月龄."""
    kind, v = mon.rule_kind(ind), ind.get("value")
    if kind == "range":
        return f"{mon.fmt(v)}–{show(ind['value_max'], unit)}"
    return show(v, unit) if v is not None else ""


def verdict_clause(ind: dict[str, Any], obs: mon.Obs, year: int, period: tuple[int, int], unit: str | None) -> str:
    """The verdict against the target: met in the target's words, or the gap and the pace status."""
    s = sentences()
    kind, value = mon.rule_kind(ind), obs[year]
    verdict = pc.pace(ind, obs, year, period)
    by = mon.baseline_year(ind, period)
    base = obs.get(by)
    fields: dict[str, Any] = {
        "goal": _goal_text(ind, unit),
        "target": mon.target_text(ind, period),
        "base_year": by,
        "base": show(base, unit) if base is not None else "",
    }
    if verdict.code == "nodata":
        if kind == "unknown":
            return ""
        return s["verdict_baseline" if year == by else "verdict_nodata"].format(**fields)
    if kind in ("decrease_by", "increase_by") and base is not None:
        moved = (base - value) if kind == "decrease_by" else (value - base)
        relative = mon.norm_unit(ind.get("unit")) in mon.rules()["relative_units"]
        fields["moved"] = f"{mon.fmt(round(moved / base * 100, 1))}%" if relative and base else amount(moved, unit)
    if verdict.code == "met":
        key = kind
        if kind in ("ge", "le") and abs(value - ind["value"]) <= _EPS * max(1.0, abs(value)):
            key = f"{kind}_equal"
        return s["verdict_met"][key].format(**fields)
    key = kind
    if kind == "range":
        key = "range_high" if value > ind["value_max"] else "range_low"
    if verdict.gap is not None:
        fields["gap"] = amount(verdict.gap, unit, value, *(x for x in (ind.get("value"), ind.get("value_max")) if x))
    fields["pace"] = s["pace_words"].get(verdict.code, "")
    return s["verdict_unmet"][key].format(**fields)


def projection_clause(ind: dict[str, Any], obs: mon.Obs, year: int, period: tuple[int, int], unit: str | None) -> str:
    """',按近年趋势推算,2025年预计为…,可望实现目标' for a value short of its target before the target year."""
    if pc.pace(ind, obs, year, period).code not in ("on_pace", "lagging", "far"):
        return ""
    upto = {y: v for y, v in obs.items() if y <= year}
    proj = pc.projection(ind, upto, period)
    if proj is None:
        return ""
    cap = mon.rules()["rate_max"].get(unit or "")
    value = max(proj["value"], 0.0) if cap is None else min(max(proj["value"], 0.0), float(cap))
    value = round(value, _decimals(*upto.values()) or 1)  # judge what the reader sees, so 10.01 is not "10, misses"
    meets = mon.judge(ind, value, proj["year"], obs, period).code == "met"
    text = sentences()["projection"]["meets" if meets else "misses"]
    return ";" + text.format(due=proj["year"], projected=show(value, unit))


def finding(
    ind: dict[str, Any], obs: mon.Obs, year: int, period: tuple[int, int], unit: str | None, scope: str = ""
) -> str | None:
    """The numbered finding's sentence for `year`, or None when nothing was observed that year."""
    if year not in obs:
        return None
    s = sentences()
    value = s["value"].format(year=year, scope=scope, name=ind["name"], value=show(obs[year], unit))
    verdict = verdict_clause(ind, obs, year, period, unit)
    return s["finding"].format(
        value=value,
        change=change_clause(obs, year, unit),
        verdict=("," + verdict) if verdict else "",
        projection=projection_clause(ind, obs, year, period, unit),
    )


def departments_text(ind: dict[str, Any]) -> str:
    """牵头单位市卫健委,配合单位市教育局 (the indicator's item owners)."""
    s = sentences()
    lead = [d["name"] for d in ind.get("departments", []) if d["role"] == "lead"]
    co = [d["name"] for d in ind.get("departments", []) if d["role"] != "lead"]
    if not lead and not co:
        return s["departments_none"]
    if not co:
        return s["departments"].format(lead="、".join(lead))
    return s["departments_co"].format(lead="、".join(lead) or "待明确", co="、".join(co))
