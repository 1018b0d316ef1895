"""The KB as a graph (networkx): plans, domains, goals, measures, clauses, indicators, departments; queries."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.duties import item_duties

if TYPE_CHECKING:
    import networkx as nx

GRAPH_KINDS = ("goal", "measure", "implementation", "monitoring")  # items that carry duties or targets
ROLES = ("lead", "co")


def dept_node(name: str) -> str:
    return f"dept:{name}"


def domain_node(plan: str, code: str | None) -> str:
    return f"domain:{plan}:{code}"


def _clean(attrs: dict[str, Any]) -> dict[str, Any]:
    """GraphML takes str/int/float/bool only: drop None, JSON-encode lists and dicts."""
    out = {}
    for k, v in attrs.items():
        if v is None:
            continue
        out[k] = json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict, tuple)) else v
    return out


def build_graph(items: list[dict[str, Any]] | None = None, plans: list[dict[str, Any]] | None = None) -> nx.DiGraph:
    """The graph of export-shaped items (reviewed state); by default the live KB's."""
    import networkx as nx

    if items is None:
        from kb.reviews.snapshot import reviewed_items
        from kb.store import KB

        with KB() as kb:
            plans = kb.plans()
        items = reviewed_items()
    g = nx.DiGraph()
    for p in plans or []:
        g.add_node(f"plan:{p['id']}", **_clean({"kind": "plan", "label": p.get("title") or p["id"]}))
    for it in items:
        if it["kind"] not in GRAPH_KINDS:
            continue
        plan = f"plan:{it['plan']}"
        if plan not in g:
            g.add_node(plan, kind="plan", label=it["plan"])
        parent = plan
        if it.get("domain_code"):
            parent = domain_node(it["plan"], it["domain_code"])
            if parent not in g:
                g.add_node(
                    parent,
                    **_clean({"kind": "domain", "label": it.get("domain") or it["domain_code"], "plan": it["plan"]}),
                )
                g.add_edge(plan, parent, kind="contains")
        g.add_node(
            it["id"],
            **_clean(
                {
                    "kind": it["kind"],
                    "label": it.get("title") or it["id"],
                    "plan": it["plan"],
                    "domain": it.get("domain_code"),
                    "number": it.get("number"),
                    "text": it.get("text"),
                }
            ),
        )
        g.add_edge(parent, it["id"], kind="contains")
        for c in it.get("clauses", []):
            g.add_node(c["id"], kind="clause", label=c["text"][:40], text=c["text"], item=it["id"])
            g.add_edge(it["id"], c["id"], kind="contains")
        add_departments(g, it)
        for ind in it.get("indicators", []):
            g.add_node(
                ind["id"],
                **_clean(
                    {
                        "kind": "indicator",
                        "label": ind.get("name") or ind["id"],
                        "comparator": ind.get("comparator"),
                        "value": ind.get("value"),
                        "unit": ind.get("unit"),
                        "item": it["id"],
                    }
                ),
            )
            g.add_edge(ind["id"], it["id"], kind="measures")
    for it in items:
        add_serves(g, it)
    return g


def add_departments(g: nx.DiGraph, it: dict[str, Any]) -> None:
    """The item's department edges: clause tags, then one edge per department duty (kb.duties)."""
    for c in it.get("clauses", []):
        for d in c.get("departments", []):
            _duty(g, d, c["id"], level="clause")
    for duty in item_duties(it).values():  # item or clause level
        _duty(g, {**duty.assignment, "role": duty.role}, it["id"], level="item" if duty.tag else "clauses")


def serve_links(it: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Goal → the attributes of the item's measure → goal edge (the last detail of a goal wins, as in a DiGraph)."""
    details = it.get("serves_detail") or [{"goal": gid} for gid in it.get("serves", [])]
    return {
        s["goal"]: _clean(
            {
                "kind": "serves",
                "score": float(s.get("score", 1.0)),
                "source": s.get("source", "inferred"),
                "why": s.get("why"),
            }
        )
        for s in details
    }


def add_serves(g: nx.DiGraph, it: dict[str, Any]) -> None:
    """The item's measure → goal edges (goals must be in the graph already)."""
    for goal, attrs in serve_links(it).items():
        if it["id"] in g and goal in g:
            g.add_edge(it["id"], goal, **attrs)


def best_first(scored: Iterable[tuple[str, float]]) -> list[str]:
    """Ids by score, best first, then by id: the order of served goals and serving measures everywhere."""
    return [i for i, _s in sorted(scored, key=lambda x: (-x[1], x[0]))]


def _duty(g: nx.DiGraph, d: dict[str, Any], target: str, level: str) -> None:
    node = dept_node(d["name"])
    if node not in g:
        g.add_node(node, kind="department", label=d["name"])
    g.add_edge(
        node,
        target,
        **_clean(
            {
                "kind": d["role"],
                "level": level,
                "duty": level != "clause",  # dept → item: a duty as kb.duties defines it
                "source": d.get("source"),
                "confidence": float(d.get("confidence", 1.0)),
                "evidence": [e.get("text") for e in d.get("evidence", [])],
            }
        ),
    )


def nodes_of(g: nx.DiGraph, kind: str) -> list[str]:
    """Node ids of one kind, sorted."""
    return sorted(n for n, k in g.nodes(data="kind") if k == kind)


def duties_of_item(g: nx.DiGraph, item: str) -> dict[str, list[str]]:
    """Departments with a duty on an item (kb.duties): {'lead': [...], 'co': [...]}, names sorted."""
    out: dict[str, list[str]] = {"lead": [], "co": []}
    for src, _t, e in g.in_edges(item, data=True):
        if e["kind"] in ROLES and e.get("duty"):
            out[e["kind"]].append(g.nodes[src]["label"])
    return {k: sorted(v) for k, v in out.items()}


def served_goals(g: nx.DiGraph, item: str) -> list[str]:
    """Goals a measure serves, best score first; a goal serves itself."""
    if g.nodes[item].get("kind") == "goal":
        return [item]
    return best_first((t, e.get("score", 0.0)) for _s, t, e in g.out_edges(item, data=True) if e["kind"] == "serves")


def department_duties(g: nx.DiGraph, name: str) -> list[dict[str, Any]]:
    """A department's duties (kb.duties) with its role and the goals each serves, in id order."""
    node = dept_node(name)
    if node not in g:
        return []
    out = []
    for _s, item, e in sorted(g.out_edges(node, data=True), key=lambda x: x[1]):
        if not e.get("duty"):
            continue
        out.append(
            {
                "item": item,
                "kind": g.nodes[item]["kind"],
                "title": g.nodes[item].get("label"),
                "role": e["kind"],
                "source": e.get("source"),
                "goals": served_goals(g, item),
            }
        )
    return out


def goal_measures(g: nx.DiGraph, goal: str) -> list[dict[str, Any]]:
    """Measures serving a goal (best first) and who owns them."""
    if goal not in g:
        return []
    rows = [
        (m, e.get("score", 0.0), e.get("source")) for m, _t, e in g.in_edges(goal, data=True) if e["kind"] == "serves"
    ]
    rows.sort(key=lambda x: (-x[1], x[0]))
    return [
        {"measure": m, "title": g.nodes[m].get("label"), "score": s, "source": src, **duties_of_item(g, m)}
        for m, s, src in rows
    ]


def shared_work(g: nx.DiGraph, min_weight: int = 1) -> nx.Graph:
    """Co-responsibility network: departments joined by the number of items they share (weight, items)."""
    import networkx as nx

    by_item: dict[str, set[str]] = defaultdict(set)
    for src, item, e in g.edges(data=True):
        if e["kind"] in ROLES and e.get("duty"):
            by_item[item].add(g.nodes[src]["label"])
    net = nx.Graph()
    net.add_nodes_from(sorted({d for ds in by_item.values() for d in ds}))
    for item, depts in sorted(by_item.items()):
        for a, b in combinations(sorted(depts), 2):
            if net.has_edge(a, b):
                net[a][b]["weight"] += 1
                net[a][b]["items"].append(item)
            else:
                net.add_edge(a, b, weight=1, items=[item])
    net.remove_edges_from([(a, b) for a, b, w in net.edges(data="weight") if w < min_weight])
    return net


def department_load(g: nx.DiGraph) -> list[dict[str, Any]]:
    """Per department: lead and co duties, and its centrality in the co-responsibility network; busiest first."""
    import networkx as nx

    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"lead": 0, "co": 0})
    for src, _item, e in g.edges(data=True):
        if e["kind"] in ROLES and e.get("duty"):
            counts[g.nodes[src]["label"]][e["kind"]] += 1
    net = shared_work(g)
    degree = nx.degree_centrality(net) if len(net) > 1 else {n: 0.0 for n in net}
    for a, b, w in net.edges(data="weight"):
        net[a][b]["distance"] = 1.0 / w  # strong ties are short paths
    between = nx.betweenness_centrality(net, weight="distance") if len(net) > 2 else {n: 0.0 for n in net}
    out = [
        {
            "department": name,
            "lead": c["lead"],
            "co": c["co"],
            "duties": c["lead"] + c["co"],
            "partners": net.degree(name) if name in net else 0,
            "degree_centrality": round(degree.get(name, 0.0), 4),
            "betweenness": round(between.get(name, 0.0), 4),
        }
        for name, c in counts.items()
    ]
    return sorted(out, key=lambda r: (-r["lead"], -r["duties"], r["department"]))


def write_graph(g: nx.DiGraph, path: str | Path, fmt: str = "graphml") -> None:
    """Write the graph as GraphML (Gephi, yEd) or node-link JSON, atomically."""
    import networkx as nx

    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    if fmt == "graphml":
        nx.write_graphml(g, tmp, encoding="utf-8")
    elif fmt == "json":
        data = nx.node_link_data(g, edges="links")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    else:
        raise ValueError(f"unknown graph format {fmt!r}")
    tmp.replace(path)
