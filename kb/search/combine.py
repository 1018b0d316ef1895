"""Combining per-plan parts (kb.search.parts) into the score arrays of the index they make together: every
posting's BM25F weight over the whole index's statistics, the per-item arrays for filters and facets, their code
tables."""

from __future__ import annotations

import numpy as np
from whoosh.scoring import bm25

from kb.search.parts import COLUMNS
from kb.search.schema import K1, SEARCH_FIELDS, B


class _Codes(dict):
    """String → small int, in first-seen order."""

    def code(self, s: str) -> int:
        return self.setdefault(s, len(self))


def _global_docs(parts: list) -> list[np.ndarray]:
    """Per part, engine doc number in the part → in the combined index (items of every part, then clauses)."""
    if not parts:
        return []
    n_items = np.array([len(p.ids) for p in parts], dtype=np.int64)
    n_clauses = np.array([p.n_docs for p in parts], dtype=np.int64) - n_items
    item_off = np.concatenate([[0], np.cumsum(n_items)[:-1]])
    clause_off = int(n_items.sum()) + np.concatenate([[0], np.cumsum(n_clauses)[:-1]])
    out = []
    for p, ni, io, co in zip(parts, n_items, item_off, clause_off, strict=True):
        e = np.arange(p.n_docs, dtype=np.int64)
        out.append(np.where(e < ni, io + e, co + e - ni))
    return out


# The previous build's term union per field and, per part stamp (SavedPart.stamp), its terms' numbers in that union:
# a build that keeps most plans reads only the new plans' term lists (kb.search.arrays saves and loads it).
Known = tuple[dict[str, list[str]], dict[str, dict[str, np.ndarray]]]


def _term_ids(parts: list, known: Known | None = None) -> tuple[dict[str, list[str]], list[dict[str, np.ndarray]]]:
    """Per field the sorted union of the parts' term lists (whoosh's order: code points), and per part and field
    its terms' numbers in that union; two passes over the parts, so only one part's term lists are held at once.
    Parts known from the previous build are numbered from its union (which may hold terms of plans since removed:
    combine() drops the terms no part has)."""
    prev_union, prev_ids = known or ({}, {})
    stamps = [getattr(p, "stamp", lambda: None)() for p in parts]
    old = [prev_ids.get(s) if s else None for s in stamps]
    if len(parts) == 1 and old[0] is None:
        terms = parts[0].terms()
        return terms, [{f: np.arange(len(t), dtype=np.int64) for f, t in terms.items()}]
    reuse = any(o is not None for o in old)
    seen: dict[str, set[str]] = {f: set(prev_union.get(f, ())) if reuse else set() for f in SEARCH_FIELDS}
    for p, o in zip(parts, old, strict=True):
        if o is None:
            for f, t in p.terms().items():
                seen[f].update(t)
    union = {f: sorted(t) for f, t in seen.items()}
    del seen
    pos = {f: {t: i for i, t in enumerate(u)} for f, u in union.items()}
    remap = {f: _numbers(pos[f], prev_union.get(f, []) if reuse else []) for f in SEARCH_FIELDS}
    ids = []
    for p, o in zip(parts, old, strict=True):
        if o is None:
            ids.append({f: _numbers(pos[f], t) for f, t in p.terms().items()})
        else:
            ids.append({f: remap[f][o[f]] for f in SEARCH_FIELDS})
    return union, ids


def _numbers(pos: dict[str, int], terms: list[str]) -> np.ndarray:
    return np.fromiter(map(pos.__getitem__, terms), dtype=np.int64, count=len(terms))


def _drop_unused(union: dict, ids: list, counts: dict, dfs: dict) -> None:
    """Remove, in place, the union's terms no part has (terms of plans gone since the previous build)."""
    for f in SEARCH_FIELDS:
        keep = counts[f] > 0
        if keep.all():
            continue
        new = np.cumsum(keep) - 1
        union[f] = [t for t, k in zip(union[f], keep.tolist(), strict=True) if k]
        counts[f], dfs[f] = counts[f][keep], dfs[f][keep]
        for i in ids:
            i[f] = new[i[f]]


def combine(parts: list, known: Known | None = None) -> dict:
    """The arrays of the index the parts (kb.search.parts: Part or SavedPart) make in this order (their segments
    read as one whoosh index): every posting's BM25F score (whoosh's bm25 over its weight, quantised field length,
    idf and average length over the whole index), postings in whoosh's term and document order, items numbered
    before clauses. No sort: a term's postings are its parts' postings in part order, so each part's postings are
    scored and placed straight into the output, one part and field at a time (memory: the output and one part).
    known: the previous build's term numbering (_term_ids); the result's "term_ids" is this one's, per part stamp."""
    n = sum(p.n_docs for p in parts)
    to_global = _global_docs(parts)
    union, ids = _term_ids(parts, known)
    counts = {f: np.zeros(len(union[f]), dtype=np.int64) for f in SEARCH_FIELDS}
    dfs = {f: np.zeros(len(union[f]), dtype=np.int64) for f in SEARCH_FIELDS}
    totals = dict.fromkeys(SEARCH_FIELDS, 0)
    for p, i in zip(parts, ids, strict=True):
        got = p.term_counts()
        for f in SEARCH_FIELDS:
            df, count = got[f]
            dfs[f][i[f]] += df  # a part lists each term once: no repeated index
            counts[f][i[f]] += count
            totals[f] += p.totals()[f]
    if known:
        _drop_unused(union, ids, counts, dfs)
    starts, terms, at = {}, {}, 0
    for f in SEARCH_FIELDS:
        ends = at + np.cumsum(counts[f])
        starts[f] = ends - counts[f]
        terms[f] = {
            t: [int(e - c), int(e)] for t, e, c in zip(union[f], ends.tolist(), counts[f].tolist(), strict=True)
        }
        at = int(ends[-1]) if len(ends) else at
    idf = {f: np.log(n / (dfs[f].astype(np.float64) + 1)) + 1 for f in SEARCH_FIELDS}  # whoosh's WeightingModel.idf
    avgfl = {f: totals[f] / (n or 1) or 1 for f in SEARCH_FIELDS}  # whoosh's Searcher.avg_field_length
    docs_out = np.empty(at, dtype=np.int32)
    weights_out = np.empty(at, dtype=np.float32)
    for p, i, to_g in zip(parts, ids, to_global, strict=True):
        got = p.postings()
        for f in SEARCH_FIELDS:
            _df, count, docs, tf, fl = got[f]
            g = i[f]
            first = np.cumsum(count) - count  # each term's first posting in the part
            dest = np.repeat(starts[f][g] - first, count) + np.arange(len(docs))
            starts[f][g] += count  # the next part's postings of these terms follow
            docs_out[dest] = to_g[docs]
            weights_out[dest] = bm25(np.repeat(idf[f][g], count), tf, fl.astype(np.float64), avgfl[f], B, K1)
    stamps = [getattr(p, "stamp", lambda: None)() for p in parts]
    now = (union, {s: i for s, i in zip(stamps, ids, strict=True) if s})
    return {"n_docs": n, "docs": docs_out, "weights": weights_out, "terms": terms, "term_ids": now, **_items(parts)}


def _union(lists: list[list[str]]) -> tuple[list[str], list[np.ndarray]]:
    """The sorted union of sorted string lists and each list's numbers in it."""
    union = sorted(set().union(*lists))
    pos = {t: i for i, t in enumerate(union)}
    return union, [np.fromiter(map(pos.__getitem__, x), dtype=np.int64, count=len(x)) for x in lists]


def _items(parts: list) -> dict:
    """Per-item arrays for filters, priors and facets, and their code tables."""
    ids = [i for p in parts for i in p.ids]
    clause_count = np.concatenate([p.clause_count for p in parts] + [np.zeros(0, "i8")])
    clause_ptr = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(clause_count, out=clause_ptr[1:])
    depts, dept_ids = _union([p.depts for p in parts])
    item_off = np.cumsum([0] + [len(p.ids) for p in parts])
    member = np.concatenate(
        [
            np.stack([p.member[:, 0] + off, d[p.member[:, 1]], p.member[:, 2]], axis=1)
            for p, d, off in zip(parts, dept_ids, item_off, strict=False)
        ]
        + [np.zeros((0, 3), "i8")]
    )
    member = member[np.lexsort((member[:, 2], member[:, 1], member[:, 0]))]
    dept_ptr = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(member[:, 0], minlength=len(ids)), out=dept_ptr[1:])
    col = {k: [v for p in parts for v in p.columns[k]] for k in COLUMNS}
    plans, kinds, domains = _Codes(), _Codes(), _Codes()
    arrays = dict(
        clause_ptr=clause_ptr,
        plan=np.array([plans.code(v) for v in col["plan"]], dtype=np.int32),
        kind=np.array([kinds.code(v) for v in col["kind"]], dtype=np.int16),
        domain=np.array([domains.code(v) for v in col["domain"]], dtype=np.int32),
        domain_code=np.array([domains.code(v) for v in col["domain_code"]], dtype=np.int32),
        has_ind=np.concatenate([p.has_ind for p in parts] + [np.zeros(0, bool)]),
        dept_ptr=dept_ptr,
        dept_ids=member[:, 1].astype(np.int32),
        dept_lead=member[:, 2].astype(bool),
    )
    return {
        "ids": ids,
        "arrays": arrays,
        "plans": list(plans),
        "kinds": list(kinds),
        "domains": list(domains),
        "depts": depts,
    }
