"""Gap checks over the graph: unserved goals, measures without a lead, orphan indicators, overloaded leads."""

from __future__ import annotations

import statistics
from typing import TYPE_CHECKING, Any

from kb.graph import department_load, nodes_of

if TYPE_CHECKING:
    import networkx as nx

IQR_FENCE = 1.5  # Tukey's fence: a lead count above Q3 + 1.5·IQR is unusual for this plan


def unserved_goals(g: nx.DiGraph) -> list[str]:
    """Goals no measure serves."""
    return [n for n in nodes_of(g, "goal") if not any(e["kind"] == "serves" for _s, _t, e in g.in_edges(n, data=True))]


def measures_without_lead(g: nx.DiGraph) -> list[str]:
    """Measures no department leads (kb.duties)."""
    return [
        n
        for n in nodes_of(g, "measure")
        if not any(e["kind"] == "lead" and e.get("duty") for _s, _t, e in g.in_edges(n, data=True))
    ]


def orphan_indicators(g: nx.DiGraph) -> list[str]:
    """Indicators of goals that no measure serves (a target nobody works towards)."""
    unserved = set(unserved_goals(g))
    return [n for n in nodes_of(g, "indicator") if any(t in unserved for _s, t in g.out_edges(n))]


def overloaded_departments(g: nx.DiGraph) -> tuple[list[dict[str, Any]], float | None]:
    """Departments whose lead count is above Tukey's upper fence over all leading departments; and the fence."""
    load = [r for r in department_load(g) if r["lead"]]
    if len(load) < 4:
        return [], None  # too few leading departments to call anything unusual
    q1, _q2, q3 = statistics.quantiles([r["lead"] for r in load], n=4, method="inclusive")
    fence = q3 + IQR_FENCE * (q3 - q1)
    return [r for r in load if r["lead"] > fence], round(fence, 2)


def gap_report(g: nx.DiGraph) -> dict[str, Any]:
    """Every gap check, JSON-ready."""
    over, fence = overloaded_departments(g)
    return {
        "unserved_goals": unserved_goals(g),
        "measures_without_lead": measures_without_lead(g),
        "orphan_indicators": orphan_indicators(g),
        "overloaded_departments": over,
        "lead_fence": fence,
    }


def format_report(g: nx.DiGraph, report: dict[str, Any]) -> str:
    """The gap report as text for the terminal (Chinese headings, item titles beside ids)."""

    def label(n: str) -> str:
        return f"  {n}  {g.nodes[n].get('label', '')}"

    lines = [f"目标无措施服务 (goals with no serving measure): {len(report['unserved_goals'])}"]
    lines += [label(n) for n in report["unserved_goals"]]
    lines.append(f"措施无牵头部门 (measures with no lead): {len(report['measures_without_lead'])}")
    lines += [label(n) for n in report["measures_without_lead"]]
    lines.append(f"指标所属目标无措施 (indicators whose goal has no measure): {len(report['orphan_indicators'])}")
    lines += [
        f"  {n}  {g.nodes[n].get('label', '')} ← {g.nodes[n].get('item', '')}" for n in report["orphan_indicators"]
    ]
    fence = report["lead_fence"]
    lines.append(
        f"牵头任务异常多的部门 (lead count > {fence if fence is not None else '—'}): "
        f"{len(report['overloaded_departments'])}"
    )
    lines += [f"  {r['department']}  牵头 {r['lead']}, 配合 {r['co']}" for r in report["overloaded_departments"]]
    return "\n".join(lines)
