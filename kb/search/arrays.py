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
from kb.search.schema import INDEX_NAME, K1, SEARCH_FIELDS, B, whoosh_index

FORMAT = 3  # bump when the derived files below change meaning
DERIVED = "derived"  # sub-folder of the index folder holding the arrays derived from the whoosh index


def _postings(reader, field: str, text) -> tuple[list[int], list[float]]:
    """(doc numbers, weights) of one term, read through whoosh's matcher."""
    m = reader.postings(field, text)
    docs, weights = [], []
    while m.is_active():
        docs.append(m.id())
        weights.append(m.weight())
        m.next()
    return docs, weights


class _Codes(dict):
    """String → small int, in first-seen order."""

    def code(self, s: str) -> int:
        return self.setdefault(s, len(self))


def derive(searcher, out: Path) -> None:
    """Write the engine's arrays from a whoosh index: per field and term, every posting's BM25F score (whoosh's
    bm25 over its weights, quantised field lengths, idf and average lengths), items numbered before clauses."""
    reader = searcher.reader()
    n = reader.doc_count_all()
    cols = {f: list(reader.column_reader(f)) for f in ("item", "level", "plan", "kind", "domain", "domain_code")}
    is_item = np.array([lv == "item" for lv in cols["level"]], dtype=bool)
    item_docs = np.flatnonzero(is_item)
    ids = [cols["item"][d] for d in item_docs]
    row = {iid: k for k, iid in enumerate(ids)}
    owner = np.array([row[i] for i in cols["item"]], dtype=np.int64)
    # Engine numbering: items in whoosh order, then clauses grouped by item (whoosh order within an item).
    order = np.lexsort((np.arange(n), owner, ~is_item))
    perm = np.empty(n, dtype=np.int64)
    perm[order] = np.arange(n)
    n_items = len(item_docs)
    clause_ptr = np.zeros(n_items + 1, dtype=np.int64)
    np.cumsum(np.bincount(owner[~is_item], minlength=n_items), out=clause_ptr[1:])
    terms: dict[str, dict[str, list[int]]] = {}
    doc_parts, weight_parts, start = [], [], 0
    for f in SEARCH_FIELDS:
        fl = np.array([reader.doc_field_length(d, f, 0) or 0 for d in range(n)], dtype=np.float64)
        avgfl = searcher.avg_field_length(f) or 1
        spans, docs, tfs, dfs = {}, [], [], []
        for text, ti in reader.iter_field(f):  # (utf-8 bytes, term info), in term order
            df = ti.doc_frequency()
            if df == 1:  # the term info holds the one posting: no need to open the postings list
                d, w = [ti.min_id()], [ti.weight()]
            else:
                d, w = _postings(reader, f, text)
            spans[text.decode("utf-8")] = [start, start + len(d)]
            start += len(d)
            docs.extend(d)
            tfs.extend(w)
            dfs.append(df)
        docs_a = np.array(docs, dtype=np.int64)
        tf = np.array(tfs, dtype=np.float64)
        df_a = np.repeat(np.array(dfs, dtype=np.float64), dfs)
        idf = np.log(n / (df_a + 1)) + 1  # whoosh.scoring.WeightingModel.idf (searcher.idf), for every term at once
        doc_parts.append(perm[docs_a].astype(np.int32))
        weight_parts.append(bm25(idf, tf, fl[docs_a], avgfl, B, K1).astype(np.float32))
        terms[f] = spans
    np.save(out / "post_docs.npy", np.concatenate(doc_parts))
    np.save(out / "post_weights.npy", np.concatenate(weight_parts))
    _write_items(reader, out, cols, item_docs, ids, clause_ptr, n, terms)
    vocab = [t for f in ("title", "text", "indicators") for t in terms[f]]
    (out / "vocab.json").write_text(json.dumps(_vocabulary(vocab), ensure_ascii=False), encoding="utf-8")


def _write_items(
    reader,
    out: Path,
    cols: dict,
    item_docs: np.ndarray,
    ids: list[str],
    clause_ptr: np.ndarray,
    n_docs: int,
    terms: dict,
) -> None:
    """Per-item arrays for filters, priors and facets (from the index's columns and postings) and the term table."""
    plans, kinds, domains, depts = _Codes(), _Codes(), _Codes(), _Codes()
    item_row = np.full(n_docs, -1, dtype=np.int64)
    item_row[item_docs] = np.arange(len(item_docs))
    has_ind = np.zeros(len(item_docs), dtype=bool)
    if reader.doc_frequency("has_ind", True):
        d = np.array(_postings(reader, "has_ind", True)[0], dtype=np.int64)
        has_ind[item_row[d][item_row[d] >= 0]] = True
    member: list[tuple[int, int, bool]] = []  # (item row, department code, leads)
    lead_of = {name: set(_postings(reader, "lead", name)[0]) for name, _ in reader.iter_field("lead")}
    for name, _ in reader.iter_field("depts"):
        code = depts.code(name.decode("utf-8"))
        leads = lead_of.get(name, set())
        member.extend(
            (int(item_row[d]), code, d in leads) for d in _postings(reader, "depts", name)[0] if item_row[d] >= 0
        )
    member.sort()
    counts = np.bincount([m[0] for m in member], minlength=len(item_docs)) if member else np.zeros(len(item_docs))
    dept_ptr = np.zeros(len(item_docs) + 1, dtype=np.int64)
    np.cumsum(counts, out=dept_ptr[1:])
    col = {k: [cols[k][d] for d in item_docs] for k in ("plan", "kind", "domain", "domain_code")}
    np.savez(
        out / "items.npz",
        clause_ptr=clause_ptr,
        plan=np.array([plans.code(v) for v in col["plan"]], dtype=np.int32),
        kind=np.array([kinds.code(v) for v in col["kind"]], dtype=np.int16),
        domain=np.array([domains.code(v) for v in col["domain"]], dtype=np.int32),
        domain_code=np.array([domains.code(v) for v in col["domain_code"]], dtype=np.int32),
        has_ind=has_ind,
        dept_ptr=dept_ptr,
        dept_ids=np.array([m[1] for m in member], dtype=np.int32),
        dept_lead=np.array([m[2] for m in member], dtype=bool),
    )
    meta = {
        "format": FORMAT,
        "n_items": len(item_docs),
        "n_docs": n_docs,
        "ids": ids,
        "plans": list(plans),
        "kinds": list(kinds),
        "domains": list(domains),
        "depts": list(depts),
        "terms": terms,
    }
    (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


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
