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
from whoosh.scoring import BM25F

from kb.search.analysis import normalise
from kb.search.combine import Known, combine
from kb.search.hay import Hay
from kb.search.parts import extract
from kb.search.schema import INDEX_NAME, K1, B, whoosh_index

FORMAT = 3  # bump when the derived files below change meaning
DERIVED = "derived"  # sub-folder of the index folder holding the arrays derived from the whoosh index
TERM_IDS = "term-ids"  # beside it: the term numbering of an assembled index's parts (.json + .npy), for the next build


def derive(searcher, out: Path) -> None:
    """Write the engine's arrays from a whoosh index read through its searcher."""
    write(combine([extract(searcher.reader())]), out)


def write_derived(index_dir: Path, parts: list, previous: Path | None = None) -> None:
    """The derived folder of an index being written (not yet live) from its parts; previous: the live index,
    whose parts' term numbering is reused for the parts it shares with this one (`kb add` reads one plan's terms)."""
    out = Path(index_dir) / DERIVED
    out.mkdir()
    c = combine(parts, _load_term_ids(previous) if previous else None)
    write(c, out)
    _save_term_ids(Path(index_dir), c["term_ids"])


def _save_term_ids(index_dir: Path, known: Known) -> None:
    union, ids = known
    stamps = list(ids)
    lengths = [[len(ids[s][f]) for f in union] for s in stamps]
    head = {"format": FORMAT, "union": union, "stamps": stamps, "lengths": lengths}
    (index_dir / f"{TERM_IDS}.json").write_text(json.dumps(head, ensure_ascii=False), encoding="utf-8")
    flat = [ids[s][f] for s in stamps for f in union]
    np.save(index_dir / f"{TERM_IDS}.npy", np.concatenate([np.zeros(0, np.int32), *flat]).astype(np.int32))


def _load_term_ids(index_dir: Path) -> Known | None:
    """What _save_term_ids wrote into an index folder, or None (an older build, another format)."""
    try:
        head = json.loads((index_dir / f"{TERM_IDS}.json").read_text(encoding="utf-8"))
        flat = np.load(index_dir / f"{TERM_IDS}.npy").astype(np.int64)
    except (OSError, ValueError):
        return None
    if head.get("format") != FORMAT:
        return None
    ends = np.cumsum([0] + [n for row in head["lengths"] for n in row]).tolist()
    fields, at, ids = list(head["union"]), 0, {}
    for s in head["stamps"]:
        ids[s] = {f: flat[ends[at + k] : ends[at + k + 1]] for k, f in enumerate(fields)}
        at += len(fields)
    return head["union"], ids


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
