"""Ranking a query: BM25F sums over the matching documents only, coverage, phrases and exclusions checked for all
candidates at once (kb.search.hay), facets counted from per-item arrays; dicts are made only for the rows shown."""

from __future__ import annotations

from typing import Any

import numpy as np

from kb.search.analysis import search_tokens
from kb.search.engine import Engine
from kb.search.query import ParsedQuery, build
from kb.search.ranked import Ranked, dept_lists, no_facets

CLAUSE_WEIGHT = 0.5  # a focused clause adds to its item's score, it does not replace it
KEEP_RATIO = 0.12  # items scoring below this share of the best are noise, not results
DUTY_SHARE = 0.9  # a named body's duties without the word follow its text matches below this share (co: squared)
FEW, LINK_SHARE = 4, 0.3  # below FEW direct hits, linked items follow at this share of the score
CANDIDATES = 300  # items re-scored with coverage (best upper bounds first); total and facets count these
DEPT_LEAD, DEPT_CO = (2.0, 1.5), (1.5, 1.25)  # score factor when a typed department leads / supports (full, stem)
ROLE_ASKED, ROLE_OTHER = 2.5, 1.2  # score factor when the department has the role the query asks / the other one
SPARSE = 8  # below 1/SPARSE of the documents (items), work on the matching ones only, else over all at once

__all__ = ["Ranked", "dept_lists", "no_facets", "rank"]


def _sums(docs: np.ndarray, weights: np.ndarray, n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """(distinct documents ascending, the sum of each one's weights). Both ways add a document's weights in
    posting order (bincount), so the sums are the same to the last bit; few postings are sorted, many are summed
    over every document."""
    if len(docs) * SPARSE >= n_docs:
        full = np.bincount(docs, weights=weights, minlength=n_docs)
        u = np.flatnonzero(full)
        return u, full[u]
    order = np.argsort(docs, kind="stable")
    ds = docs[order]
    new = np.empty(len(ds), dtype=bool)
    new[:1] = True
    np.not_equal(ds[1:], ds[:-1], out=new[1:])
    inverse = np.empty(len(docs), dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return ds[new], np.bincount(inverse, weights=weights)


def _matches(eng: Engine, pq: ParsedQuery, snap: Any) -> tuple[np.ndarray, np.ndarray]:
    """(rows, score) of the items the query matches, rows ascending: BM25F of the item plus its best clause for
    words, department-only or filter-only scores otherwise."""
    ix, n = eng.ix, eng.ix.n_items
    if pq.concepts:
        terms = build(pq, lambda f, t: ix.df(f, t) / max(1, ix.n_docs))
        docs, weights = [], []
        found = ix.postings_of(list(terms))
        for key, boost in terms.items():
            p = found.get(key)
            if p is not None:
                docs.append(p[0])
                weights.append(p[1] * np.float32(boost))
        if not docs:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        d, w = np.concatenate(docs), np.concatenate(weights)
        if eng.by_position and len(d) * SPARSE >= ix.n_docs:
            return _dense(eng, d, w)
        u, acc = _sums(d, w, ix.n_docs)
        hit = acc > 0
        u, acc = u[hit], acc[hit]
        is_item = u < n
        item_rows, item_score = u[is_item].astype(np.int64), acc[is_item]
        clause_score = acc[~is_item]
        owner = eng.clause_owner[u[~is_item] - n]  # ascending, as the clauses are numbered item by item
        first = np.flatnonzero(np.diff(owner, prepend=-1)) if len(owner) else np.zeros(0, dtype=np.int64)
        best_rows = owner[first].astype(np.int64)
        best = np.maximum.reduceat(clause_score, first) if len(first) else np.zeros(0)
        if (len(item_rows) + len(best_rows)) * SPARSE < n:
            rows = np.union1d(item_rows, best_rows)
            item_part, clause_part = np.zeros(len(rows)), np.zeros(len(rows))
            item_part[np.searchsorted(rows, item_rows)] = item_score
            clause_part[np.searchsorted(rows, best_rows)] = best
            return rows, item_part + CLAUSE_WEIGHT * clause_part
        item_part, clause_part = np.zeros(n), np.zeros(n)
        item_part[item_rows] = item_score
        clause_part[best_rows] = best
        rows = np.flatnonzero((item_part > 0) | (clause_part > 0))
        return rows, item_part[rows] + CLAUSE_WEIGHT * clause_part[rows]
    if pq.depts:  # lead counts 2 + 1 as a member; the 1 stands for "is an item"
        matched = np.zeros(n, dtype=bool)
        masks = [eng.dept_masks(canon, snap) for canon, _, _ in pq.depts]
        for member, lead in masks:
            # 市卫健委牵头 alone: only the items it leads (配合: only those it supports)
            matched |= member if not pq.role else lead if pq.role == "lead" else member & ~lead
        rows = np.flatnonzero(matched)
        score = np.ones(len(rows))
        for member, lead in masks:
            score += member[rows] + 2.0 * lead[rows]
        return rows, score
    return np.arange(n), np.ones(n)


def _dense(eng: Engine, docs: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """_matches for postings covering much of the index (a common word at 1000×): the sums over every document
    at once (the same bincount as _sums), items and their best clauses read off by position (documents are the
    items, then their clauses in item order) instead of gathering the matched documents. A clause summing to ≤ 0
    is no match, as there; the scores are the same to the last bit."""
    n = eng.ix.n_items
    full = np.bincount(docs, weights=weights, minlength=eng.ix.n_docs)
    item = full[:n]
    item_part = np.where(item > 0, item, 0.0)
    clause_part = np.zeros(n)
    if len(eng.clause_first):
        clause_part[eng.with_clauses] = np.maximum.reduceat(full[n:], eng.clause_first)
        np.maximum(clause_part, 0.0, out=clause_part)
    rows = np.flatnonzero((item_part > 0) | (clause_part > 0))
    return rows, item_part[rows] + CLAUSE_WEIGHT * clause_part[rows]


def _candidates(
    eng: Engine, pq: ParsedQuery, mask: np.ndarray | None, want: int, snap: Any
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, upper bound) of the best-scoring matches before coverage, best first (ties by row)."""
    rows, base = _matches(eng, pq, snap)
    factor = eng.kind_prior[rows]
    for canon, _, stem in pq.depts:
        member, lead = (m[rows] for m in eng.dept_masks(canon, snap))
        if pq.role:  # 教育局牵头 …: the asked role counts most, the other role a little
            asked = lead if pq.role == "lead" else member & ~lead
            factor *= np.where(asked, ROLE_ASKED, np.where(member, ROLE_OTHER, 1.0))
        else:
            factor *= np.where(lead, DEPT_LEAD[stem], np.where(member, DEPT_CO[stem], 1.0))
    upper = base * factor  # coverage only lowers a score (its factor is at most 1)
    ok = upper > 0
    if mask is not None:
        ok &= mask[rows]
    cand, upper = rows[ok], upper[ok]
    keep = max(CANDIDATES, want * 3)
    if len(cand) > keep:
        top = np.argpartition(-upper, keep - 1)[:keep]
        cand, upper = cand[top], upper[top]
    order = np.lexsort((cand, -upper))
    return cand[order], upper[order]


def rank(eng: Engine, pq: ParsedQuery, mask: np.ndarray | None, want: int, snap: Any = None) -> Ranked:
    """Score items, take the best upper bounds, apply coverage, phrases and exclusions, keep the good ones
    (`snap`: the reviewed snapshot the search reads, kb.reviews.snapshot.current() when not given)."""
    if snap is None:
        from kb.reviews import snapshot

        snap = snapshot.current()
    reviewed = eng.reviewed_departments(snap)
    cand, upper = _candidates(eng, pq, mask, want, snap)
    hay = eng.ix.hays(cand)
    keep = np.ones(len(cand), dtype=bool)
    phrases = [c.word for c in pq.concepts if c.phrase]
    if phrases:
        joined = eng.ix.hays(cand, drop_spaces=True)
        for p in phrases:
            keep &= joined.contains(p)
    allowed = _without_excluded(hay, pq, len(cand))
    parts = [
        [] if c.phrase else [t for t, _, _ in search_tokens(c.word) if len(t) > 1] or [c.word] for c in pq.concepts
    ]
    total = np.zeros(len(cand))
    whole = np.zeros(len(cand), dtype=np.int64)
    compounds: list[tuple[str, np.ndarray]] = []  # (word, held whole per candidate) of words with parts
    for c, ps in zip(pq.concepts, parts, strict=True):
        found = hay.any_of(c.strings)
        if c.never:  # a negative rule: matched only through a word kept apart from it (留守老人 for 留守儿童)
            keep &= found | ~hay.any_of(c.never)
        # coverage: a whole form counts 1, scattered sub-words up to 0.6 (summed in the concepts' order)
        if ps:
            total += np.where(found, 1.0, 0.6 * hay.count_of(ps) / len(ps))
        else:
            total += np.where(found, 1.0, 0.0)
        if c.phrase or any(p != c.word for p in ps):  # a compound word found whole, not only through its parts
            whole += found
            compounds.append((c.word, found))
    for j in pq.joined:
        whole += hay.contains(j)
    cov = total / len(pq.concepts) if pq.concepts else np.ones(len(cand))
    score = upper * (0.15 + 0.85 * cov * cov)
    # What counts as a match is judged before -词 takes items away: an exclusion never promotes the weak
    # matches left over (近视 -学生 kept items matching only 视力 of the synonym 视力不良)
    best = float(score[keep].max()) if keep.any() else 0.0
    keep &= allowed
    cand, score, cov, whole = cand[keep], score[keep], cov[keep], whole[keep]
    compounds = [(w, found[keep]) for w, found in compounds]
    # The exact words (or a synonym's whole form) first: an item holding a compound query word whole outranks one
    # that only shares its parts (性教育 before 教育, 电子烟 before 电子…烟花); then BM25F with coverage.
    order = np.lexsort((cand, -score, -whole))
    if len(order) and pq.concepts:
        units = sum(c.phrase or any(p != c.word for p in ps) for c, ps in zip(pq.concepts, parts, strict=True))
        units += len(pq.joined)
        floor = best * KEEP_RATIO
        order = order[(score[order] >= floor) | ((units > 0) & (whole[order] == units))]
    out = Ranked(eng, cand, score, cov, whole, np.full(len(cand), -1), reviewed).take(order)
    if len(order):  # 课后服务: no item holds it, the hits share only 服务
        out.partial = [w for w, found in compounds if not found[order].any()]
    named = _named_only(pq)
    if named and len(out):
        # 民政 / 公安 typed alone: the word's few text matches, then every other duty of the body
        out = _with_duties(eng, out, pq, named, mask, snap)
    elif pq.concepts and 0 < len(out) < FEW and mask is None and not pq.excluded:
        # related items would bring back what -词 excluded (近视 -学生 showed items without 近视, some with 学生)
        out = _with_linked(eng, out)
    return out


def _without_excluded(hay: Any, pq: ParsedQuery, n: int) -> np.ndarray:
    """Which of n items' texts hold none of the query's -词 (the one test for the matches and the added duties)."""
    allowed = np.ones(n, dtype=bool)
    for x in pq.excluded:
        if x:
            allowed &= ~hay.contains(x)
    return allowed


def _named_only(pq: ParsedQuery) -> list[str]:
    """The departments a query names when it is nothing but department short names that are plan words too (民政,
    公安: kept as words to find by kb.search.query.refine, since alone the word is both), else []."""
    stems = {typed: canon for canon, typed, stem in pq.depts if stem}
    if not stems or not pq.concepts or pq.joined or any(c.word not in stems for c in pq.concepts):
        return []
    return list(dict.fromkeys(stems[c.word] for c in pq.concepts))


def _with_duties(eng: Engine, ranked: Ranked, pq: ParsedQuery, names: list[str], mask, snap: Any) -> Ranked:
    """The named bodies' other duties (kb.duties, in the reviewed state: Engine.dept_masks) after the text matches:
    the items they lead, then those they support, each in plan order, scored below every direct hit; filters,
    the asked role and -词 apply to them as to the matches."""
    n = eng.ix.n_items
    lead_any, member_any = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for name in names:
        member, lead = eng.dept_masks(name, snap)
        member_any |= member
        lead_any |= lead
    wanted = member_any if not pq.role else lead_any if pq.role == "lead" else member_any & ~lead_any
    if mask is not None:
        wanted = wanted & mask
    wanted[ranked.rows] = False
    rows = np.flatnonzero(wanted)
    if len(rows) and pq.excluded:
        rows = rows[_without_excluded(eng.ix.hays(rows), pq, len(rows))]
    if not len(rows):
        return ranked
    rows = rows[np.lexsort((rows, ~lead_any[rows]))]  # lead first, each in plan order (stable by row)
    low = float(ranked.score.min())
    score = np.where(lead_any[rows], low * DUTY_SHARE, low * DUTY_SHARE * DUTY_SHARE)
    k = len(rows)
    return Ranked(
        eng,
        np.concatenate([ranked.rows, rows.astype(ranked.rows.dtype)]),
        np.concatenate([ranked.score, score]),
        np.concatenate([ranked.coverage, np.zeros(k)]),
        np.concatenate([ranked.whole, np.zeros(k, dtype=ranked.whole.dtype)]),
        np.concatenate([ranked.via, np.full(k, -1, dtype=ranked.via.dtype)]),
        ranked.reviewed,
        ranked.partial,
    )


def _with_linked(eng: Engine, ranked: Ranked) -> Ranked:
    """When a query finds only a few items (a fragment such as 托位 names one goal's indicator), the measures that
    serve those goals and the goals they serve follow them, scored below every direct hit."""
    have = set(ranked.rows.tolist())
    low = float(ranked.score.min())
    extra: list[tuple[float, int, int]] = []  # (score, row, via row)
    for row, score in zip(ranked.rows.tolist(), ranked.score.tolist(), strict=True):
        for j in eng.linked().get(row, []):
            if j not in have:
                have.add(j)
                extra.append((min(low * 0.99, score * LINK_SHARE), j, row))
    if not extra:
        return ranked
    extra.sort(key=lambda x: (-x[0], x[1]))
    k = len(extra)
    return Ranked(
        eng,
        np.concatenate([ranked.rows, np.array([r for _, r, _ in extra], dtype=np.int64)]),
        np.concatenate([ranked.score, np.array([s for s, _, _ in extra])]),
        np.concatenate([ranked.coverage, np.zeros(k)]),
        np.concatenate([ranked.whole, np.zeros(k, dtype=np.int64)]),
        np.concatenate([ranked.via, np.array([v for _, _, v in extra], dtype=np.int64)]),
        ranked.reviewed,
        ranked.partial,
    )
