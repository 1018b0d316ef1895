"""Graph views for the pages over kb.graph: an item's neighbours and cytoscape-ready neighbourhoods."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kb import graph as kbg
from kb.graph.update import updated_graph
from kb.link_evidence import evidence
from kb.reviews import statecache
from webapp.lookup import Snapshot, brief, dept_url, label, owners

if TYPE_CHECKING:
    import networkx as nx

RELATION_LABELS = {
    "serves": "服务目标",
    "served_by": "支撑措施",
    "sibling": "服务同一目标的措施",
    "lead": "牵头部门",
    "co": "配合部门",
}


def kb_graph(snap: Snapshot) -> nx.DiGraph:
    """kb.graph's networkx graph of the snapshot, once per department/link state (kb.reviews.statecache): built
    per build, then updated with the edges of the items a review changed (kb.graph.update); notes leave it."""
    return statecache.cached(
        snap,
        "graph",
        lambda: kbg.build_graph(snap.items, snap.plans),
        scope="tags",
        update=lambda g, changed: updated_graph(g, snap.by_id, changed),
    )


def _serves(snap: Snapshot, it: dict[str, Any]) -> dict[str, float]:
    """The item's measure → goal edges as kb.graph makes them (goal → score), read from the snapshot."""
    if it["kind"] not in kbg.GRAPH_KINDS:
        return {}
    return {
        goal: e["score"]
        for goal, e in kbg.serve_links(it).items()
        if snap.by_id.get(goal, {}).get("kind") in kbg.GRAPH_KINDS
    }


def _served_by(snap: Snapshot, goal: str) -> list[str]:
    """Measures serving `goal`, best first (kb.graph.goal_measures' order), from the snapshot's serving lists."""
    scored = ((m, _serves(snap, snap.by_id[m]).get(goal)) for m in dict.fromkeys(snap.serving.get(goal, [])))
    return kbg.best_first((m, s) for m, s in scored if s is not None)


def neighbours(snap: Snapshot, it: dict[str, Any]) -> list[dict[str, Any]]:
    """Items one step away: goals served, measures serving (a goal), measures sharing a goal (a measure). Read
    from the snapshot's links in the graph's order, so an item page after a review waits for no graph update
    (the graph is brought up to date when a graph view asks for it)."""
    out: list[dict[str, Any]] = []
    seen = {it["id"]}

    def add(other_id: str, relation: str) -> None:
        other = snap.by_id.get(other_id)
        if other is not None and other_id not in seen:
            seen.add(other_id)
            out.append({**brief(other), "relation": relation, "relation_label": RELATION_LABELS[relation]})

    if it["kind"] not in kbg.GRAPH_KINDS:
        return out
    goals = [] if it["kind"] == "goal" else [x for x in kbg.best_first(_serves(snap, it).items()) if x != it["id"]]
    for goal in goals:
        add(goal, "serves")
    for m in _served_by(snap, it["id"]):
        add(m, "served_by")
    for goal in goals:
        for m in _served_by(snap, goal):
            add(m, "sibling")
    return out


def short_label(it: dict[str, Any]) -> str:
    """措施4 without the domain (inside its domain's group)."""
    lab = label(it)
    return lab.split(" · ", 1)[1] if " · " in lab else lab


def item_node(it: dict[str, Any], focus: bool = False, parent: str | None = None) -> dict[str, Any]:
    """A cytoscape node for an item; inside a group (parent) its label leaves out the domain the group names."""
    lead = owners(it)["lead"]
    node = {
        "id": it["id"],
        "label": f"{short_label(it) if parent else label(it)}\n{it['title'][:14]}",
        "name": f"{label(it)} {it['title']}",
        "title": f"{label(it)} {it['title']}" + (f"(牵头:{'、'.join(lead)})" if lead else ""),
        "kind": it["kind"],
        "domain": it["domain"] or "",
        "url": brief(it)["url"],
        "focus": focus,
    }
    if parent:
        node["parent"] = parent
    return node


def serves_edge(snap: Snapshot, measure: dict[str, Any], goal_id: str, source: str, target: str) -> dict[str, Any]:
    """A measure → goal edge with the link's evidence in words and its strength (kb.link_evidence)."""
    detail = next((s for s in measure.get("serves_detail") or [] if s["goal"] == goal_id), {"goal": goal_id})
    ev = evidence(detail, snap.by_id.get(goal_id))
    return {
        "id": f"{source}->{target}",
        "source": source,
        "target": target,
        "kind": "serves",
        "label": RELATION_LABELS["serves"],
        "strength": ev["strength"],
        "evidence": ev["text"],
    }


def department_node(name: str, focus: bool = False) -> dict[str, Any]:
    """The graph node of a department (the focus of its own view)."""
    return {
        "id": kbg.dept_node(name),
        "label": name,
        "name": name,
        "title": name,
        "kind": "department",
        "domain": "",
        "url": dept_url(name),
        "focus": focus,
    }


class _Builder:
    """Collects cytoscape nodes and edges, dropping edges whose ends are not shown."""

    def __init__(self, snap: Snapshot) -> None:
        self.snap = snap
        self.nodes: dict[str, dict[str, Any]] = {}
        self.edges: dict[tuple[str, str], dict[str, Any]] = {}

    def item(self, item_id: str, focus: bool = False) -> bool:
        it = self.snap.by_id.get(item_id)
        if it is not None and (item_id not in self.nodes or focus):
            self.nodes[item_id] = item_node(it, focus)
        return it is not None

    def dept(self, name: str, focus: bool = False) -> None:
        if kbg.dept_node(name) not in self.nodes or focus:
            self.nodes[kbg.dept_node(name)] = department_node(name, focus)

    def edge(self, source: str, target: str, kind: str) -> None:
        if source in self.nodes and target in self.nodes and source != target:
            self.edges.setdefault(
                (source, target),
                {
                    "id": f"{source}->{target}",
                    "source": source,
                    "target": target,
                    "kind": kind,
                    "label": RELATION_LABELS.get(kind, kind),
                },
            )

    def owners(self, g: nx.DiGraph, item_id: str, roles: tuple[str, ...] = kbg.ROLES) -> None:
        for role, names in kbg.duties_of_item(g, item_id).items():
            if role in roles:
                for n in names:
                    self.dept(n)
                    self.edge(kbg.dept_node(n), item_id, role)

    def serves_edges(self, g: nx.DiGraph) -> None:
        for nid in list(self.nodes):
            if nid in g and g.nodes[nid].get("kind") != "department":
                for goal in kbg.served_goals(g, nid):
                    if goal != nid and goal in self.nodes:
                        self.edges.setdefault(
                            (nid, goal), serves_edge(self.snap, self.snap.by_id[nid], goal, nid, goal)
                        )

    def result(self, focus: dict[str, Any]) -> dict[str, Any]:
        return {"focus": focus, "nodes": list(self.nodes.values()), "edges": list(self.edges.values())}


def item_graph(snap: Snapshot, it: dict[str, Any]) -> dict[str, Any]:
    """The item and its departments, its neighbours and their lead departments."""
    g = kb_graph(snap)
    b = _Builder(snap)
    b.item(it["id"], focus=True)
    if it["id"] in g:
        b.owners(g, it["id"])
    for n in neighbours(snap, it):
        b.item(n["id"])
        b.owners(g, n["id"], ("lead",))
    b.serves_edges(g)
    return b.result({"kind": "item", "id": it["id"], "label": f"{label(it)} {it['title']}", "url": brief(it)["url"]})
