"""The dropped-character finder's lexicon and counts: its thresholds, jieba's words indexed by one deletion,
dictionary-only segmentation, and the plan's own phrase counts (the evidence a repair needs)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import lru_cache

from nlp.lang import jieba_tokenizer, read_lines, repair_scores

_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
_PHRASE = 4  # characters of a repaired phrase looked up in the plan (the insertion never at its edge)
_TABLE_AFTER = 64  # distinct strings of one length counted by text.count before its n-gram table is made


@lru_cache(maxsize=1)
def _cfg() -> dict[str, float]:
    """Thresholds (nlp/data/repair_scores.tsv, char_* rows)."""
    return repair_scores("char_")


@lru_cache(maxsize=1)
def _standalone() -> frozenset[str]:
    """Characters that stand alone in plan prose (的, 和, 对 …): completed only into a long word."""
    return frozenset("".join(read_lines("standalone_chars.txt")))


@lru_cache(maxsize=1)
def _deletion_index() -> dict[str, list[tuple[str, int]]]:
    """Dictionary words keyed by each one-character deletion: 立德树人 → {德树人: (立德树人, 0), …}."""
    tok, cfg = jieba_tokenizer(), _cfg()
    index: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for w, f in tok.FREQ.items():
        if f >= cfg["char_min_freq"] and 2 <= len(w) <= 5 and _CJK_RUN.fullmatch(w):
            for k in range(len(w)):
                index[w[:k] + w[k + 1 :]].append((w, k))
    return index


@lru_cache(maxsize=65536)
def _cut(s: str) -> tuple[str, ...]:
    """Dictionary-only segmentation (cached): an unknown (damaged) span stays lone characters."""
    return tuple(jieba_tokenizer().cut(s, HMM=False))


@lru_cache(maxsize=65536)  # asked per candidate with evidence; the same runs recur in every plan of a province
def _reads(word: str, window: str) -> bool:
    """The segmenter reads the completed word in the repaired window."""
    return any(word in t for t in _cut(window))


def _grams(text: str, n: int) -> Counter[str]:
    """Every n-character substring of text with its count (slices mapped in C: a plan's text is read per length)."""
    return Counter(map(text.__getitem__, map(slice, range(len(text) - n + 1), range(n, len(text) + 1))))


@lru_cache(maxsize=65536)
def _countable(s: str) -> bool:
    """s is short and cannot overlap itself, so its n-gram count is text.count(s)."""
    n = len(s)
    return 2 <= n <= 5 and not any(s[:k] == s[-k:] for k in range(1, n))


class _Plan:
    """The plan's own counts, taken once per text: its 4-character phrases and how often it writes a string."""

    def __init__(self, text: str):
        self.text = text
        self.grams = _grams(text, _PHRASE)
        self._by_len: dict[int, Counter[str]] = {_PHRASE: self.grams}
        self._asked: Counter[int] = Counter()
        self._memo: dict[str, int] = {}

    def count(self, s: str) -> int:
        """text.count(s) (non-overlapping): read off the n-gram counts where s cannot overlap itself."""
        got = self._memo.get(s)
        if got is None:
            n = len(s)
            # A table of every n-gram costs as much as a few hundred text.count calls: made for a length only once
            # it is asked for often (two-character words are; a plan asks for a dozen longer ones).
            self._asked[n] += 1
            if _countable(s) and (n in self._by_len or self._asked[n] > _TABLE_AFTER):
                if n not in self._by_len:
                    self._by_len[n] = _grams(self.text, n)
                got = self._by_len[n][s]
            else:
                got = self.text.count(s)
            self._memo[s] = got
        return got

    def phrase(self, run: str, at: int, ch: str) -> int:
        """How often the plan writes a phrase of the repaired run with the inserted character inside it."""
        best = 0
        for left in range(1, _PHRASE - 1):
            s = at - left
            if s >= 0 and s + _PHRASE <= len(run) + 1:
                best = max(best, self.grams[run[s:at] + ch + run[at : s + _PHRASE - 1]])
        return best
