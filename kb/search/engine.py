"""The live build's search engine: the BM25F arrays derived from its whoosh index, per-build caches, numpy ranking."""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from kb import paths
from kb.duties import item_duties
from kb.search.analysis import search_tokens
from kb.search.arrays import open_index
from kb.search.query import ParsedQuery, SearchError, build
from kb.store.db import connect

CLAUSE_WEIGHT = 0.5  # a focused clause adds to its item's score, it does not replace it
KIND_PRIOR = {"goal": 1.0, "measure": 1.0, "implementation": 0.85, "monitoring": 0.85}
OTHER_KIND_PRIOR = 0.6  # preface, principles, overall goal: context, rarely what is looked for
KEEP_RATIO = 0.12  # items scoring below this share of the best are noise, not results
FEW, LINK_SHARE = 4, 0.3  # below FEW direct hits, linked items follow at this share of the score
CANDIDATES = 300  # items re-scored with coverage (best upper bounds first); total and facets count these
ITEM_CACHE = 4096  # base (un-reviewed) items kept per build for result rows
DEPT_LEAD, DEPT_CO = (2.0, 1.5), (1.5, 1.25)  # score factor when a typed department leads / supports (full, stem)
ROLE_ASKED, ROLE_OTHER = 2.5, 1.2  # score factor when the department has the role the query asks / the other one


class Engine:
    """One build's index, opened once; per-build caches of priors, department masks and base item dicts."""

    def __init__(self, index_dir: Path, db_path: Path):
        self.index_dir, self.db_path = index_dir, db_path
        self.ix = open_index(index_dir)
        a = self.ix.arr
        self.domains = sorted(d for d in self.ix.domains if d)
        self.plans = sorted(self.ix.plans)
        self.kind_prior = np.array([KIND_PRIOR.get(k, OTHER_KIND_PRIOR) for k in self.ix.kinds] or [1.0])[a["kind"]]
        self.clause_starts = a["clause_ptr"][:-1][a["clause_ptr"][1:] > a["clause_ptr"][:-1]]
        self.has_clauses = a["clause_ptr"][1:] > a["clause_ptr"][:-1]
        self._local = threading.local()
        self._lock = threading.Lock()
        self._vocab: Any = None
        self._speller: Any = None
        self._linked: dict[int, list[int]] | None = None
        self._reviewed: tuple[Any, dict[int, dict[str, str]]] | None = None  # (snapshot key, rows)
        self._reviewed_masks: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # per department, for that key
        self._dept_masks: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def kb(self):
        """A per-thread read-only store over this build's database."""
        from kb.store import KB

        kb = getattr(self._local, "kb", None)
        if kb is None:
            kb = self._local.kb = KB(connect(self.db_path, readonly=True))
        return kb

    def dept_masks(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(member, lead) boolean arrays over items for a canonical department name, in the reviewed state."""
        masks = self._dept_masks.get(name)
        if masks is None:
            a, n = self.ix.arr, self.ix.n_items
            member, lead = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
            if name in self.ix.depts:
                entries = np.flatnonzero(a["dept_ids"] == self.ix.depts.index(name))
                rows = np.searchsorted(a["dept_ptr"], entries, side="right") - 1
                member[rows] = True
                lead[rows[a["dept_lead"][entries]]] = True
            masks = self._dept_masks[name] = (member, lead)
        reviewed = self.reviewed_departments()
        if not reviewed:
            return masks
        done = self._reviewed_masks.get(name)
        if done is not None:
            return done
        member, lead = masks[0].copy(), masks[1].copy()
        for row, roles in reviewed.items():  # the items reviewers changed override the index
            member[row], lead[row] = name in roles, roles.get(name) == "lead"
        self._reviewed_masks[name] = (member, lead)
        return member, lead

    def reviewed_departments(self) -> dict[int, dict[str, str]]:
        """Item row → {department: role} for items with department reviews, from the reviewed snapshot
        (kb.reviews.snapshot: updated per change, so this costs the same with 10 or 10,000 reviews)."""
        from kb.reviews import snapshot

        snap = snapshot.current()
        key = (id(snap.build), snap.tags_version, snap.degraded == "")  # notes leave departments as they are
        cached = self._reviewed
        if cached is not None and cached[0] == key:
            return cached[1]
        out = {}
        for iid in snap.dept_reviewed:
            row = self.ix.row(iid)
            if row is not None:
                out[row] = {name: duty.role for name, duty in item_duties(snap.by_id[iid]).items()}
        self._reviewed = (key, out)
        self._reviewed_masks = {}
        return out

    def item_depts(self, i: int, reviewed: dict[int, dict[str, str]] | None = None) -> list[str]:
        """The item's departments for facets; `reviewed` (from reviewed_departments) overrides the index."""
        if reviewed and i in reviewed:
            return list(reviewed[i])
        a = self.ix.arr
        return [self.ix.depts[d] for d in a["dept_ids"][a["dept_ptr"][i] : a["dept_ptr"][i + 1]]]

    def domain_name(self, i: int) -> str | None:
        """The item's domain heading (the non-ASCII one of heading and code)."""
        a = self.ix.arr
        for code in (a["domain"][i], a["domain_code"][i]):
            d = self.ix.domains[code]
            if d and not d.isascii():
                return d
        return None

    def base_items(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Export-shaped items without reviews applied, from the per-build cache (missing ones fetched in bulk)."""
        with self._lock:
            out = {i: self._items[i] for i in ids if i in self._items}
        missing = [i for i in ids if i not in out]
        if missing:
            kb = self.kb()
            fetched = {it["id"]: it for it in kb.items_as_dicts(kb.item_rows(ids=missing))}
            with self._lock:
                for iid, it in fetched.items():
                    self._items[iid] = it
                while len(self._items) > ITEM_CACHE:
                    self._items.popitem(last=False)
            out.update(fetched)
        return out

    def linked(self) -> dict[int, list[int]]:
        """Item row → rows of the items it is linked to (a measure and the goals it serves, both ways), per build."""
        if self._linked is None:
            out: dict[int, list[int]] = {}
            for measure, goal in self.kb().conn.execute("SELECT measure, goal FROM links ORDER BY rank"):
                m, g = self.ix.row(measure), self.ix.row(goal)
                if m is not None and g is not None:
                    out.setdefault(m, []).append(g)
                    out.setdefault(g, []).append(m)
            self._linked = out
        return self._linked

    def speller(self):
        """Typo candidates over this build's words, ranked by document frequency (built once per build)."""
        if self._speller is None:
            from kb.search.spelling import Speller

            ix = self.ix
            self._speller = Speller(ix.vocabulary(), lambda w: ix.df("text", w) + ix.df("title", w))
        return self._speller

    def vocabulary(self):
        """Did-you-mean words of this build (written by the index build), with a character index."""
        if self._vocab is None:
            from kb.search.results import Vocabulary

            self._vocab = Vocabulary(self.ix.vocabulary())
        return self._vocab


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def engine() -> Engine:
    """The engine of the live build, re-opened when `current` points at a new build."""
    idx = paths.index_path()
    if idx is None or not idx.exists():
        raise SearchError("搜索索引尚未建立,请先运行 `python -m kb build`", status=503)
    key = str(idx)
    eng = _engines.get(key)
    if eng is None:
        with _engines_lock:
            eng = _engines.get(key)
            if eng is None:
                eng = Engine(idx, idx.parent / "kb.sqlite")
                _engines.clear()  # the old build's engine goes; its open files stay valid until collected
                _engines[key] = eng
    return eng


def _coverage(pq: ParsedQuery, parts: list[list[str]], hay: str) -> float:
    """Share of the query's concepts found in an item: a whole form counts 1, scattered sub-words up to 0.6."""
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
    """When a query finds only a few items (a fragment such as 托位 names one goal's indicator), the measures that
    serve those goals and the goals they serve follow them, scored below every direct hit."""
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
    """True when a concept matches the item only through a word a negative rule keeps apart from it (留守儿童 is
    not found by an item about 留守老人 alone)."""
    return any(c.never and not any(f in hay for f in c.strings) and any(n in hay for n in c.never) for c in pq.concepts)


def _base_scores(eng: Engine, pq: ParsedQuery) -> tuple[np.ndarray, np.ndarray]:
    """(score, matched) per item: BM25F of the item plus its best clause, or department/filter-only scores."""
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
        best_clause = np.zeros(n)
        if len(clauses):
            best_clause[eng.has_clauses] = np.maximum.reduceat(clauses, eng.clause_starts)
        return item + CLAUSE_WEIGHT * best_clause, (item > 0) | (best_clause > 0)
    if pq.depts:  # lead counts 2 + 1 as a member; the 1 stands for "is an item"
        score, matched = np.ones(n), np.zeros(n, dtype=bool)
        for canon, _, _ in pq.depts:
            member, lead = eng.dept_masks(canon)
            score += member + 2.0 * lead
            # 市卫健委牵头 alone: only the items it leads (配合: only those it supports)
            matched |= member if not pq.role else lead if pq.role == "lead" else member & ~lead
        return score, matched
    return np.ones(n), np.ones(n, dtype=bool)


def rank(eng: Engine, pq: ParsedQuery, mask: np.ndarray | None, want: int) -> list[dict[str, Any]]:
    """Score items, take the best upper bounds, apply coverage, phrases and exclusions, keep the good ones."""
    base, matched = _base_scores(eng, pq)
    factor = eng.kind_prior.copy()
    for canon, _, stem in pq.depts:
        member, lead = eng.dept_masks(canon)
        if pq.role:  # 教育局牵头 …: the asked role counts most, the other role a little
            asked = lead if pq.role == "lead" else member & ~lead
            factor *= np.where(asked, ROLE_ASKED, np.where(member, ROLE_OTHER, 1.0))
        else:
            factor *= np.where(lead, DEPT_LEAD[stem], np.where(member, DEPT_CO[stem], 1.0))
    upper = base * factor  # coverage only lowers a score (its factor is at most 1)
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
                # compound words found whole (or as a synonym's whole form), not only through their parts
                "whole": sum(any(f in hay for f in c.strings) for c in compound) + sum(j in hay for j in pq.joined),
                "hay": hay,
            }
        )
    # The exact words (or a synonym's whole form) first: an item holding a compound query word whole outranks one
    # that only shares its parts (性教育 before 教育, 电子烟 before 电子…烟花); then BM25F with coverage.
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
