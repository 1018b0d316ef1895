"""The previous scorer, item by item in Python (as it was before kb.search.ranking scored in numpy): the
reference the vectorised ranking must agree with to the last bit (tests/test_search_ranking.py)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from kb.search.analysis import search_tokens
from kb.search.engine import Engine
from kb.search.query import ParsedQuery, build
from kb.search.ranking import (
    CANDIDATES,
    CLAUSE_WEIGHT,
    DEPT_CO,
    DEPT_LEAD,
    FEW,
    KEEP_RATIO,
    LINK_SHARE,
    ROLE_ASKED,
    ROLE_OTHER,
)


def _coverage(pq: ParsedQuery, parts: list[list[str]], hay: str) -> float:
    if not pq.concepts:
        return 1.0
    total = 0.0
    for c, ps in zip(pq.concepts, parts, strict=False):
        if any(form in hay for form in c.strings):
            total += 1.0
        elif ps:
            total += 0.6 * sum(p in hay for p in ps) / len(ps)
    return total / len(pq.concepts)


def _linked_to(eng: Engine, ranked: list[dict[str, Any]]) -> list[dict[str, Any]]:
    have = {e["row"] for e in ranked}
    low = min(e["score"] for e in ranked)
    out: list[dict[str, Any]] = []
    for e in ranked:
        for j in eng.linked().get(e["row"], []):
            if j not in have:
                have.add(j)
                score = min(low * 0.99, e["score"] * LINK_SHARE)
                out.append(
                    {
                        "row": j,
                        "id": eng.ix.ids[j],
                        "score": score,
                        "coverage": 0.0,
                        "whole": 0,
                        "hay": "",
                        "via": e["id"],
                    }
                )
    out.sort(key=lambda x: (-x["score"], x["row"]))
    return out


def _kept_apart(pq: ParsedQuery, hay: str) -> bool:
    return any(c.never and not any(f in hay for f in c.strings) and any(n in hay for n in c.never) for c in pq.concepts)


def _base_scores(eng: Engine, pq: ParsedQuery) -> tuple[np.ndarray, np.ndarray]:
    ix, n = eng.ix, eng.ix.n_items
    if pq.concepts:
        terms = build(pq, lambda f, t: ix.df(f, t) / max(1, ix.n_docs))
        docs, weights = [], []
        for (f, t), boost in terms.items():
            p = ix.postings(f, t)
            if p is not None:
                docs.append(p[0])
                weights.append(p[1] * np.float32(boost))
        if not docs:
            return np.zeros(n), np.zeros(n, dtype=bool)
        acc = np.bincount(np.concatenate(docs), weights=np.concatenate(weights), minlength=ix.n_docs)
        item, clauses = acc[:n], acc[n:]
        ptr = ix.arr["clause_ptr"]
        has_clauses = ptr[1:] > ptr[:-1]
        best_clause = np.zeros(n)
        if len(clauses):
            best_clause[has_clauses] = np.maximum.reduceat(clauses, ptr[:-1][has_clauses])
        return item + CLAUSE_WEIGHT * best_clause, (item > 0) | (best_clause > 0)
    if pq.depts:
        score, matched = np.ones(n), np.zeros(n, dtype=bool)
        for canon, _, _ in pq.depts:
            member, lead = eng.dept_masks(canon)
            score += member + 2.0 * lead
            matched |= member if not pq.role else lead if pq.role == "lead" else member & ~lead
        return score, matched
    return np.ones(n), np.ones(n, dtype=bool)


def rank(eng: Engine, pq: ParsedQuery, mask: np.ndarray | None, want: int) -> list[dict[str, Any]]:
    """The ranked entries as dicts, every candidate scored in a Python loop."""
    base, matched = _base_scores(eng, pq)
    factor = eng.kind_prior.copy()
    for canon, _, stem in pq.depts:
        member, lead = eng.dept_masks(canon)
        if pq.role:
            asked = lead if pq.role == "lead" else member & ~lead
            factor *= np.where(asked, ROLE_ASKED, np.where(member, ROLE_OTHER, 1.0))
        else:
            factor *= np.where(lead, DEPT_LEAD[stem], np.where(member, DEPT_CO[stem], 1.0))
    upper = base * factor
    ok = matched if mask is None else matched & mask
    cand = np.flatnonzero(ok & (upper > 0))
    keep = max(CANDIDATES, want * 3)
    if len(cand) > keep:
        cand = cand[np.argpartition(-upper[cand], keep - 1)[:keep]]
    cand = cand[np.lexsort((cand, -upper[cand]))]
    parts = [
        [] if c.phrase else [t for t, _, _ in search_tokens(c.word) if len(t) > 1] or [c.word] for c in pq.concepts
    ]
    phrases = [c.word for c in pq.concepts if c.phrase]
    compound = [c for c, ps in zip(pq.concepts, parts, strict=True) if c.phrase or any(p != c.word for p in ps)]
    ranked = []
    for i in cand.tolist():
        hay = eng.ix.hay(i)
        if phrases and any(p not in hay.replace(" ", "") for p in phrases):
            continue
        if any(x and x in hay for x in pq.excluded):
            continue
        if _kept_apart(pq, hay):
            continue
        cov = _coverage(pq, parts, hay)
        ranked.append(
            {
                "row": i,
                "id": eng.ix.ids[i],
                "score": float(upper[i]) * (0.15 + 0.85 * cov * cov),
                "coverage": cov,
                "whole": sum(any(f in hay for f in c.strings) for c in compound) + sum(j in hay for j in pq.joined),
                "hay": hay,
            }
        )
    ranked.sort(key=lambda e: (-e["whole"], -e["score"], e["row"]))
    if ranked and pq.concepts:
        floor = max(e["score"] for e in ranked) * KEEP_RATIO
        units = len(compound) + len(pq.joined)
        ranked = [e for e in ranked if e["score"] >= floor or (units and e["whole"] == units)]
    if pq.concepts and 0 < len(ranked) < FEW and mask is None:
        ranked += _linked_to(eng, ranked)
    reviewed = eng.reviewed_departments() if ranked else {}
    for e in ranked:
        e["kind"] = eng.ix.kinds[eng.ix.arr["kind"][e["row"]]]
        e["domain_name"], e["depts"] = eng.domain_name(e["row"]), eng.item_depts(e["row"], reviewed)
    return ranked


def facets(entries: list[dict], plans: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Counts of plan, domain, kind and department over every matching item (collections.Counter); `plans`: each
    entry's plan id, in entry order."""
    plan: Counter[str] = Counter(plans or [])
    dom: Counter[str] = Counter()
    kind: Counter[str] = Counter()
    dept: Counter[str] = Counter()
    for e in entries:
        dom[e.get("domain_name") or "其他"] += 1
        kind[e["kind"]] += 1
        dept.update(e.get("depts") or [])
    return {
        "plan": dict(plan.most_common()),
        "domain": dict(dom.most_common()),
        "kind": dict(kind.most_common()),
        "department": dict(dept.most_common(30)),
    }
