"""Graph page: a department's or an item's neighbourhood, or the whole plan, drawn with cytoscape."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from webapp.graphdata import department_graph, item_graph, plan_graph
from webapp.lookup import resolve_department, resolve_item, snapshot
from webapp.render import twin

bp = Blueprint("graph", __name__)
KIND_LEGEND = [("department", "部门"), ("goal", "主要目标"), ("measure", "政策措施"), ("other", "其他条目")]


@twin(bp, "/graph", "graph.html")
def graph_page() -> dict[str, Any]:
    snap = snapshot()
    dept, item = request.args.get("dept", "").strip(), request.args.get("item", "").strip()
    if dept:
        data = department_graph(snap, resolve_department(snap, dept))
    elif item:
        data = item_graph(snap, resolve_item(snap, item))
    else:
        data = plan_graph(snap)
    return {
        **data,
        "query": {"dept": dept, "item": item},
        "legend": [{"kind": k, "label": v} for k, v in KIND_LEGEND],
        "title": f"关系图 · {data['focus']['label']}",
    }
