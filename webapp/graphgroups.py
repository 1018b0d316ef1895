"""Graph views grouped by domain: the whole plan as one node per domain (expandable to its goals and measures),
and a department's duties and the goals they serve, boxed by domain (cytoscape compound nodes)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from flask import url_for

from kb import graph as kbg
from kb.reviews import statecache
from webapp.graphdata import department_node, item_node, kb_graph, serves_edge
from webapp.lookup import Snapshot, brief, dept_url, label
from webapp.render import NotFoundWithHints

OTHER = "其他条目"  # the group of items outside every domain (a plan's list without a domain heading)
NO_DOMAIN = "-"  # its code in ?domain= (domain codes are words: health, education …)


def domain_id(it: dict[str, Any]) -> str:
    """The kb.graph node id of the item's domain (items outside every domain share one per plan)."""
    return kbg.domain_node(it["plan"], it.get("domain_code") or "")


def _plan_items(snap: Snapshot, plan: str | None = None) -> list[dict[str, Any]]:
    """The goals and measures of the graph (of one plan), once per department/link state."""

    def compute() -> list[dict[str, Any]]:
        g = kb_graph(snap)
        ids = kbg.nodes_of(g, "goal") + kbg.nodes_of(g, "measure")
        return [snap.by_id[n] for n in ids if n in snap.by_id and plan in (None, snap.by_id[n]["plan"])]

    return [snap.by_id[it["id"]] for it in statecache.cached(snap, ("graph_items", plan), compute, scope="tags")]


def domain_groups(snap: Snapshot, items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Domain node id → {code, name, plan, goals, measures} in document order (first item of each domain)."""
    many_plans = len({it["plan"] for it in items}) > 1
    titles = {p["id"]: p.get("title") or p["id"] for p in snap.plans}
    out: dict[str, dict[str, Any]] = {}
    for it in sorted(items, key=lambda i: (i["plan"], i.get("line") or 0)):
        d = out.setdefault(
            domain_id(it),
            {
                "code": it.get("domain_code") or NO_DOMAIN,
                "name": (it.get("domain") or OTHER) + (f"({titles.get(it['plan'], it['plan'])})" if many_plans else ""),
                "plan": it["plan"],
                "goals": [],
                "measures": [],
            },
        )
        d["goals" if it["kind"] == "goal" else "measures"].append(it)
    return out


def _group_list(domains: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The page's list view: each domain with its goals and measures (links)."""
    return [
        {
            "id": did,
            "name": d["name"],
            "code": d["code"],
            "goals": [brief(i) for i in d["goals"]],
            "measures": [brief(i) for i in d["measures"]],
        }
        for did, d in domains.items()
    ]


def expanded_codes(snap: Snapshot, raw: str) -> set[str]:
    """Domain codes from ?domain=health,education; an unknown code is a 404 naming the known ones."""
    codes = {c.strip() for c in raw.split(",") if c.strip()}
    names = {
        it.get("domain_code") or NO_DOMAIN: it.get("domain") or OTHER
        for it in snap.items
        if it["kind"] in ("goal", "measure")
    }
    unknown = sorted(codes - set(names))
    if unknown:
        hints = [{"label": names[c], "url": url_for("graph.graph_page", domain=c)} for c in sorted(names)]
        raise NotFoundWithHints(f"找不到领域“{'、'.join(unknown)}”。", hints)
    return codes


def _many_evidence(snap: Snapshot, pairs: list[tuple[dict[str, Any], str]], shown: int = 4) -> str:
    """Words for links drawn as one: each measure → goal with its evidence, the first few of them."""
    lines = [f"{len(pairs)} 条措施→目标关联:"]
    for m, goal_id in pairs[:shown]:
        goal = snap.by_id[goal_id]
        ev = serves_edge(snap, m, goal_id, m["id"], goal_id)["evidence"]
        lines.append(f"{label(m)} → {label(goal)}:{ev}")
    if len(pairs) > shown:
        lines.append(f"……另有 {len(pairs) - shown} 条,展开领域查看")
    return "\n".join(lines)


def plan_graph(snap: Snapshot, expanded: set[str] | None = None, plan: str | None = None) -> dict[str, Any]:
    """The whole plan: one node per domain with its counts; an expanded domain holds its goals and measures.
    A link is drawn between what is shown: an item of an expanded domain, else its domain's node."""
    expanded = expanded or set()
    items = _plan_items(snap, plan)
    keep = {"plan": plan} if plan else {}
    domains = domain_groups(snap, items)
    open_ids = {did for did, d in domains.items() if d["code"] in expanded}
    nodes: list[dict[str, Any]] = []
    for did, d in domains.items():
        is_open = did in open_ids
        codes = sorted(expanded ^ {d["code"]})
        nodes.append(
            {
                "id": did,
                "label": f"{d['name']}\n目标 {len(d['goals'])} · 措施 {len(d['measures'])}",
                "name": d["name"],
                "title": f"{d['name']}:主要目标 {len(d['goals'])} 个,政策措施 {len(d['measures'])} 个"
                + ("(点击收起)" if is_open else "(点击展开)"),
                "kind": "domain",
                "domain": d["code"],
                "goals": len(d["goals"]),
                "measures": len(d["measures"]),
                "expanded": is_open,
                "url": url_for("graph.graph_page", domain=",".join(codes), **keep),
                "toggle": url_for("graph.graph_page_api", domain=",".join(codes), **keep),
                "focus": False,
            }
        )
        if is_open:
            nodes += [item_node(it, parent=did) for it in d["goals"] + d["measures"]]
    shown = {n["id"] for n in nodes}

    def end(it: dict[str, Any]) -> str:
        return it["id"] if it["id"] in shown else domain_id(it)

    links: dict[tuple[str, str], list[tuple[dict[str, Any], str]]] = defaultdict(list)
    for m in items:
        for s in m.get("serves_detail") or []:
            goal = snap.by_id.get(s["goal"])
            if m["kind"] == "measure" and goal is not None and end(m) != end(goal):
                links[(end(m), end(goal))].append((m, goal["id"]))
    edges = []
    for (src, dst), pairs in links.items():
        if src not in shown or dst not in shown:
            continue
        if len(pairs) == 1 and src == pairs[0][0]["id"] and dst == pairs[0][1]:
            edges.append(serves_edge(snap, pairs[0][0], pairs[0][1], src, dst))
        else:
            edges.append(
                {
                    "id": f"{src}->{dst}",
                    "source": src,
                    "target": dst,
                    "kind": "serves_many",
                    "count": len(pairs),
                    "label": f"{len(pairs)} 条" if len(pairs) > 1 else "",  # one link's words are in its tooltip
                    "evidence": _many_evidence(snap, pairs),
                }
            )
    return {
        "view": "plan",
        "focus": {"kind": "plan", "label": "整个规划", "url": ""},
        "expanded": sorted(expanded),
        "nodes": nodes,
        "edges": edges,
        "groups": _group_list(domains),
    }


def department_graph(snap: Snapshot, name: str, plan: str | None = None) -> dict[str, Any]:
    """The department, every item it leads or supports (kb.graph duties) and the goals those serve, each in its
    domain's group, the group labelled with the department's lead and co counts (no line to every item)."""
    g = kb_graph(snap)
    roles: dict[str, str] = {}
    for duty in kbg.department_duties(g, name):
        if duty["item"] in snap.by_id and plan in (None, snap.by_id[duty["item"]]["plan"]):
            roles[duty["item"]] = duty["role"]
            for goal in duty["goals"]:
                if goal in snap.by_id:
                    roles.setdefault(goal, "served")
    items = [snap.by_id[i] for i in roles]
    domains = domain_groups(snap, items)
    nodes: list[dict[str, Any]] = [department_node(name, focus=True)]
    edges: list[dict[str, Any]] = []
    for did, d in domains.items():
        count = Counter(roles[i["id"]] for i in d["goals"] + d["measures"])
        words = [f"牵头 {count['lead']}"] * bool(count["lead"]) + [f"配合 {count['co']}"] * bool(count["co"])
        nodes.append(
            {
                "id": did,
                "label": f"{d['name']} · {' · '.join(words) or '所服务的目标'}",
                "name": d["name"],
                "title": f"{d['name']}:{name} " + (",".join(words) or "所服务的目标"),
                "kind": "group",
                "domain": d["code"],
                "lead": count["lead"],
                "co": count["co"],
                "url": url_for("graph.graph_page", domain=d["code"]),
                "focus": False,
            }
        )
        for it in d["goals"] + d["measures"]:
            nodes.append({**item_node(it, parent=did), "role": roles[it["id"]]})
    for it in items:
        for s in it.get("serves_detail") or []:
            if s["goal"] in roles and s["goal"] != it["id"]:
                edges.append(serves_edge(snap, it, s["goal"], it["id"], s["goal"]))
    return {
        "view": "department",
        "focus": {"kind": "department", "name": name, "label": name, "url": dept_url(name)},
        "nodes": nodes,
        "edges": edges,
        "groups": _group_list(domains),
    }
