"""Typo correction over the index vocabulary: one-character edits (substitution, a character missed or typed twice)
and same-pinyin words (an input method's wrong pick: 近式 → 近视), ranked by sound then document frequency; a query
typed in pinyin (jinshi) finds the words that sound so."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from kb.search.analysis import normalise, words

MAX_WINDOW = 8  # longest piece of a query tried as one word
SAME_SOUND = 1_000_000  # a same-pinyin candidate outranks any edit that sounds different


@lru_cache(maxsize=65536)
def pinyin_key(word: str) -> str:
    """Toneless pinyin of a word, syllables joined ("近视" → "jinshi"); pypinyin reads phrases (率 in 龋患率: lv)."""
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(word, errors="default")).lower()


class Speller:
    """Candidates for a typed piece over the index's words, each with its document frequency."""

    def __init__(self, vocab: list[str], df: Callable[[str], int], is_word: Callable[[str], bool] | None = None):
        self.known = set(vocab)
        # A word of the language (jieba's dictionary) that the plan lacks is more likely another word than a typo:
        # an input method's wrong pick sounds the same (心里 for 心理), while one changed character of a real word
        # makes a different word (打工 is not 打击, 游乐场 not 娱乐场), so only same-sound candidates are kept.
        self.is_word = is_word or (lambda w: False)
        self.df = {w: df(w) for w in vocab}
        self.masked: dict[str, list[str]] = {}  # 近*, *视 → words: one substitution away
        self.dropped: dict[str, list[str]] = {}  # the word less one character → words: the typist missed one
        self.sounds: dict[str, list[str]] = {}  # pinyin → words
        for w in vocab:
            if len(w) < 2:
                continue
            for i in range(len(w)):
                self.masked.setdefault(w[:i] + "\0" + w[i + 1 :], []).append(w)
                if len(w) > 2:
                    self.dropped.setdefault(w[:i] + w[i + 1 :], []).append(w)
            self.sounds.setdefault(pinyin_key(w), []).append(w)

    def candidates(self, piece: str) -> list[str]:
        """Known words one edit or one sound away from the piece, best first (same sound, then frequency)."""
        if len(piece) < 2 or piece in self.known:
            return []
        found: set[str] = set()
        if piece.isascii():
            found.update(self.sounds.get(piece.replace(" ", "").lower(), []))
        else:
            for i in range(len(piece)):
                found.update(self.masked.get(piece[:i] + "\0" + piece[i + 1 :], []))
                if len(piece) > 2 and piece[:i] + piece[i + 1 :] in self.known:  # a character typed twice / extra
                    found.add(piece[:i] + piece[i + 1 :])
            found.update(self.dropped.get(piece, []))
            found.update(self.sounds.get(pinyin_key(piece), []))
        sound = pinyin_key(piece) if not piece.isascii() else piece.replace(" ", "").lower()
        if not piece.isascii() and self.is_word(piece):
            found = {w for w in found if pinyin_key(w) == sound}
        ranked = sorted(
            (w for w in found if w != piece),
            key=lambda w: (-(SAME_SOUND * (pinyin_key(w) == sound) + self.df.get(w, 0)), w),
        )
        return ranked

    def correct(self, chunk: str) -> str | None:
        """The chunk with its unknown piece replaced by the best candidate, or None.

        The whole chunk is tried first, then every run of unknown words with its neighbours (法律+援组 → 法律援助,
        so the correction is judged as a whole word), widest first.
        """
        chunk = normalise(chunk)
        if chunk in self.known:
            return None
        best = self.candidates(chunk)
        if best:
            return best[0]
        ws = words(chunk)
        pos, spans = 0, []
        for w in ws:
            start = chunk.find(w, pos)
            if start < 0:
                return None
            spans.append((start, start + len(w)))
            pos = start + len(w)
        unknown = [i for i, w in enumerate(ws) if w not in self.known]
        for i in unknown:
            windows = [(i - 1, i + 1), (i - 1, i), (i, i + 1), (i, i)]
            for a, b in windows:
                if a < 0 or b >= len(ws):
                    continue
                lo, hi = spans[a][0], spans[b][1]
                if hi - lo > MAX_WINDOW:
                    continue
                cands = self.candidates(chunk[lo:hi])
                if cands:
                    return chunk[:lo] + cands[0] + chunk[hi:]
        return None
