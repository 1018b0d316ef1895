"""Graph page: the whole plan by domain, a department's duties grouped by domain, or an item's neighbourhood."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from nlp.link_evidence import words as link_words
from webapp.graphdata import item_graph
from webapp.graphgroups import department_graph, expanded_codes, plan_graph
from webapp.lookup import resolve_department, resolve_item, snapshot
from webapp.plans import chosen_plan, switcher
from webapp.render import twin

bp = Blueprint("graph", __name__)
KIND_LEGEND = {
    "plan": [("domain", "领域(点击展开/收起)"), ("goal", "主要目标"), ("measure", "政策措施")],
    "department": [("department", "部门"), ("lead", "本部门牵头"), ("co", "本部门配合"), ("goal", "服务的目标")],
    "item": [("department", "部门"), ("goal", "主要目标"), ("measure", "政策措施"), ("other", "其他条目")],
}
STRENGTHS = ("strong", "moderate", "weak")  # the link strengths drawn apart (nlp.link_evidence)


@twin(bp, "/graph", "graph.html")
def graph_page() -> dict[str, Any]:
    snap = snapshot()
    dept, item = request.args.get("dept", "").strip(), request.args.get("item", "").strip()
    domain = request.args.get("domain", "").strip()
    plan = None if item else chosen_plan(snap, [p["id"] for p in snap.plans])  # many plans: one at a time
    if dept:
        data = department_graph(snap, resolve_department(snap, dept), plan)
    elif item:
        data = {"view": "item", **item_graph(snap, resolve_item(snap, item))}
    else:
        data = plan_graph(snap, expanded_codes(snap, domain), plan)
    return {
        "groups": [],
        **data,
        "query": {"dept": dept, "item": item, "domain": domain, "plan": plan or ""},
        "switcher": switcher(snap, plan, [p["id"] for p in snap.plans]),
        "legend": [{"kind": k, "label": v} for k, v in KIND_LEGEND[data["view"]]],
        "strength_legend": [{"kind": k, "label": link_words()["strength"][k]} for k in STRENGTHS],
        "title": f"关系图 · {data['focus']['label']}",
    }
