"""Item page (goal / measure / clause's item): marked text, departments with evidence, goals served, indicators."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from kb.duties import item_duties
from kb.labels import COMPARATOR, ROLE, SOURCE, repair_rule_label
from kb.link_evidence import evidence
from kb.monitoring.readings import plan_period
from kb.monitoring.targets import target_text
from kb.reviews import statecache
from kb.store import KB
from webapp import reviewdata
from webapp.graphdata import neighbours
from webapp.lookup import brief, dept_url, label, owners, resolve_item, snapshot
from webapp.render import twin
from webapp.textmarks import marked_text

bp = Blueprint("items", __name__)
bp.add_app_template_filter(repair_rule_label, "repair_rule")  # 合并断行 …: the plan and upload pages' layout counts


def indicator_view(ind: dict[str, Any]) -> dict[str, Any]:
    """An indicator with its target written for people, as the monitoring pages write it (≥90%, 较2020年下降)."""
    comp = COMPARATOR.get(ind["comparator"], ind["comparator"])
    return {**ind, "comparator_label": comp, "display": target_text(ind, _period(ind))}


def _period(ind: dict[str, Any]) -> tuple[int, int]:
    """The years of the indicator's plan (a relative target is measured from the year before they start)."""
    snap = snapshot()
    plan_id = (snap.by_id.get(ind.get("item") or "") or {}).get("plan") or ind["id"].split(":")[0]
    return plan_period(next((p for p in snap.plans if p["id"] == plan_id), {"id": plan_id}))


def department_view(d: dict[str, Any], where: str = "") -> dict[str, Any]:
    """A department tag with labels, link and its evidence phrases; `where` (第3句) for a body named only there."""
    phrases = list(dict.fromkeys(e["text"] for e in d.get("evidence") or [] if e.get("text")))
    return {
        **d,
        "where": where,
        "role_label": ROLE.get(d["role"], d["role"]),
        "source_label": SOURCE.get(d.get("source", ""), d.get("source", "")),
        "url": dept_url(d["name"]),
        "phrases": phrases,
        "rules": list(dict.fromkeys(e["rule"] for e in d.get("evidence") or [] if e.get("rule"))),
    }


def duty_views(it: dict[str, Any]) -> list[dict[str, Any]]:
    """Every body with a duty on the item (kb.duties), leads first: its item-level tags, then the bodies named only
    in clauses, with those clauses and their deciding tag. The page listed the tags alone, so 市教育局 (named in
    law-m9's 3rd sentence) was in its department list and the 责任清单 but not among the item's 配合部门."""
    views = [
        department_view(d.tag)
        if d.tag is not None
        else department_view({**d.assignment, "name": d.name, "role": d.role, "evidence": d.evidence()}, d.where)
        for d in item_duties(it).values()
    ]
    return sorted(views, key=lambda v: v["role"] != "lead")  # stable: rank order within each role


def build_repairs(snap: Any, plan: str) -> list[dict[str, Any]]:
    """The plan's repairs in the live build, read once per build (kb.reviews.statecache; a review decides a repair
    for the next build, so reviews leave them as they are). Read-only."""

    def compute() -> list[dict[str, Any]]:
        with KB() as kb:
            return kb.repairs(plan)

    return statecache.cached(snap, ("repairs", plan), compute, scope="build")


@twin(bp, "/items/<path:item_id>", "item.html")
def item_page(item_id: str) -> dict[str, Any]:
    snap = snapshot()
    it = resolve_item(snap, item_id)
    repairs = build_repairs(snap, it["plan"])
    plan = next((p for p in snap.plans if p["id"] == it["plan"]), {"title": it["plan"]})
    serves = []
    for s in it.get("serves_detail") or [{"goal": g} for g in it["serves"]]:
        goal = snap.by_id.get(s["goal"])
        if goal is not None:
            serves.append(
                {
                    **brief(goal),
                    "score": s.get("score"),
                    "why": s.get("why", ""),
                    "cross_domain": s.get("cross_domain", False),
                    "source": s.get("source", ""),
                    "evidence": evidence(s, goal),
                    "owners": owners(goal),
                    "indicators": [indicator_view(i) for i in goal["indicators"]],
                }
            )
    served_by = []
    for mid in snap.serving.get(it["id"], []):
        m = snap.by_id[mid]
        detail = next((s for s in m.get("serves_detail") or [] if s["goal"] == it["id"]), {})
        served_by.append(
            {
                **brief(m),
                "owners": owners(m),
                "score": detail.get("score"),
                "why": detail.get("why", ""),
                "evidence": evidence(detail, it),
            }
        )
    served_by.sort(key=lambda m: -(m["score"] or 0))
    depts = duty_views(it)
    return {
        "item": {
            **brief(it),
            "text": it["text"],
            "raw_text": it["raw_text"],
            "section": it["section"],
            "block": it["block"],
            "plan": it["plan"],
            "plan_title": plan["title"],
            "line": it["line"],
            "fingerprint": it["fingerprint"],
            "target_groups": it["target_groups"],
            "needs_review": it.get("needs_review", False),
            "candidates": it.get("candidates", []),
        },
        "answer": {
            "lead": [d["name"] for d in depts if d["role"] == "lead"],
            "co": [d["name"] for d in depts if d["role"] == "co"],
            "serves": [{"id": s["id"], "label": s["label"], "title": s["title"], "url": s["url"]} for s in serves],
        },
        "marked": marked_text(it, repairs),
        "departments": depts,
        "serves": serves,
        "served_by": served_by,
        "indicators": [indicator_view(i) for i in it["indicators"]],
        "neighbours": neighbours(snap, it),
        "reviews": reviewdata.for_item(it),
        "review_form": reviewdata.form_options(snap, it),
        "title": f"{label(it)} {it['title']}",
    }
