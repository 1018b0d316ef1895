"""What each body is for: BM25 over jieba words between a clause and every body's published main functions."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from nlp import lang, registry
from nlp.lang import read_lines
from nlp.scoring import Hit

MANDATES_FILE = "mandates.tsv"
MANDATE_WEIGHT = 0.35  # a clause that reads like a body's published function supports it, less than a topic word
MANDATE_MIN = 6  # BM25 score a mandate match needs to count (chosen on the dev data; see bench/reliability.py)
MANDATE_NORM = 8.0  # score at which a mandate match counts in full
K1, B = 1.2, 0.75
STOPWORDS_FILE = "mandate_stopwords.txt"  # words too common in government text to tell bodies apart


@lru_cache(maxsize=1)
def _stop() -> frozenset[str]:
    return frozenset(read_lines(STOPWORDS_FILE))


@dataclass(frozen=True)
class Mandate:
    """One clause of a body's published functions."""

    body: str
    clause: str
    words: tuple[str, ...]
    level: str
    source: str


@dataclass(frozen=True)
class Match:
    """A body whose mandate clause matches a text: the score, the clause, and the shared words."""

    body: str
    score: float
    clause: str
    words: tuple[str, ...]


def words(text: str) -> list[str]:
    """Content words of a text: jieba words of two or more characters that are not boilerplate, plus the two-character
    halves of four-character words (食品安全 → 食品, 安全), so that segmentation granularity does not decide a match."""
    out = []
    for w in lang.cut(text):
        if len(w) < 2 or w in _stop() or w.isdigit():
            continue
        out.append(w)
        if len(w) == 4:
            out += [h for h in (w[:2], w[2:]) if h not in _stop()]
    return out


def _roots(query: list[str], shared: set[str]) -> tuple[str, ...]:
    """The query's own words behind the shared features (a half counts with its whole word, once)."""
    held = list(dict.fromkeys(w for w in query if w in shared))  # each shared word once, in query order
    return tuple(w for w in held if not any(w != o and w in o for o in held))


@lru_cache(maxsize=1)
def mandates() -> tuple[Mandate, ...]:
    """Every mandate clause; a body that is not in the registry is refused with its line."""
    out = []
    for n, line in enumerate(read_lines(MANDATES_FILE), 1):
        cells = line.split("\t")
        if len(cells) != 4:
            raise ValueError(f"{MANDATES_FILE}: row {n} needs 4 TAB-separated cells: {line[:60]!r}")
        body, level, source, functions = (c.strip() for c in cells)
        dep = registry.resolve(body)
        if dep is None:
            raise ValueError(f"{MANDATES_FILE}: row {n}: unknown body {body!r}")
        for clause in filter(None, (c.strip() for c in functions.split("；"))):
            out.append(Mandate(dep.canonical, clause, tuple(words(clause)), level, source))
    return tuple(out)


@dataclass(frozen=True)
class _Index:
    """BM25 statistics over all mandate clauses, with each clause's term counts and an inverted list per word."""

    idf: dict[str, float]
    df: Counter
    tf: tuple[Counter, ...]  # per clause, in mandates() order
    norm: tuple[float, ...]  # per clause: K1 * (1 - B + B * length / mean length)
    postings: dict[str, tuple[int, ...]]  # word → clauses holding it, ascending


@lru_cache(maxsize=1)
def _index() -> _Index:
    """The index over all mandate clauses (built once per process: a clause is scored only if it shares a word)."""
    ms = mandates()
    df = Counter(w for m in ms for w in set(m.words))
    n = len(ms)
    idf = {w: math.log(1 + (n - c + 0.5) / (c + 0.5)) for w, c in df.items()}
    avg = sum(len(m.words) for m in ms) / max(1, n)
    postings: dict[str, list[int]] = {}
    for i, m in enumerate(ms):
        for w in dict.fromkeys(m.words):
            postings.setdefault(w, []).append(i)
    return _Index(
        idf,
        df,
        tuple(Counter(m.words) for m in ms),
        tuple(K1 * (1 - B + B * len(m.words) / avg) for m in ms),
        {w: tuple(ix) for w, ix in postings.items()},
    )


RARE_DF = 2  # a match on one shared word counts only if that word is this rare among all mandate clauses


def match(text: str, top: int = 5) -> list[Match]:
    """Bodies whose best mandate clause matches the text, best first (one clause per body)."""
    return list(_match(text, top))


@lru_cache(maxsize=8192)
def _match(text: str, top: int) -> tuple[Match, ...]:
    """match(), remembered per text (the mandates are fixed once read): a goal's clauses are read again for its
    co-units, and a pool worker's later plans share many clauses with its earlier ones."""
    query = words(text)
    if not query:
        return ()
    ix, ms = _index(), mandates()
    terms = set(query)
    # Only clauses sharing a word can score above 0; visiting them in mandates() order keeps first-wins ties.
    hit = sorted({i for w in terms for i in ix.postings.get(w, ())})
    best: dict[str, Match] = {}
    for i in hit:
        m, tf, norm = ms[i], ix.tf[i], ix.norm[i]
        s = sum(ix.idf[w] * tf[w] * (K1 + 1) / (tf[w] + norm) for w in terms if w in tf)
        if s <= 0 or (m.body in best and s <= best[m.body].score):
            continue
        shared = _roots(query, terms & tf.keys())  # tf counts the clause's words
        # one common shared word (预防, 环境) is a coincidence of wording, not a shared purpose
        if len(shared) >= 2 or ix.df[shared[0]] <= RARE_DF:
            best[m.body] = Match(m.body, round(s, 3), m.clause, shared)
    return tuple(sorted(best.values(), key=lambda x: -x.score)[:top])


def sources() -> dict[str, tuple[str, str]]:
    """body → (level, source URL) of its mandate."""
    return {m.body: (m.level, m.source) for m in mandates()}


def mandate_hits(text: str, spans: list[tuple[int, int]]) -> list[Hit]:
    """Per clause span: bodies whose published function the clause reads like; evidence is the shared word in text."""
    out = []
    for start, end in spans:
        clause = text[start:end]
        for rank, m in enumerate(match(clause)):
            if m.score < MANDATE_MIN:
                break
            word = max(m.words, key=len)
            at = clause.find(word)
            if at < 0:
                continue
            w = MANDATE_WEIGHT * min(1.0, m.score / MANDATE_NORM)
            rule = f"mandate:{m.clause}"
            out.append(
                Hit(
                    m.body, start + at, start + at + len(word), word, "lead" if rank == 0 else "co", w, rule, "inferred"
                )
            )
    return out


def with_mandates(hits: list[Hit], found: list[Hit]) -> list[Hit]:
    """A mandate match confirms a body the text already points at; alone it only makes the body a candidate."""
    supported = {h.dept for h in hits}
    return sorted(hits + [h for h in found if h.dept in supported], key=lambda h: h.start)


def spans(text: str) -> list[tuple[int, int]]:
    """Sentence spans of a free text (for assign_text, which has no clauses)."""
    out, start = [], 0
    for m in re.finditer(r"[。;;]", text):
        out.append((start, m.end()))
        start = m.end()
    if start < len(text):
        out.append((start, len(text)))
    return out
