"""Many plans in the UI: the plan list (level, region, period, counts), the plan a page shows (`?plan=`, kept in
the URL), the switcher's choices, and paging of long lists. Counts come once per state (kb.reviews.statecache)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from flask import Blueprint, request, url_for

from kb.reviews import statecache
from webapp.lookup import Snapshot, snapshot
from webapp.params import choice, page_number
from webapp.render import NotFoundWithHints, twin, url_with_query

bp = Blueprint("plans", __name__)
PAGE_SIZE = 50
LEVELS = {"国家": 0, "省": 1, "市": 2, "县": 3, "区": 3}
KINDS = {"children": "儿童发展规划", "women": "妇女发展规划"}


def plan_rows(snap: Snapshot) -> list[dict[str, Any]]:
    """Every plan with its level, region, period and item counts, in build order (once per item state)."""

    def compute() -> list[dict[str, Any]]:
        counts: dict[str, Counter] = {p["id"]: Counter() for p in snap.plans}
        for it in snap.items:
            c = counts.setdefault(it["plan"], Counter())
            c[it["kind"]] += 1
            c["indicators"] += len(it["indicators"])
            c["items"] += 1
        out = []
        for p in snap.plans:
            m, c = p["meta"], counts[p["id"]]
            period = m.get("period") or []
            out.append(
                {
                    "id": p["id"],
                    "title": p["title"],
                    "level": m.get("level") or "",
                    "region": m.get("county") or m.get("city") or m.get("province") or m.get("issuer") or "",
                    "kind": KINDS.get(m.get("kind") or "", ""),
                    "issuer": m.get("issuer", ""),
                    "published": m.get("published", ""),
                    "period": f"{period[0]}—{period[1]}年" if len(period) == 2 else "",
                    "counts": {
                        "goals": c["goal"],
                        "measures": c["measure"],
                        "indicators": c["indicators"],
                        "items": c["items"],
                    },
                    "url": url_for("reader.plan_page", plan_id=p["id"]),
                }
            )
        return out

    return statecache.cached(snap, "plan_rows", compute)


def chosen_plan(snap: Snapshot, among: list[str] | None = None, default: str | None = "") -> str | None:
    """The plan of `?plan=` (404 with the known plans when unknown or not among `among`); without it `default`
    ("": the first of `among`, or of every plan when there is only one; None: every plan)."""
    known = [p["id"] for p in snap.plans] if among is None else among
    ask = request.args.get("plan", "").strip()
    if ask:
        if ask not in known:
            titles = {p["id"]: p["title"] for p in snap.plans}
            hints = [{"label": titles.get(i, i), "url": url_with_query(request.endpoint or "", request.view_args or {},
                                                                         {**request.args.to_dict(), "plan": i})}
                     for i in known[:10]]  # fmt: skip
            raise NotFoundWithHints(f"找不到规划“{ask}”{'(或该部门在此规划中没有职责)' if among else ''}。", hints)
        return ask
    if default is None:
        return None
    if default:
        return default
    return known[0] if known and (among is not None or len(known) == 1) else None


def switcher(snap: Snapshot, current: str | None, among: list[str] | None = None, counts: dict | None = None) -> dict:
    """What the plan switcher shows: the choices (title, count on this page), the current one, the form target."""
    titles = {p["id"]: p["title"] for p in snap.plans}
    ids = [p["id"] for p in snap.plans] if among is None else among
    keep = {k: v for k, v in request.args.items() if k not in ("plan", "page")}
    return {
        "current": current,
        "title": titles.get(current or "", ""),
        "keep": keep,
        "choices": [{"id": i, "title": titles.get(i, i), "count": (counts or {}).get(i)} for i in ids],
        "all": among is None,
    }


def paged(rows: list[Any], size: int = PAGE_SIZE) -> dict[str, Any]:
    """One page of a long list (`?page=`, 1-based, beyond the end → the last page; no page number → 400): rows,
    page, pages, links."""
    page = page_number(request.args)
    pages = max(1, -(-len(rows) // size))
    page = min(page, pages)
    args = request.args.to_dict()

    def link(n: int) -> str:
        return url_with_query(request.endpoint or "", request.view_args or {}, {**args, "page": str(n)})

    return {
        "rows": rows[(page - 1) * size : page * size],
        "page": page,
        "pages": pages,
        "total": len(rows),
        "prev_url": link(page - 1) if page > 1 else "",
        "next_url": link(page + 1) if page < pages else "",
    }


@twin(bp, "/plans", "plans.html")
def plan_list() -> dict[str, Any]:
    snap = snapshot()
    rows = plan_rows(snap)
    levels = sorted({r["level"] for r in rows if r["level"]}, key=lambda v: (LEVELS.get(v, 9), v))
    level = choice(request.args, "level", {lv: lv for lv in levels}, "", "级别")
    shown = [r for r in rows if not level or r["level"] == level]
    return {
        "title": "规划列表",
        "plans": paged(shown),
        "levels": levels,
        "level": level,
        "totals": {k: sum(r["counts"][k] for r in rows) for k in ("goals", "measures", "indicators")}
        | {"plans": len(rows)},
    }
