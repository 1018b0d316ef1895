"""Home page: search box, the plan's structure at a glance, department picker, latest reviews."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, url_for

from kb.labels import KIND
from kb.reviews import statecache
from webapp import reviewdata
from webapp.departments import department_counts
from webapp.lookup import snapshot
from webapp.plans import chosen_plan, plan_rows, switcher
from webapp.render import twin

bp = Blueprint("home", __name__)
MAX_EXAMPLES = 6
MAX_PLANS = 3  # titles atop the page; the rest in the plan list (/plans)
MAX_DEPARTMENTS = 300  # the picker's options


@twin(bp, "/", "home.html", api_rule="/api/home")
def index() -> dict[str, Any]:
    snap = snapshot()
    plan = chosen_plan(snap, default=None)
    return {
        **statecache.cached(snap, ("home", plan), lambda: _overview(snap, plan), scope="tags"),
        "switcher": switcher(snap, plan),
        "latest_reviews": reviewdata.latest(6),
        "exports": _exports(),
        "title": "首页",
    }


def _overview(snap, plan: str | None) -> dict[str, Any]:
    """What the home page shows that changes only with a build or a department/link review, for one plan or all."""
    items = [it for it in snap.items if plan is None or it["plan"] == plan]
    domains: dict[str, dict[str, Any]] = {}
    others: dict[str, int] = {}
    for it in items:
        if not it["domain"]:
            others[it["kind"]] = others.get(it["kind"], 0) + 1
            continue
        d = domains.setdefault(
            it["domain"],
            {
                "domain": it["domain"],
                "code": it["domain_code"],
                "goals": 0,
                "measures": 0,
                "indicators": 0,
                "url": url_for("search.search_page", domain=it["domain"], **({"plan": plan} if plan else {})),
            },
        )
        d["goals" if it["kind"] == "goal" else "measures"] += it["kind"] in ("goal", "measure")
        d["indicators"] += len(it["indicators"])
    depts = department_counts(snap, plan)
    rows = plan_rows(snap)
    shown = [r for r in rows if plan is None or r["id"] == plan]
    return {
        "plan": plan,
        "plans": [
            {
                "id": r["id"],
                "title": r["title"],
                "issuer": r["issuer"],
                "published": r["published"],
                "period": r["period"],
                "url": r["url"],
            }
            for r in shown[:MAX_PLANS]
        ],
        "plan_count": len(rows),
        "plans_url": url_for("plans.plan_list"),
        "totals": {
            "items": len(items),
            "goals": sum(it["kind"] == "goal" for it in items),
            "measures": sum(it["kind"] == "measure" for it in items),
            "indicators": sum(len(it["indicators"]) for it in items),
            "departments": len(depts),
            "links": sum(len(it["serves"]) for it in items),
        },
        "domains": list(domains.values()),
        "other_sections": [{"kind": k, "label": KIND.get(k, k), "count": n} for k, n in others.items()],
        "departments": depts[:MAX_DEPARTMENTS],
        "examples": [{"q": q, "url": url_for("search.search_page", q=q)} for q in _examples(items)],
    }


def _examples(items: list[dict[str, Any]]) -> list[str]:
    """Example searches taken from the plan itself: one short indicator name per domain."""
    out: list[str] = []
    seen: set[str | None] = set()
    for it in items:
        names = [i["name"] for i in it["indicators"] if 2 <= len(i["name"]) <= 10]
        if it["domain"] not in seen and names:
            seen.add(it["domain"])
            out.append(names[0])
    return out[:MAX_EXAMPLES]


def _exports() -> list[dict[str, str]]:
    """The whole plan's 任务分解责任清单 downloads (webapp.downloads)."""
    from webapp.downloads import FORMAT_LABELS, download_url

    return [{"format": f, "label": FORMAT_LABELS[f], "url": download_url("plan", f)} for f in ("xlsx", "docx")]
