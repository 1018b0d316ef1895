"""A query's hits as arrays over item rows (kb.search.ranking makes them): entries, reordering and facets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from kb.search.engine import Engine

DEPT_FACETS = 30


@dataclass
class Ranked:
    """A query's hits, best first, as arrays over item rows; entries (dicts) are made for the rows asked for."""

    eng: Engine
    rows: np.ndarray
    score: np.ndarray
    coverage: np.ndarray
    whole: np.ndarray  # compound words and words typed together found whole
    via: np.ndarray  # the direct hit a linked item follows (its row), -1 for direct hits
    reviewed: dict[int, dict[str, str]]  # item row → {department: role} where reviews changed departments
    partial: list[str] = field(default_factory=list)  # typed words no hit holds whole (only their parts)

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, k: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, k: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, k):
        if isinstance(k, slice):
            return [self.entry(i) for i in range(len(self))[k]]
        return self.entry(range(len(self))[k])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return (self.entry(i) for i in range(len(self)))

    def entry(self, k: int) -> dict[str, Any]:
        """The k-th hit as a dict: row, id, score, coverage, whole, hay, kind, domain_name, depts (and via)."""
        eng, row, via = self.eng, int(self.rows[k]), int(self.via[k])
        out = {
            "row": row,
            "id": eng.ix.ids[row],
            "score": float(self.score[k]),
            "coverage": float(self.coverage[k]),
            "whole": int(self.whole[k]),
            "hay": "" if via >= 0 else eng.ix.hay(row),
            "kind": eng.ix.kinds[eng.ix.arr["kind"][row]],
            "domain_name": eng.domain_name(row),
            "depts": eng.item_depts(row, self.reviewed),
        }
        if via >= 0:
            out["via"] = eng.ix.ids[via]
        return out

    def take(self, order: np.ndarray) -> Ranked:
        """These hits in another order (or a subset)."""
        return Ranked(
            self.eng,
            self.rows[order],
            self.score[order],
            self.coverage[order],
            self.whole[order],
            self.via[order],
            self.reviewed,
            self.partial,
        )

    def in_plan_order(self) -> Ranked:
        return self.take(np.argsort(self.rows, kind="stable"))

    def facets(self) -> dict[str, dict[str, int]]:
        """Counts of plan, domain, kind and department over every hit (most first, ties in order of first
        appearance): the plan facet makes one search across every plan."""
        eng = self.eng
        return {
            "plan": _counts(eng.ix.arr["plan"][self.rows], eng.ix.plans),
            "domain": _counts(eng.domain_of[self.rows], eng.domain_names),
            "kind": _counts(eng.ix.arr["kind"][self.rows], eng.ix.kinds),
            "department": self._dept_counts(),
        }

    def _dept_counts(self) -> dict[str, int]:
        ptr, ids, names = dept_lists(self.eng, self.reviewed)
        rows = self.rows
        return _counts(ids[_spans(ptr[rows], ptr[rows + 1] - ptr[rows])], names, DEPT_FACETS)


def dept_lists(eng: Engine, reviewed: dict[int, dict[str, str]]) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(ptr, ids, names): every item's departments as the facets count them (the index's, reviewed items' as
    reviewed, a department only a reviewer named appended to names), once per reviewed state: the facets of a
    search then cost the same with 10 or 10,000 reviews stored (issue 14)."""
    held = eng.dept_facets
    if held is not None and held[0] is reviewed:
        return held[1]
    a, names = eng.ix.arr, list(eng.ix.depts)
    ptr, ids = a["dept_ptr"], a["dept_ids"]
    if reviewed:
        code = dict(eng.dept_code)
        lens = np.diff(ptr)
        own: dict[int, list[int]] = {}
        for row in sorted(reviewed):
            for name in eng.item_depts(row, reviewed):
                if name not in code:  # a department a reviewer added that the index never saw
                    code[name] = len(names)
                    names.append(name)
            own[row] = [code[n] for n in eng.item_depts(row, reviewed)]
        new_lens = lens.copy()
        for row, codes in own.items():
            new_lens[row] = len(codes)
        new_ptr = np.concatenate([[0], np.cumsum(new_lens)]).astype(ptr.dtype)
        new_ids = np.empty(int(new_ptr[-1]), dtype=ids.dtype)
        plain = np.ones(len(lens), dtype=bool)
        plain[list(own)] = False
        new_ids[_spans(new_ptr[:-1][plain], lens[plain])] = ids[_spans(ptr[:-1][plain], lens[plain])]
        for row, codes in own.items():
            new_ids[new_ptr[row] : new_ptr[row] + len(codes)] = codes
        ptr, ids = new_ptr, new_ids
    out = (ptr, ids, names)
    eng.dept_facets = (reviewed, out)
    return out


def no_facets() -> dict[str, dict[str, int]]:
    return {"plan": {}, "domain": {}, "kind": {}, "department": {}}


def _spans(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """The indices start..start+len of every (start, len), concatenated."""
    total = int(lens.sum())
    offsets = np.cumsum(lens) - lens
    return np.repeat(starts - offsets, lens) + np.arange(total)


def _counts(codes: np.ndarray, names: list[str], top: int | None = None) -> dict[str, int]:
    """{name: count} ordered as collections.Counter.most_common orders a sequence's counts."""
    if not len(codes):
        return {}
    u, first, counts = np.unique(codes, return_index=True, return_counts=True)
    order = np.lexsort((first, -counts))[:top]
    return {names[int(u[i])]: int(counts[i]) for i in order}
