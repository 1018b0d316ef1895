"""The exact score arrays of an N× replicated KB (bench/search_bench.replicate: plan-rK:… ids) without writing its
whoosh index: each replica is the 1× index's part (kb.search.parts) under its own ids, and kb.search.combine.combine
makes, byte for byte, the arrays a build assembled from those N per-plan segments derives: BM25F weights with idf
and average lengths over the whole N× index, the same numbering and term table; a whole write of the replicated KB
gives the same arrays up to the order of each term's postings (checked at 12×). Unlike bench/tile_index.py (the 1×
weights repeated) nothing is approximated; the whoosh index of record itself is not written (the query path never
reads it).

It also times what a build's index assembly costs at N plans (the combine over N stored parts), with peak RSS.

    .venv/bin/python bench/scale_index.py SRC_INDEX DEST_INDEX N    # SRC_INDEX: a one-plan build's index folder
"""

from __future__ import annotations

import json
import resource
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from kb.search.arrays import DERIVED, write_derived
from kb.search.parts import Part, extract
from kb.search.schema import whoosh_index


class Replica:
    """The source part under replica r's plan and item ids (search_bench.replicate's naming)."""

    def __init__(self, part: Part, plan: str, r: int | None):
        self._part, name = part, plan if r is None else f"{plan}-r{r}"  # replicate() copies a 1× KB unrenamed
        self.plan = name
        self.n_docs, self.clause_count, self.has_ind = part.n_docs, part.clause_count, part.has_ind
        self.depts, self.member = part.depts, part.member
        self.ids = [name + i[len(plan) :] for i in part.ids]
        self.columns = {**part.columns, "plan": [name] * len(part.ids)}

    def terms(self) -> dict[str, list[str]]:
        return self._part.terms()

    def totals(self) -> dict[str, int]:
        return self._part.totals()

    def term_counts(self) -> dict[str, tuple[np.ndarray, ...]]:
        return self._part.term_counts()

    def postings(self) -> dict[str, tuple[np.ndarray, ...]]:
        return self._part.postings()


def replicas(src_index: Path, times: int) -> tuple[Part, list[Replica]]:
    """The source index's part and its replicas in whoosh's order of the replicated KB (plan ids sorted)."""
    ix = whoosh_index(src_index)
    try:
        with ix.reader() as reader:
            part = extract(reader)
    finally:
        ix.close()
    plans = set(part.columns["plan"])
    if len(plans) != 1:
        raise SystemExit(f"{src_index}: one plan expected, found {len(plans)}")
    plan = plans.pop()
    reps = [Replica(part, plan, None)] if times == 1 else [Replica(part, plan, r) for r in range(times)]
    return part, sorted(reps, key=lambda p: p.plan)


def write_hay(src_index: Path, dest_index: Path, times: int) -> None:
    """The items' texts of every replica, in the same order (each replica's texts are the source's)."""
    blob = (src_index / "hay.bin").read_bytes()
    ptr = np.load(src_index / "hay_ptr.npy")
    (dest_index / "hay.bin").write_bytes(blob * times)
    starts = np.arange(times, dtype=np.int64) * int(ptr[-1])
    np.save(dest_index / "hay_ptr.npy", np.concatenate([[0]] + [ptr[1:] + s for s in starts]).astype(np.int64))


def write_index(src: Path, dest: Path, times: int) -> dict:
    """Write dest (derived arrays and hay of the N× replica); return its sizes and what it cost."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    t0, c0 = time.perf_counter(), time.process_time()
    _part, reps = replicas(src, times)
    t1, c1 = time.perf_counter(), time.process_time()
    write_derived(dest, reps)
    t2, c2 = time.perf_counter(), time.process_time()
    write_hay(src, dest, times)
    meta = json.loads((dest / DERIVED / "meta.json").read_text(encoding="utf-8"))
    return {
        "times": times,
        "items": meta["n_items"],
        "docs": meta["n_docs"],
        "postings": np.load(dest / DERIVED / "post_docs.npy", mmap_mode="r").shape[0],
        "extract_s": round(t1 - t0, 2),
        "extract_cpu_s": round(c1 - c0, 2),
        "combine_s": round(t2 - t1, 2),
        "combine_cpu_s": round(c2 - c1, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> int:
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    print(json.dumps(write_index(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
