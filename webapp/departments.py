"""Department pages (我的职责): every item a department leads or supports, by domain, with targets served."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from kb import departments
from kb.labels import ROLE, SOURCE
from webapp.items import indicator_view
from webapp.lookup import (
    Snapshot,
    brief,
    department_names,
    dept_url,
    involvement_of,
    owners,
    resolve_department,
    snapshot,
)
from webapp.render import twin

bp = Blueprint("departments", __name__)
OTHER_DOMAIN = "总体要求与组织实施"
SORTS = {"doc": "文档顺序", "lead": "牵头在前", "kind": "按类别"}
KIND_ORDER = ("goal", "measure", "implementation", "monitoring")


@bp.app_context_processor
def _print_header() -> dict[str, Any]:
    """The line printed atop every page (print stylesheet): the plan and today's date in the plan's time zone."""
    from webapp.timefmt import plan_today

    def header() -> str:
        plans = snapshot().plans
        plan = plans[0]["title"] if len(plans) == 1 else "规划措施知识库"
        day = plan_today()
        return f"{plan} · 打印日期:{day.year}年{day.month}月{day.day}日"

    return {"print_header": header}


def department_counts(snap: Snapshot) -> list[dict[str, Any]]:
    """Every tagged department with how many items it leads and supports, busiest first."""
    counts: dict[str, Counter] = {n: Counter() for n in department_names(snap)}
    for name in counts:
        for inv in involvement_of(snap, name):
            counts[name][inv["role"]] += 1
    out = []
    for name, c in counts.items():
        dep = departments.get(name)
        out.append(
            {
                "name": name,
                "lead": c["lead"],
                "co": c["co"],
                "total": c["lead"] + c["co"],
                "category": departments.category_label(dep),
                "url": dept_url(name),
            }
        )
    return sorted(out, key=lambda d: (-d["total"], d["name"]))


def _entry(snap: Snapshot, inv: dict[str, Any], name: str) -> dict[str, Any]:
    it, tag = inv["item"], inv["tag"] or {}
    goals = [snap.by_id[g] for g in it["serves"] if g in snap.by_id]
    if it["kind"] == "goal":  # a goal is its own target
        goals = [it]
    return {
        **brief(it),
        "role": inv["role"],
        "role_label": ROLE[inv["role"]],
        "source": tag.get("source", "clause"),
        "source_label": SOURCE.get(tag.get("source", ""), "条款"),
        "confidence": tag.get("confidence"),
        "clauses": inv["clauses"],
        "phrases": list(dict.fromkeys(e["text"] for e in tag.get("evidence") or [] if e.get("text"))),
        "excerpt": it["text"][:90] + ("…" if len(it["text"]) > 90 else ""),
        "targets": [{**brief(g), "indicators": [indicator_view(i) for i in g["indicators"]]} for g in goals],
        "indicators": [indicator_view(i) for i in it["indicators"]],
        "partners": [d["name"] for d in it["departments"] if d["name"] != name],
        # a supporting department sees whom it supports: the leads named apart from the other co-owners
        "leads": [d["name"] for d in it["departments"] if d["name"] != name and d["role"] == "lead"],
        "co_partners": [d["name"] for d in it["departments"] if d["name"] != name and d["role"] != "lead"],
        "owners": owners(it),
    }


def _sorted(entries: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """A group's entries in the chosen order (stable: document order within equal keys)."""
    if sort == "lead":
        return sorted(entries, key=lambda e: e["role"] != "lead")
    if sort == "kind":
        return sorted(entries, key=lambda e: KIND_ORDER.index(e["kind"]) if e["kind"] in KIND_ORDER else 9)
    return entries


def department_context(query: str, role: str = "", sort: str = "doc") -> dict[str, Any]:
    """The duty list of one department (any alias accepted), optionally only its lead or co items, sorted."""
    snap = snapshot()
    name = resolve_department(snap, query)
    invs = involvement_of(snap, name)
    role = role if role in ROLE else ""
    sort = sort if sort in SORTS else "doc"
    groups: dict[tuple[str, str], list] = {}
    for inv in invs:
        if role and inv["role"] != role:
            continue
        key = (inv["item"]["plan"], inv["item"]["domain"] or OTHER_DOMAIN)  # two plans never share a group
        groups.setdefault(key, []).append(_entry(snap, inv, name))
    partners = Counter(p for entries in groups.values() for e in entries for p in e["partners"])
    dep = departments.get(name)
    lead = sum(1 for i in invs if i["role"] == "lead")
    return {
        "name": name,
        "query": query,
        "full_name": dep.full if dep else name,
        "category": departments.category_label(dep),
        "aliases": [a for a in (dep.names if dep else ()) if a != name],
        "counts": {
            "lead": lead,
            "co": len(invs) - lead,
            "total": len(invs),
            "targets": len({t["id"] for es in groups.values() for e in es for t in e["targets"]}),
        },
        "groups": [{"domain": d, "plan": p, "items": _sorted(es, sort)} for (p, d), es in groups.items()],
        "role": role,
        "sort": sort,
        "roles": [("", "牵头和配合"), *ROLE.items()],
        "sorts": list(SORTS.items()),
        "partners": [{"name": p, "count": n, "url": dept_url(p)} for p, n in partners.most_common()],
        "exports": export_links(name),
        "title": f"{name} 的职责",
    }


def export_links(name: str) -> list[dict[str, str]]:
    """Download buttons for the department's duty list (webapp.downloads), then the JSON twin."""
    from webapp.downloads import FORMAT_LABELS, download_url

    links = [
        {"format": fmt, "label": FORMAT_LABELS[fmt], "url": download_url("dept", fmt, name=name)}
        for fmt in ("xlsx", "docx", "csv", "md")
        if fmt in FORMAT_LABELS
    ]
    links.append({"format": "json", "label": "JSON 数据", "url": url_for("departments.department_page_api", name=name)})
    return links


@bp.get("/departments/<path:name>")
def department_page(name: str):
    ctx = department_context(name, request.args.get("role", ""), request.args.get("sort", "doc"))
    if ctx["name"] != name:  # an alias: show the page under its canonical address
        return redirect(url_for("departments.department_page", name=ctx["name"], **request.args), code=302)
    return render_template("department.html", **ctx)


@bp.get("/api/departments/<path:name>")
def department_page_api(name: str):
    from flask import jsonify

    ctx = department_context(name, request.args.get("role", ""), request.args.get("sort", "doc"))
    return jsonify({"ok": True, **ctx})


@twin(bp, "/departments", "departments.html")
def department_list() -> dict[str, Any]:
    pick = request.args.get("name", "").strip()
    if pick and request.path == "/departments":
        abort(redirect(url_for("departments.department_page", name=pick)))
    return {"departments": department_counts(snapshot()), "title": "部门职责"}
