"""What the score arrays are made of, read once from one whoosh index: per field and term its raw postings (engine
doc number, whoosh weight, quantised field length) and document frequency, the field's total length, and per item
its columns and departments. kb.search.combine combines parts into the arrays of the index they make together: a
build keeps each plan's part in its cache entry, so assembling many plans is numpy work over stored arrays instead
of a Python loop over every posting of the merged index."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from whoosh.codec.whoosh3 import W3LeafMatcher
from whoosh.util.numeric import _length_byte_cache

from kb.search.schema import SEARCH_FIELDS

PART = "part"  # file stem of a saved part (part.npz + part.json) inside an index folder
COLUMNS = ("plan", "kind", "domain", "domain_code")  # per-item columns the filters and facets read
# whoosh's length quantisation (whoosh.util.numeric length_to_byte, then byte_to_length), on arrays
_LENGTHS = np.array(_length_byte_cache, dtype=np.int64)
_LONGEST = 106374  # length_to_byte's 255 from here


@dataclass
class FieldPart:
    """One field's postings, in whoosh's term order and, within a term, whoosh's document order."""

    terms: list[str]
    df: np.ndarray  # int64 per term: whoosh's document frequency (its idf)
    count: np.ndarray  # int64 per term: postings read
    docs: np.ndarray  # int64 per posting: the index's engine doc number (items first, then clauses by item)
    tf: np.ndarray  # float64 per posting: whoosh's weight
    fl: np.ndarray  # int64 per posting: the document's quantised field length
    total: int  # the field's total length (whoosh's field_length)


@dataclass
class Part:
    """Everything the score arrays take from one index."""

    n_docs: int
    ids: list[str]  # item ids in whoosh order
    clause_count: np.ndarray  # int64 per item
    columns: dict[str, list[str]]  # COLUMNS, per item
    has_ind: np.ndarray  # bool per item
    depts: list[str]  # department names in whoosh's term order (clause-only ones too)
    member: np.ndarray  # int64 (n, 3): item row, index into depts, leads (0/1)
    fields: dict[str, FieldPart]

    def terms(self) -> dict[str, list[str]]:
        """Per field, its terms in whoosh's order."""
        return {f: fp.terms for f, fp in self.fields.items()}

    def totals(self) -> dict[str, int]:
        return {f: fp.total for f, fp in self.fields.items()}

    def term_counts(self) -> dict[str, tuple[np.ndarray, ...]]:
        """Per field, (df, postings count) per term."""
        return {f: (fp.df, fp.count) for f, fp in self.fields.items()}

    def postings(self) -> dict[str, tuple[np.ndarray, ...]]:
        """Per field, (df, count) per term and (docs, tf, fl) per posting."""
        return {f: (fp.df, fp.count, fp.docs, fp.tf, fp.fl) for f, fp in self.fields.items()}


class SavedPart:
    """A part saved in an index folder, read as combine() needs it: the per-item header at once, the term lists
    and each field's postings only when asked (a thousand plans' parts are never all in memory)."""

    def __init__(self, folder: Path):
        self.folder = folder
        head = json.loads((folder / f"{PART}.json").read_text(encoding="utf-8"))
        self.n_docs: int = head["n_docs"]
        self.ids: list[str] = head["ids"]
        self.columns: dict[str, list[str]] = head["columns"]
        self.depts: list[str] = head["depts"]
        self._totals: dict[str, int] = head["totals"]
        with np.load(folder / f"{PART}.npz") as z:
            self.clause_count, self.has_ind, self.member = z["clause_count"], z["has_ind"], z["member"]

    def terms(self) -> dict[str, list[str]]:
        return json.loads((self.folder / f"{PART}-terms.json").read_text(encoding="utf-8"))

    def stamp(self) -> str:
        """What identifies the part's term lists for kb.search.combine: its cache entry, the file's size and time."""
        st = (self.folder / f"{PART}-terms.json").stat()
        return f"{self.folder.parent.name}/{self.folder.name}:{st.st_size}:{st.st_mtime_ns}"

    def totals(self) -> dict[str, int]:
        return self._totals

    def term_counts(self) -> dict[str, tuple[np.ndarray, ...]]:
        with np.load(self.folder / f"{PART}.npz") as z:
            return self._split(z, ("df", "count"))

    def postings(self) -> dict[str, tuple[np.ndarray, ...]]:
        with np.load(self.folder / f"{PART}.npz") as z:
            return self._split(z, ("df", "count", "docs", "tf", "fl"))

    def _split(self, z, keys: tuple[str, ...]) -> dict[str, tuple[np.ndarray, ...]]:
        """Per field, its slices of the part's arrays (saved as one array per key: fewer array headers to read)."""
        whole = {k: z[k] for k in keys}
        ptr = {"term": z["term_ptr"], "post": z["post_ptr"]}
        out = {}
        for n, f in enumerate(self._totals):
            span = {k: slice(int(p[n]), int(p[n + 1])) for k, p in ptr.items()}
            out[f] = tuple(whole[k][span["term" if k in ("df", "count") else "post"]] for k in keys)
        return out


def postings(reader, field: str, text) -> tuple[list[int], list[float]]:
    """(doc numbers, weights) of one term: a whoosh3 segment's postings a block at a time (the ids and weights
    its matcher's id()/weight() walk yields one by one; a build reads every posting of every plan), else through
    the matcher."""
    m = reader.postings(field, text)
    if type(m) is not W3LeafMatcher:
        return _walk(m)
    docs: list[int] = []
    weights: list[float] = []
    while m.is_active():
        m._read_ids()
        m._read_weights()
        docs.extend(m._ids)
        weights.extend(m._weights)
        m._next_block()
    return docs, weights


def matcher_postings(reader, field: str, text) -> tuple[list[int], list[float]]:
    """(doc numbers, weights) of one term, posting by posting through whoosh's matcher (what postings() equals)."""
    return _walk(reader.postings(field, text))


def _walk(m) -> tuple[list[int], list[float]]:
    docs, weights = [], []
    while m.is_active():
        docs.append(m.id())
        weights.append(m.weight())
        m.next()
    return docs, weights


def extract(reader) -> Part:
    """The part of one whoosh index (a segment reader or several read as one)."""
    n = reader.doc_count_all()
    cols = {f: list(reader.column_reader(f)) for f in ("item", "level", *COLUMNS)}
    fields = {}
    for f in SEARCH_FIELDS:
        fl = np.array([reader.doc_field_length(d, f, 0) or 0 for d in range(n)], dtype=np.int64)
        terms, dfs, counts, docs, tfs = [], [], [], [], []
        for text, ti in reader.iter_field(f):  # (utf-8 bytes, term info), in term order
            df = ti.doc_frequency()
            if df == 1:  # the term info holds the one posting: no need to open the postings list
                d, w = [ti.min_id()], [ti.weight()]
            else:
                d, w = postings(reader, f, text)
            terms.append(text.decode("utf-8"))
            dfs.append(df)
            counts.append(len(d))
            docs.extend(d)
            tfs.extend(w)
        fields[f] = (terms, dfs, counts, docs, np.array(tfs, dtype=np.float64), fl, int(reader.field_length(f)))
    has_ind = postings(reader, "has_ind", True)[0] if reader.doc_frequency("has_ind", True) else []
    lead_of = {name: postings(reader, "lead", name)[0] for name, _ in reader.iter_field("lead")}
    depts = [(name, postings(reader, "depts", name)[0]) for name, _ in reader.iter_field("depts")]
    return _part(n, cols, fields, has_ind, depts, lead_of)


def from_postings(
    n: int, cols: dict[str, list[str]], written: dict, lengths: dict[str, np.ndarray], true_bytes: bytes
) -> Part:
    """The part of a segment from the postings its writer wrote (kb.search.segment: per field its terms, postings per
    term, doc numbers and weights) and each field's length per document: what extract() reads back from it (weights
    as whoosh stores them, in float32; lengths quantised as whoosh stores them)."""
    empty: tuple = ([], [], [], [])
    fields = {}
    for f in SEARCH_FIELDS:
        terms, counts, docs, weights = written.get(f, empty)
        tf = np.array(weights, dtype=np.float32).astype(np.float64)
        raw = lengths.get(f, np.zeros(n, dtype=np.int64))
        fields[f] = ([t.decode("utf-8") for t in terms], counts, counts, docs, tf, quantised(raw), int(raw.sum()))

    def by_term(field: str) -> list[tuple[bytes, list[int]]]:
        terms, counts, docs, _w = written.get(field, empty)
        ends = np.cumsum(counts).tolist()
        return [(t, docs[e - c : e]) for t, c, e in zip(terms, counts, ends, strict=True)]

    has_ind = dict(by_term("has_ind")).get(true_bytes, [])
    return _part(n, cols, fields, has_ind, by_term("depts"), dict(by_term("lead")))


def _part(n: int, cols: dict[str, list], fields_in: dict, has_ind_docs, depts_in: list, lead_of: dict) -> Part:
    """A part from what one segment holds, in whoosh's doc numbers: per item its columns, per search field (terms,
    df, postings count per term, doc numbers, weights, quantised length per document, total length), the documents
    with indicators, and per department (term order) the documents naming it and those it leads."""
    is_item = np.array([lv == "item" for lv in cols["level"]], dtype=bool)
    item_docs = np.flatnonzero(is_item)
    ids = [cols["item"][d] for d in item_docs]
    row = {iid: k for k, iid in enumerate(ids)}
    owner = np.array([row[i] for i in cols["item"]], dtype=np.int64)
    # Engine numbering: items in whoosh order, then clauses grouped by item (whoosh order within an item).
    order = np.lexsort((np.arange(n), owner, ~is_item))
    perm = np.empty(n, dtype=np.int64)
    perm[order] = np.arange(n)
    fields = {}
    for f, (terms, dfs, counts, docs, tf, fl, total) in fields_in.items():
        docs_a = np.array(docs, dtype=np.int64)
        fields[f] = FieldPart(
            terms, np.array(dfs, dtype=np.int64), np.array(counts, dtype=np.int64), perm[docs_a], tf, fl[docs_a], total
        )
    item_row = np.full(n, -1, dtype=np.int64)
    item_row[item_docs] = np.arange(len(item_docs))
    has_ind = np.zeros(len(item_docs), dtype=bool)
    if len(has_ind_docs):
        hd = np.array(has_ind_docs, dtype=np.int64)
        has_ind[item_row[hd][item_row[hd] >= 0]] = True
    depts: list[str] = []
    member: list[tuple[int, int, int]] = []
    for code, (name, docs) in enumerate(depts_in):
        depts.append(name.decode("utf-8"))
        leads = set(lead_of.get(name, ()))
        member.extend((int(item_row[d]), code, int(d in leads)) for d in docs)
    member_a = np.array(member, dtype=np.int64).reshape(-1, 3)
    member_a = member_a[member_a[:, 0] >= 0]
    return Part(
        n_docs=n,
        ids=ids,
        clause_count=np.bincount(owner[~is_item], minlength=len(item_docs)).astype(np.int64),
        columns={k: [cols[k][d] for d in item_docs] for k in COLUMNS},
        has_ind=has_ind,
        depts=depts,
        member=member_a,
        fields=fields,
    )


def quantised(lengths: np.ndarray) -> np.ndarray:
    """What whoosh's doc_field_length gives for these field lengths (0 stays 0)."""
    b = np.where(lengths >= _LONGEST, 255, np.searchsorted(_LENGTHS, lengths, side="left"))
    return _LENGTHS[b]


def save(part: Part, folder: Path) -> None:
    """Write a part into an index folder: part.npz (arrays), part.json (per-item strings), part-terms.json."""
    fps = list(part.fields.values())
    np.savez(
        folder / f"{PART}.npz",
        clause_count=part.clause_count,
        has_ind=part.has_ind,
        member=part.member,
        term_ptr=np.cumsum([0] + [len(fp.terms) for fp in fps]),
        post_ptr=np.cumsum([0] + [len(fp.docs) for fp in fps]),
        df=np.concatenate([fp.df for fp in fps]),
        count=np.concatenate([fp.count for fp in fps]),
        docs=np.concatenate([fp.docs for fp in fps]).astype(np.int32),
        tf=np.concatenate([fp.tf for fp in fps]),
        fl=np.concatenate([fp.fl for fp in fps]).astype(np.int32),
    )
    head = {"n_docs": part.n_docs, "ids": part.ids, "columns": part.columns, "depts": part.depts}
    text = json.dumps({**head, "totals": part.totals()}, ensure_ascii=False)
    (folder / f"{PART}.json").write_text(text, encoding="utf-8")
    (folder / f"{PART}-terms.json").write_text(json.dumps(part.terms(), ensure_ascii=False), encoding="utf-8")


def saved(folder: Path) -> bool:
    return all((folder / f"{PART}{end}").exists() for end in (".npz", ".json", "-terms.json"))
