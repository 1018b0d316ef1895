"""Department pages (我的职责): every item a department leads or supports, by domain, with targets served."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for

from kb import departments
from kb.duties import item_duties
from kb.labels import ROLE, SOURCE
from kb.reviews import statecache
from webapp.items import indicator_view
from webapp.lookup import (
    Snapshot,
    brief,
    canonical_redirect,
    dept_url,
    duty_index,
    involvement_of,
    owners,
    resolve_department,
    snapshot,
)
from webapp.params import choice
from webapp.plans import chosen_plan, paged, switcher
from webapp.render import twin

bp = Blueprint("departments", __name__)
OTHER_DOMAIN = "总体要求与组织实施"
SORTS = {"doc": "文档顺序", "lead": "牵头在前", "kind": "按类别"}
KIND_ORDER = ("goal", "measure", "implementation", "monitoring")
DUTIES_PER_PAGE = 100  # one plan's duties of the busiest department fit; a longer list is paged


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


def department_counts(snap: Snapshot, plan: str | None = None) -> list[dict[str, Any]]:
    """Every tagged department (optionally in one plan) with how many items it leads and supports, busiest
    first; once per department state (kb.reviews.statecache)."""

    def compute() -> list[dict[str, Any]]:
        out = []
        for name, duties in duty_index(snap).items():
            c = Counter(role for iid, role, _c, _t in duties if plan is None or snap.by_id[iid]["plan"] == plan)
            if not c:
                continue
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

    return statecache.cached(snap, ("department_counts", plan), compute, scope="tags")


def plans_of(snap: Snapshot, name: str) -> list[dict[str, Any]]:
    """The plans in which the department has duties, in plan order, with its lead and co counts in each."""
    counts: dict[str, Counter] = {}
    for iid, role, _c, _t in duty_index(snap).get(name, []):
        counts.setdefault(snap.by_id[iid]["plan"], Counter())[role] += 1
    return [
        {
            "id": p["id"],
            "title": p["title"],
            "lead": counts[p["id"]]["lead"],
            "co": counts[p["id"]]["co"],
            "total": counts[p["id"]].total(),
            "url": url_for("departments.department_page", name=name, plan=p["id"]),
        }
        for p in snap.plans
        if p["id"] in counts
    ]


def _entry(snap: Snapshot, inv: dict[str, Any], name: str) -> dict[str, Any]:
    it, tag = inv["item"], inv["tag"] or {}
    duty = item_duties(it)[name]  # the mark of a body named only in clauses is its deciding clause tag's
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
        "mark": duty.mark(),
        "clause_only": duty.clause_only,
        "clauses": inv["clauses"],
        "phrases": list(dict.fromkeys(e["text"] for e in duty.evidence())),  # the 依据 column's words
        "excerpt": it["text"][:90] + ("…" if len(it["text"]) > 90 else ""),
        "targets": [{**brief(g), "indicators": [indicator_view(i) for i in g["indicators"]]} for g in goals],
        "indicators": [indicator_view(i) for i in it["indicators"]],
        "partners": [d["name"] for d in it["departments"] if d["name"] != name],
        # a supporting department sees whom it supports: the leads named apart from the other co-owners
        "leads": [d["name"] for d in it["departments"] if d["name"] != name and d["role"] == "lead"],
        "co_partners": [d["name"] for d in it["departments"] if d["name"] != name and d["role"] != "lead"],
        "owners": owners(it),
    }


def _sorted(rows: list[Any], sort: str, item: Callable[[Any], dict[str, Any]]) -> list[Any]:
    """Rows in the chosen order (stable: document order within equal keys); `item` gives a row's item."""
    if sort == "lead":
        return sorted(rows, key=lambda r: r["role"] != "lead")
    if sort == "kind":
        return sorted(rows, key=lambda r: KIND_ORDER.index(item(r)["kind"]) if item(r)["kind"] in KIND_ORDER else 9)
    return rows


def department_context(query: str, role: str = "", sort: str = "doc") -> dict[str, Any]:
    """The duty list of one department (any alias accepted) in one plan (`?plan=`, default the first plan it has
    duties in; the others in the switcher), optionally only its lead or co items, sorted, a page at a time; role
    and sort as _duty_options() reads them."""
    snap = snapshot()
    name = resolve_department(snap, query)
    plans = plans_of(snap, name)
    plan = chosen_plan(snap, [p["id"] for p in plans]) if plans else None
    invs = involvement_of(snap, name, plan)
    by_group: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for inv in invs:
        if not role or inv["role"] == role:  # groups in document order, entries sorted within each
            by_group.setdefault((inv["item"]["plan"], inv["item"]["domain"] or OTHER_DOMAIN), []).append(inv)
    shown = [i for rows in by_group.values() for i in _sorted(rows, sort, lambda i: i["item"])]
    page = paged(shown, DUTIES_PER_PAGE)
    groups: dict[tuple[str, str], list] = {}
    for inv in page["rows"]:
        key = (inv["item"]["plan"], inv["item"]["domain"] or OTHER_DOMAIN)  # two plans never share a group
        groups.setdefault(key, []).append(_entry(snap, inv, name))
    partners = Counter(d["name"] for i in shown for d in i["item"]["departments"] if d["name"] != name)
    targets = {g for i in shown for g in ([i["item"]["id"]] if i["item"]["kind"] == "goal" else i["item"]["serves"])}
    dep = departments.get(name)
    lead = sum(1 for i in invs if i["role"] == "lead")
    page.pop("rows")
    return {
        "name": name,
        "query": query,
        "full_name": dep.full if dep else name,
        "category": departments.category_label(dep),
        "aliases": [a for a in (dep.names if dep else ()) if a != name],
        "plan": plan,
        "plans": plans,
        "switcher": switcher(snap, plan, [p["id"] for p in plans], {p["id"]: p["total"] for p in plans}),
        "counts": {
            "lead": lead,
            "co": len(invs) - lead,
            "total": len(invs),
            "targets": len(targets & snap.by_id.keys()),
        },
        "groups": [{"domain": d, "plan": p, "items": es} for (p, d), es in groups.items()],
        "page": page,
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


def _duty_options() -> tuple[str, str]:
    """The page's ?role= ("" for both) and ?sort=; a value outside their choices is a 400 (webapp.params)."""
    return choice(request.args, "role", ROLE, "", "角色"), choice(request.args, "sort", SORTS, "doc", "排序")


@bp.get("/departments/<path:name>")
def department_page(name: str):
    ctx = department_context(name, *_duty_options())
    if ctx["name"] != name:  # an alias: show the page under its canonical address
        return canonical_redirect("departments.department_page", ctx["name"])
    return render_template("department.html", **ctx)


@bp.get("/api/departments/<path:name>")
def department_page_api(name: str):
    from flask import jsonify

    ctx = department_context(name, *_duty_options())
    return jsonify({"ok": True, **ctx})


@twin(bp, "/departments", "departments.html")
def department_list() -> dict[str, Any]:
    pick = request.args.get("name", "").strip()
    if pick and request.path == "/departments":
        abort(redirect(url_for("departments.department_page", name=pick)))
    snap = snapshot()
    plan = chosen_plan(snap, default=None)
    return {
        "departments": department_counts(snap, plan),
        "plan": plan,
        "switcher": switcher(snap, plan),
        "title": "部门职责",
    }
