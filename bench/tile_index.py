"""A big search index made by tiling a smaller scale's derived arrays (for bench/search_bench.py --tile-from).

The whoosh build of a 1000× replica takes 10-20 minutes of a quiet 2-core machine (and hours of a shared one).
The query path reads only the arrays derived from it (kb.search.arrays) and the items' hay, so for measuring
search latency those are written here by repeating a built scale's arrays `factor` times, with the item ids and
plan names that bench/search_bench.replicate gives the same replicas. Sizes (postings, items, clauses, hay) are
those of the real index; BM25 weights are the source scale's (idf differs by log((df+1)/(df+1/k)), tiny from
100× on). The result is labelled in the bench's output: it measures the query path, not the build.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np

from kb.search.arrays import DERIVED


def _renamer(src_times: int, copy: int):
    """Plan or item id of the source replica → the id of that replica in copy `copy` (search_bench naming)."""
    pat = re.compile(r"^(?P<plan>[^:]+?)-r(?P<r>\d+)(?P<rest>(:.*)?)$")

    def ren(s: str) -> str:
        if src_times == 1:
            plan, _, rest = s.partition(":")
            return f"{plan}-r{copy}" + (":" + rest if rest else "")
        m = pat.match(s)
        if m is None:
            raise ValueError(f"not a replica id: {s!r}")
        return f"{m['plan']}-r{copy * src_times + int(m['r'])}{m['rest']}"

    return ren


def tile(src_index: Path, dest_index: Path, src_times: int, factor: int) -> None:
    """Write dest_index (derived arrays and hay) as `factor` copies of src_index's."""
    src, out = src_index / DERIVED, dest_index / DERIVED
    out.mkdir(parents=True)
    meta = json.loads((src / "meta.json").read_text(encoding="utf-8"))
    n, n_docs = meta["n_items"], meta["n_docs"]
    c = n_docs - n
    docs = np.load(src / "post_docs.npy").astype(np.int64)
    weights = np.load(src / "post_weights.npy")
    # Copy k of a document: items first (k·n + row), then clauses (factor·n + k·c + clause).
    starts = np.zeros(len(docs), dtype=np.int64)
    lengths = np.zeros(len(docs), dtype=np.int64)
    terms: dict[str, dict[str, list[int]]] = {}
    for field, spans in meta["terms"].items():
        terms[field] = {}
        for term, (a, b) in spans.items():
            starts[a:b], lengths[a:b] = a, b - a
            terms[field][term] = [factor * a, factor * b]
    offset = np.arange(len(docs)) - starts
    new_docs = np.empty(len(docs) * factor, dtype=np.int32)
    new_weights = np.empty(len(docs) * factor, dtype=weights.dtype)
    is_item = docs < n
    for k in range(factor):
        pos = factor * starts + k * lengths + offset
        new_docs[pos] = np.where(is_item, docs + k * n, factor * n + k * c + (docs - n))
        new_weights[pos] = weights
    np.save(out / "post_docs.npy", new_docs)
    np.save(out / "post_weights.npy", new_weights)
    with np.load(src / "items.npz") as z:
        arr = {key: z[key] for key in z.files}
    n_plans = len(meta["plans"])
    tiled = {
        "clause_ptr": np.concatenate([arr["clause_ptr"][:-1] + k * c for k in range(factor)] + [[factor * c]]),
        "dept_ptr": np.concatenate(
            [arr["dept_ptr"][:-1] + k * len(arr["dept_ids"]) for k in range(factor)] + [[factor * len(arr["dept_ids"])]]
        ),
        "plan": np.concatenate([arr["plan"] + k * n_plans for k in range(factor)]),
    }
    for key in ("kind", "domain", "domain_code", "has_ind", "dept_ids", "dept_lead"):
        tiled[key] = np.tile(arr[key], factor)
    np.savez(out / "items.npz", **{k: v.astype(arr[k].dtype) for k, v in tiled.items()})
    renames = [_renamer(src_times, k) for k in range(factor)]
    meta.update(
        n_items=n * factor,
        n_docs=n_docs * factor,
        ids=[ren(i) for ren in renames for i in meta["ids"]],
        plans=[ren(p) for ren in renames for p in meta["plans"]],
        terms=terms,
    )
    (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    shutil.copyfile(src / "vocab.json", out / "vocab.json")
    ptr = np.load(src_index / "hay_ptr.npy").astype(np.int64)
    blob = (src_index / "hay.bin").read_bytes()
    np.save(
        dest_index / "hay_ptr.npy",
        np.concatenate([ptr[:-1] + k * ptr[-1] for k in range(factor)] + [[factor * ptr[-1]]]),
    )
    (dest_index / "hay.bin").write_bytes(blob * factor)
