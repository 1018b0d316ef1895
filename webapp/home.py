"""Home page: search box, the plan's structure at a glance, department picker, latest reviews."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, url_for

from kb.labels import KIND
from kb.store import KB
from webapp import reviewdata
from webapp.departments import department_counts
from webapp.lookup import snapshot
from webapp.render import twin

bp = Blueprint("home", __name__)
MAX_EXAMPLES = 6


@twin(bp, "/", "home.html", api_rule="/api/home")
def index() -> dict[str, Any]:
    snap = snapshot()
    domains: dict[str, dict[str, Any]] = {}
    others: dict[str, int] = {}
    for it in snap.items:
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
                "url": url_for("search.search_page", domain=it["domain"]),
            },
        )
        d["goals" if it["kind"] == "goal" else "measures"] += it["kind"] in ("goal", "measure")
        d["indicators"] += len(it["indicators"])
    depts = department_counts(snap)
    return {
        "plans": [
            {
                "id": p["id"],
                "title": p["title"],
                "issuer": p["meta"].get("issuer", ""),
                "published": p["meta"].get("published", ""),
                "period": p["meta"].get("period"),
                "url": url_for("reader.plan_page", plan_id=p["id"]),
            }
            for p in snap.plans
        ],
        "totals": {
            "items": len(snap.items),
            "goals": sum(it["kind"] == "goal" for it in snap.items),
            "measures": sum(it["kind"] == "measure" for it in snap.items),
            "indicators": sum(len(it["indicators"]) for it in snap.items),
            "departments": len(depts),
            "links": sum(len(it["serves"]) for it in snap.items),
        },
        "domains": list(domains.values()),
        "other_sections": [{"kind": k, "label": KIND.get(k, k), "count": n} for k, n in others.items()],
        "departments": depts,
        "latest_reviews": reviewdata.latest(6),
        "exports": _exports(),
        "examples": [{"q": q, "url": url_for("search.search_page", q=q)} for q in _examples(snap)],
        "title": "首页",
    }


@bp.get("/api/plans")
def api_plans():
    with KB() as kb:
        return jsonify({"ok": True, "plans": kb.plans()})


def _examples(snap) -> list[str]:
    """Example searches taken from the plan itself: one short indicator name per domain."""
    out: list[str] = []
    seen: set[str | None] = set()
    for it in snap.items:
        names = [i["name"] for i in it["indicators"] if 2 <= len(i["name"]) <= 10]
        if it["domain"] not in seen and names:
            seen.add(it["domain"])
            out.append(names[0])
    return out[:MAX_EXAMPLES]


def _exports() -> list[dict[str, str]]:
    """The whole plan's 任务分解责任清单 downloads (webapp.downloads)."""
    from webapp.downloads import FORMAT_LABELS, download_url

    return [{"format": f, "label": FORMAT_LABELS[f], "url": download_url("plan", f)} for f in ("xlsx", "docx")]
