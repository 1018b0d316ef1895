"""The live build's search engine: the BM25F arrays derived from its whoosh index, per-build caches, numpy ranking."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from kb import paths
from kb.duties import item_duties
from kb.search.arrays import open_index
from kb.search.query import SearchError
from kb.store.db import connect

KIND_PRIOR = {"goal": 1.0, "measure": 1.0, "implementation": 0.85, "monitoring": 0.85}
OTHER_KIND_PRIOR = 0.6  # preface, principles, overall goal: context, rarely what is looked for
ITEM_CACHE = 4096  # base (un-reviewed) items kept per build for result rows
NO_DOMAIN = "其他"
NO_INDEX = "搜索索引尚未建立,请先运行 `python -m kb build`"  # the facet of items without a (Chinese) domain heading


class Engine:
    """One build's index, opened once; per-build caches of priors, department masks and base item dicts."""

    def __init__(self, index_dir: Path, db_path: Path, ix: Any = None):
        self.index_dir, self.db_path = index_dir, db_path
        self.ix = open_index(index_dir) if ix is None else ix  # kb.search.pg gives its PostgreSQL index
        a = self.ix.arr
        self.domains = sorted(d for d in self.ix.domains if d)
        self.plans = sorted(self.ix.plans)
        self.kind_prior = np.array([KIND_PRIOR.get(k, OTHER_KIND_PRIOR) for k in self.ix.kinds] or [1.0])[a["kind"]]
        # Each item's domain facet as a code into domain_names (domain_name() for every item, once per build).
        chinese = np.array([bool(d) and not d.isascii() for d in self.ix.domains] or [False])
        self.clause_owner = np.repeat(np.arange(self.ix.n_items), np.diff(a["clause_ptr"]))  # clause → item row
        # Items with clauses and where their clauses start, for ranking by position (documents = items, then the
        # clauses in item order, when the index numbers them so).
        has = np.diff(a["clause_ptr"]) > 0
        self.with_clauses = np.flatnonzero(has)
        self.clause_first = a["clause_ptr"][:-1][has]
        self.by_position = self.ix.n_docs == self.ix.n_items + int(a["clause_ptr"][-1])
        self.dept_code = {name: k for k, name in enumerate(self.ix.depts)}
        self.domain_names = [*self.ix.domains, NO_DOMAIN]
        none = self.ix.domains.index(NO_DOMAIN) if NO_DOMAIN in self.ix.domains else len(self.ix.domains)
        self.domain_of = np.where(
            chinese[a["domain"]], a["domain"], np.where(chinese[a["domain_code"]], a["domain_code"], none)
        ).astype(np.int64)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._vocab: Any = None
        self._speller: Any = None
        self._linked: dict[int, list[int]] | None = None
        self._reviewed: tuple[Any, dict[int, dict[str, str]]] | None = None  # (snapshot key, rows)
        self._reviewed_masks: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # per department, for that key
        self.dept_facets: tuple[Any, Any] | None = None  # (rows, kb.search.ranking.dept_lists of them)
        self._dept_masks: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._items: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def kb(self):
        """A per-thread read-only store over this build's database."""
        from kb.store import KB

        kb = getattr(self._local, "kb", None)
        if kb is None:
            kb = self._local.kb = KB(connect(self.db_path, readonly=True))
        return kb

    def dept_masks(self, name: str, snap: Any = None) -> tuple[np.ndarray, np.ndarray]:
        """(member, lead) boolean arrays over items for a canonical department name, in the reviewed state (of
        `snap`, a kb.reviews.snapshot.Snapshot; the current one when not given)."""
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
        reviewed = self.reviewed_departments(snap)
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

    def reviewed_departments(self, snap: Any = None) -> dict[int, dict[str, str]]:
        """Item row → {department: role} for items with department reviews, from the reviewed snapshot `snap`
        (kb.reviews.snapshot: updated per change, so this costs the same with 10 or 10,000 reviews; a search
        reads the snapshot once and passes it on)."""
        if snap is None:
            from kb.reviews import snapshot

            snap = snapshot.current()
        key = snap.key("tags")  # the snapshot's cache rule; notes leave departments as they are
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

    def prefetch(self) -> None:
        """Fill the item cache (up to ITEM_CACHE items, in plan order) and their texts' normalised forms, and the
        per-build tables a search reads, before serving: a worker's first result rows then cost what later ones do
        (at 1× every item is held; a larger build keeps its first ITEM_CACHE and fetches the rest as asked)."""
        from kb.search.analysis import SAME_LENGTH_CACHE, same_length_norm

        ids = list(self.ix.ids[:ITEM_CACHE])
        items = self.base_items(ids)
        texts = 0
        for it in items.values():
            for text in [it.get(k) or "" for k in ("title", "text", "raw_text")] + [
                c["text"] for c in it.get("clauses") or []
            ]:
                if texts < SAME_LENGTH_CACHE:
                    same_length_norm(text)
                    texts += 1
        self.linked()
        self.ix.row(ids[0] if ids else "")

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
            from kb.search.analysis import is_word
            from kb.search.spelling import Speller

            ix = self.ix
            self._speller = Speller(ix.vocabulary(), lambda w: ix.df("text", w) + ix.df("title", w), is_word)
        return self._speller

    def vocabulary(self):
        """Did-you-mean words of this build (written by the index build), with a character index."""
        if self._vocab is None:
            from kb.search.results import Vocabulary

            self._vocab = Vocabulary(self.ix.vocabulary())
        return self._vocab


_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()
ENGINES = {"whoosh": "whoosh", "default": "whoosh", "pg": "pg", "postgresql": "pg"}  # KB_SEARCH_ENGINE values


class StaleBuild(RuntimeError):
    """The build a PostgreSQL engine read was dropped while a query ran (two newer builds were published since):
    the search is run again on the live one."""


def search_engine() -> str:
    """'whoosh' (the default: the build folder's index) or 'pg' (the index published into KB_DATABASE_URL), from
    KB_SEARCH_ENGINE; a bad value or pg without a PostgreSQL URL is a clear error."""
    name = os.environ.get("KB_SEARCH_ENGINE", "").strip().lower() or "whoosh"
    if name not in ENGINES:
        raise SearchError(f"KB_SEARCH_ENGINE 只能是 whoosh 或 pg(现为“{name}”)", status=503)
    if ENGINES[name] == "pg":
        from kb.store.engine import database_url

        if not database_url():
            raise SearchError("KB_SEARCH_ENGINE=pg 需要 KB_DATABASE_URL=postgresql://…", status=503)
    return ENGINES[name]


def engine(snap: Any = None) -> Engine:
    """The engine of the live build, re-opened when `current` points at a new build. Given the reviewed snapshot
    a search reads (kb.reviews.snapshot), the engine of that snapshot's build, without resolving paths again.
    With KB_SEARCH_ENGINE=pg, the engine of the build live in PostgreSQL (kb.search.pg)."""
    if search_engine() == "pg":
        from kb.search.pg import pg_engine
        from kb.store.engine import database_url

        return pg_engine(database_url() or "")
    db = snap.build.key[0] if snap is not None and snap.build.key else None  # the snapshot's kb.sqlite
    if isinstance(db, str) and db.endswith("kb.sqlite"):
        key = str(Path(db).parent / "index")
        eng = _engines.get(key)
        if eng is not None:
            return eng
        idx: Path | None = Path(key)
    else:
        idx = paths.index_path()
    if idx is None or not idx.exists():
        raise SearchError(NO_INDEX, status=503)
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
