"""Search score arrays: the BM25F score of every posting, derived from the whoosh index through its reader (on a
build's first search, then kept in the index folder), with per-item arrays for filters and facets, which the
engine sums in one numpy pass per query."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
from whoosh import index as windex
from whoosh.scoring import BM25F, bm25

from kb.search.analysis import normalise
from kb.search.hay import Hay
from kb.search.parts import COLUMNS, extract
from kb.search.schema import INDEX_NAME, K1, SEARCH_FIELDS, B, whoosh_index

FORMAT = 3  # bump when the derived files below change meaning
DERIVED = "derived"  # sub-folder of the index folder holding the arrays derived from the whoosh index


class _Codes(dict):
    """String → small int, in first-seen order."""

    def code(self, s: str) -> int:
        return self.setdefault(s, len(self))


def derive(searcher, out: Path) -> None:
    """Write the engine's arrays from a whoosh index read through its searcher."""
    write(combine([extract(searcher.reader())]), out)


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


def _term_ids(parts: list) -> tuple[dict[str, list[str]], list[dict[str, np.ndarray]]]:
    """Per field the sorted union of the parts' term lists (whoosh's order: code points), and per part and field
    its terms' numbers in that union; two passes over the parts, so only one part's term lists are held at once."""
    if len(parts) == 1:
        terms = parts[0].terms()
        return terms, [{f: np.arange(len(t), dtype=np.int64) for f, t in terms.items()}]
    seen: dict[str, set[str]] = {f: set() for f in SEARCH_FIELDS}
    for p in parts:
        for f, t in p.terms().items():
            seen[f].update(t)
    union = {f: sorted(t) for f, t in seen.items()}
    del seen
    pos = {f: {t: i for i, t in enumerate(u)} for f, u in union.items()}
    ids = []
    for p in parts:
        ids.append(
            {f: np.fromiter(map(pos[f].__getitem__, t), dtype=np.int64, count=len(t)) for f, t in p.terms().items()}
        )
    return union, ids


def combine(parts: list) -> dict:
    """The arrays of the index the parts (kb.search.parts: Part or SavedPart) make in this order (their segments
    read as one whoosh index): every posting's BM25F score (whoosh's bm25 over its weight, quantised field length,
    idf and average length over the whole index), postings in whoosh's term and document order, items numbered
    before clauses. No sort: a term's postings are its parts' postings in part order, so each part's postings are
    scored and placed straight into the output, one part and field at a time (memory: the output and one part)."""
    n = sum(p.n_docs for p in parts)
    to_global = _global_docs(parts)
    union, ids = _term_ids(parts)
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
    return {"n_docs": n, "docs": docs_out, "weights": weights_out, "terms": terms, **_items(parts)}


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


def write_derived(index_dir: Path, parts: list) -> None:
    """The derived folder of an index being written (not yet live) from its parts."""
    out = Path(index_dir) / DERIVED
    out.mkdir()
    write(combine(parts), out)


def write(c: dict, out: Path) -> None:
    """Write combined arrays (combine()) into a derived folder."""
    np.save(out / "post_docs.npy", c["docs"])
    np.save(out / "post_weights.npy", c["weights"])
    np.savez(out / "items.npz", **c["arrays"])
    meta = {
        "format": FORMAT,
        "n_items": len(c["ids"]),
        "n_docs": c["n_docs"],
        "ids": c["ids"],
        "plans": c["plans"],
        "kinds": c["kinds"],
        "domains": c["domains"],
        "depts": c["depts"],
        "terms": c["terms"],
    }
    (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    vocab = [t for f in ("title", "text", "indicators") for t in c["terms"][f]]
    (out / "vocab.json").write_text(json.dumps(_vocabulary(vocab), ensure_ascii=False), encoding="utf-8")


def _vocabulary(indexed: list[str]) -> list[str]:
    """Did-you-mean words: the index's words (search-mode words include the whole words), synonym terms and
    department names."""
    from kb.search.analysis import department_names, synonym_groups

    vocab = {w for w in indexed if len(w) > 1 and not w.isascii()}
    vocab.update(normalise(t) for t in [t for g in synonym_groups() for t in g] + department_names() if len(t) > 1)
    return sorted(vocab)


def derived(index_dir: Path) -> Path:
    """The folder of the arrays derived from the whoosh index in index_dir, derived now if missing or stale.

    Derived once per build (the first search after a build pays for it) and kept next to the whoosh index, so
    every later process maps the files; two processes deriving at once both write aside and the first rename wins.
    """
    out = index_dir / DERIVED
    if _format(out) == FORMAT:
        return out
    if not windex.exists_in(str(index_dir), indexname=INDEX_NAME):  # a build from before the whoosh index
        from kb.search.query import SearchError

        raise SearchError("搜索索引格式已过期,请重新运行 `python -m kb build`", status=503)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=DERIVED + ".", dir=index_dir))
    except OSError:  # a read-only build folder: derive into a private folder instead
        tmp = out = Path(tempfile.mkdtemp(prefix="kb-search-"))
    ix = whoosh_index(index_dir)
    try:
        with ix.searcher(weighting=BM25F(B=B, K1=K1)) as searcher:
            derive(searcher, tmp)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        ix.close()
    if tmp != out:
        if _format(out) == FORMAT:  # another process finished first: use its copy
            shutil.rmtree(tmp, ignore_errors=True)
            return out
        shutil.rmtree(out, ignore_errors=True)  # a stale format
        try:
            tmp.rename(out)
        except OSError:  # another process renamed its copy first
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def _format(folder: Path) -> int | None:
    try:
        return json.loads((folder / "meta.json").read_text(encoding="utf-8")).get("format")
    except (OSError, ValueError):
        return None


class SearchIndex:
    """A built index's derived arrays, loaded once: postings (memory-mapped), per-item arrays and the term table."""

    def __init__(self, index_dir: Path):
        index_dir = Path(index_dir)
        src = derived(index_dir)
        meta = json.loads((src / "meta.json").read_text(encoding="utf-8"))
        self.index_dir = index_dir
        self.n_items, self.n_docs, self.ids = meta["n_items"], meta["n_docs"], meta["ids"]
        self.plans, self.kinds, self.domains, self.depts = meta["plans"], meta["kinds"], meta["domains"], meta["depts"]
        self.terms: dict[str, dict[str, list[int]]] = meta["terms"]
        # Memory-mapped (shared by worker processes through the page cache), sliced as plain arrays.
        self.docs = np.asarray(np.load(src / "post_docs.npy", mmap_mode="r"))
        self.weights = np.asarray(np.load(src / "post_weights.npy", mmap_mode="r"))
        with np.load(src / "items.npz") as z:
            self.arr = {k: z[k] for k in z.files}
        self.hay_ptr = np.load(index_dir / "hay_ptr.npy").astype(np.int64)
        self.hay_blob = (
            np.asarray(np.memmap(index_dir / "hay.bin", dtype=np.uint8, mode="r"))
            if self.hay_ptr[-1]
            else np.zeros(0, dtype=np.uint8)
        )
        self.vocab_path = src / "vocab.json"
        self._row: dict[str, int] | None = None

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(doc numbers, BM25F weights) of a term in a field, or None."""
        span = self.terms.get(field, {}).get(term)
        return None if span is None else (self.docs[span[0] : span[1]], self.weights[span[0] : span[1]])

    def postings_of(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
        """The postings of every (field, term) the index holds (kb.search.pg fetches them in one round trip)."""
        out = {}
        for k in keys:
            p = self.postings(*k)
            if p is not None:
                out[k] = p
        return out

    def hays(self, rows: np.ndarray, drop_spaces: bool = False) -> Hay:
        """A Hay over these items' normalised texts."""
        return Hay(self.hay_blob, self.hay_ptr, rows, drop_spaces)

    def df(self, field: str, term: str) -> int:
        span = self.terms.get(field, {}).get(term)
        return 0 if span is None else span[1] - span[0]

    def hay(self, i: int) -> str:
        """Normalised title, text, raw text and indicator names of item i."""
        return self.hay_blob[int(self.hay_ptr[i]) : int(self.hay_ptr[i + 1])].tobytes().decode("utf-8")

    def row(self, item_id: str) -> int | None:
        if self._row is None:
            self._row = {iid: n for n, iid in enumerate(self.ids)}
        return self._row.get(item_id)

    def vocabulary(self) -> list[str]:
        return json.loads(self.vocab_path.read_text(encoding="utf-8"))


def open_index(index_dir: Path) -> SearchIndex:
    """Open a built index's derived arrays read-only."""
    return SearchIndex(index_dir)
