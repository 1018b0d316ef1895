"""Finding strings in many items' texts at once: the candidates' normalised texts ("hay") joined into one byte
string, each string looked for by one C search that skips to the next item at every hit, so a query's checks cost
one search per string (and one step per item holding it) instead of a loop over every item and string."""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

SPACE = 0x20


class Hay:
    """The hay of some items (in the order given) as one UTF-8 byte string, with each item's end offset.

    A UTF-8 string occurs in a UTF-8 text exactly where its bytes occur (a lead byte never matches inside a
    character), so byte search gives what `s in text` gives; a hit counts for an item only when it ends inside it.
    """

    def __init__(self, blob: np.ndarray, ptr: np.ndarray, rows: np.ndarray, drop_spaces: bool = False):
        lo, hi = ptr[rows].tolist(), ptr[rows + 1].tolist()
        view = memoryview(blob)  # type: ignore[arg-type]  # a uint8 array is a buffer
        pieces: list[memoryview] | list[bytes] = [view[a:b] for a, b in zip(lo, hi, strict=True)]
        if drop_spaces:  # phrases are looked for with the spaces of the text removed
            pieces = [bytes(p).replace(b" ", b"") for p in pieces]
        self.data = b"".join(pieces)
        self.ends = np.cumsum([len(p) for p in pieces]).tolist() if pieces else []
        self.n = len(pieces)
        self._found: dict[str, np.ndarray] = {}

    def contains(self, s: str) -> np.ndarray:
        """Boolean per item: does its hay hold s (as `s in hay` would say)."""
        hit = self._found.get(s)
        if hit is None:
            hit = self._found[s] = self._contains(s.encode("utf-8"))
        return hit

    def _contains(self, pat: bytes) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        if not pat:
            out[:] = True
            return out
        data, ends, m = self.data, self.ends, len(pat)
        pos = data.find(pat)
        while pos >= 0:
            k = bisect_right(ends, pos)
            if pos + m <= ends[k]:  # inside item k: mark it and go on from the next item
                out[k] = True
                if k + 1 >= self.n:
                    break
                pos = data.find(pat, ends[k])
            else:  # across two items' texts: not a hit of either
                pos = data.find(pat, pos + 1)
        return out

    def any_of(self, strings: list[str] | tuple[str, ...] | frozenset[str]) -> np.ndarray:
        """Boolean per item: does its hay hold any of the strings."""
        out = np.zeros(self.n, dtype=bool)
        for s in strings:
            out |= self.contains(s)
        return out

    def count_of(self, strings: list[str]) -> np.ndarray:
        """Per item: how many of the strings its hay holds."""
        out = np.zeros(self.n, dtype=np.int64)
        for s in strings:
            out += self.contains(s)
        return out
