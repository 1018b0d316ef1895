"""Search index: BM25F postings of item- and clause-level documents, written as flat arrays next to the KB."""
from __future__ import annotations

import json
from array import array
import re
import shutil
import sqlite3
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from kb.search_analysis import bigrams, normalise, search_tokens, words

# Field boosts: the title states what an item is about; indicator names find targets; the repaired text is the
# main body, the raw text only adds what repairs may have missed; bigrams are a low-weight fallback.
FIELD_BOOSTS = {"title": 3.0, "indicators": 2.5, "text": 1.0, "groups": 1.0, "raw": 0.3, "ngram": 0.35}
SEARCH_FIELDS = tuple(FIELD_BOOSTS)
B, K1 = 0.75, 1.2        # BM25 parameters (the usual ones)
FORMAT = 2               # bump when the files below change meaning
VOCAB_ITEMS = 5000       # items read for did-you-mean words (enough to know a genre's vocabulary)
# jieba cuts text into blocks at characters outside this class, so two texts split where either side is
# outside it tokenise exactly as their concatenation does (clause tokens can then be summed into the item's).
_JIEBA_BLOCK = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&._%\-]")


def _terms(field: str, text: str) -> Counter:
    """Term frequencies of text as the field analyses it."""
    if not text:
        return Counter()
    pieces = bigrams(text) if field == "ngram" else search_tokens(text)
    return Counter(w for w, _, _ in pieces)


def _joins_cleanly(item_text: str, parts: list[str]) -> bool:
    """True when item_text is the parts concatenated at block boundaries (summed clause counts are exact)."""
    if "".join(parts) != item_text:
        return False
    return all(not (_JIEBA_BLOCK.match(a[-1]) and _JIEBA_BLOCK.match(b[0]))
               for a, b in zip(parts, parts[1:]) if a and b)


class _Postings:
    """One field's postings while indexing: flat (term id, number, tf) arrays for items and for clauses."""

    def __init__(self):
        self.ids: dict[str, int] = {}
        self.parts = {level: (array("q"), array("q"), array("q"), array("q")) for level in ("item", "clause")}

    def add(self, level: str, n: int, tf: Counter | None) -> None:
        """Document n of a level: its term counts (None or empty when the field is absent) and its length."""
        tids, docs, freqs, lengths = self.parts[level]
        if not tf:
            lengths.append(0)
            return
        lengths.append(sum(tf.values()))
        ids = self.ids
        for term, k in tf.items():
            tid = ids.get(term)
            if tid is None:
                tid = ids[term] = len(ids)
            tids.append(tid)
            docs.append(n)
            freqs.append(k)

    def finish(self, boost: float, n_items: int, n_docs: int, start: int):
        """(docs, BM25F weights, term → [start, end]) with clause numbers moved after the items."""
        it, cl = ([np.frombuffer(a, dtype=np.int64) for a in self.parts[level]] for level in ("item", "clause"))
        tids = np.concatenate([it[0], cl[0]])
        docs = np.concatenate([it[1], cl[1] + n_items])
        tf = np.concatenate([it[2], cl[2]]) * boost
        fl = np.concatenate([it[3], cl[3]]).astype(np.float64)
        order = np.argsort(tids, kind="stable")  # items then clauses, each in increasing order: docs stay sorted
        tids, docs, tf = tids[order], docs[order], tf[order]
        df = np.bincount(tids, minlength=len(self.ids))
        idf = np.log(n_docs / (df + 1.0)) + 1.0
        avgfl = fl.sum() / max(n_docs, 1) or 1.0
        weights = idf[tids] * tf * (K1 + 1) / (tf + K1 * ((1 - B) + B * fl[docs] / avgfl))
        ends = (start + np.cumsum(df)).tolist()
        spans = {term: [ends[t] - int(df[t]), ends[t]] for term, t in self.ids.items()}
        return docs.astype(np.int32), weights.astype(np.float32), spans


def _rows(conn: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Per item, in plan order: what is indexed of it and its clauses."""
    conn.row_factory = sqlite3.Row
    assign: dict[tuple[str, str | None], list[tuple[str, str]]] = {}
    for a in conn.execute("SELECT item, clause, name, role FROM assignments ORDER BY item, rank"):
        assign.setdefault((a["item"], a["clause"]), []).append((a["name"], a["role"]))
    inds: dict[str, list[str]] = {}
    for r in conn.execute("SELECT item, name FROM indicators ORDER BY item, rank"):
        inds.setdefault(r["item"], []).append(r["name"])
    clauses: dict[str, list[tuple[str, str]]] = {}
    for c in conn.execute("SELECT item, text, raw_text FROM clauses ORDER BY item, idx"):
        clauses.setdefault(c["item"], []).append((c["text"], c["raw_text"]))
    for it in conn.execute("SELECT * FROM items ORDER BY plan, position"):
        iid = it["id"]
        depts = assign.get((iid, None), [])
        yield {"id": iid, "plan": it["plan"], "kind": it["kind"], "domain": it["domain"] or "",
               "domain_code": it["domain_code"] or "", "title": it["title"] or "", "text": it["text"],
               "raw": it["raw_text"], "names": inds.get(iid, []), "groups": json.loads(it["target_groups"] or "[]"),
               "clauses": clauses.get(iid, []), "depts": list(dict.fromkeys(n for n, _ in depts)),
               "lead": list(dict.fromkeys(n for n, r in depts if r == "lead"))}


def _analyse(row: dict[str, Any]) -> dict[str, Any]:
    """An item's term counts per field, one set per clause, and its normalised text (runs in pool workers)."""
    names, text, raw = row["names"], row["text"], row["raw"]
    cdocs = []
    for ctext, craw in row["clauses"]:
        t = _terms("text", ctext)
        r = t if craw == ctext else _terms("raw", craw)  # most clauses were not repaired
        cind = " ".join(n for n in names if n in ctext)
        cdocs.append({"text": t, "raw": r, "indicators": _terms("indicators", cind),
                      "ngram": _terms("ngram", ctext) + _terms("ngram", craw)})
    ctexts, craws = [c[0] for c in row["clauses"]], [c[1] for c in row["clauses"]]
    t = sum((c["text"] for c in cdocs), Counter()) if cdocs and _joins_cleanly(text, ctexts) else _terms("text", text)
    r = (t if raw == text else sum((c["raw"] for c in cdocs), Counter()) if cdocs and _joins_cleanly(raw, craws)
         else _terms("raw", raw))
    fields = {"title": _terms("title", row["title"]), "text": t, "raw": r,
              "indicators": _terms("indicators", " ".join(names)), "groups": _terms("groups", " ".join(row["groups"])),
              "ngram": _terms("ngram", text) + _terms("ngram", raw)}
    hay = normalise("\n".join((row["title"], text, raw, " ".join(names))))
    return {**{k: row[k] for k in ("id", "plan", "kind", "domain", "domain_code", "depts", "lead")},
            "has_ind": bool(names), "fields": fields, "clauses": cdocs, "hay": hay.encode("utf-8")}


class _Codes(dict):
    """String → small int, in first-seen order."""

    def code(self, s: str) -> int:
        return self.setdefault(s, len(self))


def build_index(db_path: Path, index_dir: Path, procs: int = 1) -> None:
    """Index every item and clause of the KB at db_path into index_dir (written aside, then renamed in place).

    procs > 1 analyses items in that many worker processes (worth it from tens of thousands of items).
    """
    index_dir = Path(index_dir)
    tmp = index_dir.with_name(index_dir.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    post = {f: _Postings() for f in SEARCH_FIELDS}
    items: list[dict[str, Any]] = []
    n_clauses = 0
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = list(_rows(conn))
    finally:
        conn.close()
    vocab_texts = [(r["title"] + "\n" + r["text"], r["names"]) for r in rows[:VOCAB_ITEMS]]
    with _pool(procs) as pool:
        analysed = pool.imap(_analyse, rows, chunksize=64) if pool else map(_analyse, rows)
        for i, it in enumerate(analysed):
            fields = it.pop("fields")
            for f, p in post.items():
                p.add("item", i, fields.get(f))
            for c in it.pop("clauses"):
                for f, p in post.items():
                    p.add("clause", n_clauses, c.get(f))
                n_clauses += 1
            it["n_clauses"] = n_clauses
            items.append(it)
    del rows
    n_items = len(items)
    n_docs = n_items + n_clauses
    clause_ptr = np.array([0] + [it["n_clauses"] for it in items], dtype=np.int64)
    terms: dict[str, dict[str, list[int]]] = {}
    doc_parts, weight_parts, start = [], [], 0
    for f in SEARCH_FIELDS:
        docs, weights, terms[f] = post.pop(f).finish(FIELD_BOOSTS[f], n_items, n_docs, start)
        doc_parts.append(docs)
        weight_parts.append(weights)
        start += len(docs)
    np.save(tmp / "post_docs.npy", np.concatenate(doc_parts))
    np.save(tmp / "post_weights.npy", np.concatenate(weight_parts))
    _write_items(tmp, items, clause_ptr, n_docs, terms)
    (tmp / "vocab.json").write_text(json.dumps(_vocabulary(vocab_texts), ensure_ascii=False), encoding="utf-8")
    if index_dir.exists():
        shutil.rmtree(index_dir)
    tmp.rename(index_dir)


@contextmanager
def _pool(procs: int):
    """A process pool for analysis (forked after the dictionaries are loaded), or None for one process."""
    if procs <= 1:
        yield None
        return
    import multiprocessing

    from kb.search_analysis import warm_up

    warm_up()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(procs) as pool:
        yield pool


def _vocabulary(texts: list[tuple[str, list[str]]]) -> list[str]:
    """Did-you-mean words: words of titles and texts, indicator names, synonym terms and department names."""
    from kb.search_analysis import department_names, synonym_groups

    vocab = {w for text, _ in texts for w in words(text) if len(w) > 1 and not w.isascii()}
    vocab.update(normalise(x) for _, names in texts for n in names for x in n.split() if len(x) > 1)
    vocab.update(normalise(t) for t in [t for g in synonym_groups() for t in g] + department_names() if len(t) > 1)
    return sorted(vocab)


def _write_items(tmp: Path, items: list[dict], clause_ptr: np.ndarray, n_docs: int, terms: dict) -> None:
    """Per-item arrays for filters, priors and facets, the normalised text for coverage, and the term table."""
    plans, kinds, domains, depts = _Codes(), _Codes(), _Codes(), _Codes()
    dept_ptr, dept_ids, dept_lead = [0], [], []
    for it in items:
        for name in it["depts"]:
            dept_ids.append(depts.code(name))
            dept_lead.append(name in it["lead"])
        dept_ptr.append(len(dept_ids))
    hay = [it["hay"] for it in items]
    hay_ptr = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum([len(h) for h in hay], out=hay_ptr[1:])
    (tmp / "hay.bin").write_bytes(b"".join(hay))
    np.savez(tmp / "items.npz", clause_ptr=clause_ptr, hay_ptr=hay_ptr,
             plan=np.array([plans.code(it["plan"]) for it in items], dtype=np.int32),
             kind=np.array([kinds.code(it["kind"]) for it in items], dtype=np.int16),
             domain=np.array([domains.code(it["domain"]) for it in items], dtype=np.int32),
             domain_code=np.array([domains.code(it["domain_code"]) for it in items], dtype=np.int32),
             has_ind=np.array([it["has_ind"] for it in items], dtype=bool),
             dept_ptr=np.array(dept_ptr, dtype=np.int64), dept_ids=np.array(dept_ids, dtype=np.int32),
             dept_lead=np.array(dept_lead, dtype=bool))
    meta = {"format": FORMAT, "n_items": len(items), "n_docs": n_docs, "ids": [it["id"] for it in items],
            "plans": list(plans), "kinds": list(kinds), "domains": list(domains), "depts": list(depts),
            "terms": terms}
    (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


class SearchIndex:
    """A built index, loaded once: postings (memory-mapped), per-item arrays and the term table."""

    def __init__(self, index_dir: Path):
        index_dir = Path(index_dir)
        try:
            meta = json.loads((index_dir / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        if meta.get("format") != FORMAT:
            from kb.search_query import SearchError
            raise SearchError("搜索索引格式已过期,请重新运行 `python -m kb build`", status=503)
        self.n_items, self.n_docs, self.ids = meta["n_items"], meta["n_docs"], meta["ids"]
        self.plans, self.kinds, self.domains, self.depts = meta["plans"], meta["kinds"], meta["domains"], meta["depts"]
        self.terms: dict[str, dict[str, list[int]]] = meta["terms"]
        # Memory-mapped (shared by worker processes through the page cache), sliced as plain arrays.
        self.docs = np.asarray(np.load(index_dir / "post_docs.npy", mmap_mode="r"))
        self.weights = np.asarray(np.load(index_dir / "post_weights.npy", mmap_mode="r"))
        with np.load(index_dir / "items.npz") as z:
            self.arr = {k: z[k] for k in z.files}
        self.hay_blob = (np.asarray(np.memmap(index_dir / "hay.bin", dtype=np.uint8, mode="r"))
                         if self.arr["hay_ptr"][-1] else np.zeros(0, dtype=np.uint8))
        self.hay_ptr = self.arr["hay_ptr"].tolist()
        self.vocab_path = index_dir / "vocab.json"
        self._row: dict[str, int] | None = None

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(doc numbers, BM25F weights) of a term in a field, or None."""
        span = self.terms.get(field, {}).get(term)
        return None if span is None else (self.docs[span[0]:span[1]], self.weights[span[0]:span[1]])

    def df(self, field: str, term: str) -> int:
        span = self.terms.get(field, {}).get(term)
        return 0 if span is None else span[1] - span[0]

    def hay(self, i: int) -> str:
        """Normalised title, text, raw text and indicator names of item i."""
        return self.hay_blob[self.hay_ptr[i]:self.hay_ptr[i + 1]].tobytes().decode("utf-8")

    def row(self, item_id: str) -> int | None:
        if self._row is None:
            self._row = {iid: n for n, iid in enumerate(self.ids)}
        return self._row.get(item_id)

    def vocabulary(self) -> list[str]:
        return json.loads(self.vocab_path.read_text(encoding="utf-8"))


def open_index(index_dir: Path) -> SearchIndex:
    """Open a built index read-only."""
    return SearchIndex(index_dir)
