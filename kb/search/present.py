"""Search payload parts: result rows (snippet, match, why), the "who" answer card and how a query was read."""

from __future__ import annotations

from typing import Any

import numpy as np

from kb.duties import item_duties
from kb.search import results as R
from kb.search.engine import Engine
from kb.search.query import ParsedQuery
from kb.search.ranking import Ranked

MATCH_TERMS = 8  # matched strings passed on to the item page for highlighting
ANSWER_KINDS, ANSWER_ITEMS, ANSWER_SHARE = ("goal", "measure"), 5, 0.3  # the answer card: kinds, size, score floor


def _answer(eng: Engine, pq: ParsedQuery, ranked: Ranked, applied: dict, snap: Any) -> dict[str, Any] | None:
    """A "who" question's answer card: the best-matching goals and measures with their lead and co departments."""
    kinds = [eng.ix.kinds.index(k) for k in ANSWER_KINDS if k in eng.ix.kinds]
    best = ranked.score[0]
    chosen = np.isin(eng.ix.arr["kind"][ranked.rows], kinds) & (ranked.score >= ANSWER_SHARE * best)
    top = [ranked[int(k)] for k in np.flatnonzero(chosen)[:ANSWER_ITEMS]]
    rows = _present(eng, pq, top, applied, snap)
    if not rows:
        return None
    items = [
        {
            "id": r["id"],
            "kind": r["kind"],
            "domain": r["domain"],
            "number": r["number"],
            "title": r["title"],
            **{
                role: [{"name": d["name"], "source": d.get("source")} for d in r["departments"] if d["role"] == role]
                for role in ("lead", "co")
            },
        }
        for r in rows
    ]
    leads = list(dict.fromkeys(d["name"] for it in items for d in it["lead"]))
    return {"question": "who", "role": pq.role or "lead", "lead": leads, "items": items}


def _understood(pq: ParsedQuery) -> dict[str, Any]:
    """How the query was read: words with their synonym forms, departments, phrases and exclusions."""
    return {
        "terms": [{"word": c.word, "forms": c.strings, "phrase": c.phrase} for c in pq.concepts],
        "departments": [{"name": d, "typed": t} for d, t, _ in pq.depts],
        "excluded": pq.excluded,
    }


def _present(eng: Engine, pq: ParsedQuery, page: list[dict], applied: dict, snap: Any) -> list[dict[str, Any]]:
    """Result rows from the per-build item cache with reviews applied now (so they show at once), snippet, why."""
    if not page:
        return []
    base = eng.base_items([e["id"] for e in page])
    reviewed = snap.changed  # the reviewed state, kept per change (not resolved per search)
    items = {e["id"]: reviewed.get(e["id"]) or {**base[e["id"]], "notes": []} for e in page if e["id"] in base}
    goal_ids = sorted({g for it in items.values() for g in it["serves"]})
    goals = eng.base_items(goal_ids) if goal_ids else {}
    terms, fallback = R.highlight_terms(pq), R.fallback_terms(pq)
    rows = []
    for e in page:
        it = items.get(e["id"])
        if it is None:
            continue
        # every body with a duty (kb.duties), as the item page and the 责任清单 list them: one named only in a
        # clause (市教育局 in law-m9's 3rd sentence) shows with its 第N句, leads first
        duties = item_duties(it)
        depts = sorted(
            (
                {
                    "name": d.name,
                    "role": d.role,
                    "source": d.assignment.get("source"),
                    "confidence": d.assignment.get("confidence"),
                    "where": d.where,
                }
                for d in duties.values()
            ),
            key=lambda d: d["role"] != "lead",
        )
        duty = duties.get(applied["dept"]) if applied.get("dept") else None
        if applied.get("dept") and (duty is None or applied.get("role") not in (None, duty.role)):
            continue  # a review removed the department since the index was built
        text, spans, cid = R.passage(it, terms, fallback)
        rows.append(
            {
                "id": it["id"],
                "plan": it["plan"],
                "kind": it["kind"],
                "domain": it["domain"],
                "number": it["number"],
                "title": it["title"],
                "snippet": R.snippet_of(text, spans),
                # where the item page opens: the matched clause, with the words as published there
                "match": {"clause": cid, "terms": list(dict.fromkeys(text[s:e] for s, e in spans))[:MATCH_TERMS]},
                "departments": depts,
                "serves": it["serves"],
                "serves_detail": [
                    {"id": g, "title": goals[g]["title"], "number": goals[g]["number"], "domain": goals[g]["domain"]}
                    for g in it["serves"]
                    if g in goals
                ],
                "indicators": [i["name"] for i in it.get("indicators", [])],
                "score": round(e["score"], 4),
                "why": R.why(it, pq) if "via" not in e else ["相关:与匹配的条目关联(措施服务于目标)"],
                "related_to": e.get("via"),
            }
        )
    return rows
