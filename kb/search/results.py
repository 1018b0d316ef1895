"""Presenting search hits: highlighted snippets, why an item matched, facet counts, did-you-mean."""

from __future__ import annotations

import difflib
import html
from collections import Counter
from collections.abc import Sequence

import numpy as np

from kb.duties import item_duties
from kb.labels import ROLE, SEARCH_FIELD
from kb.search.analysis import bigrams, normalise, same_length_norm, search_tokens
from kb.search.query import ParsedQuery

SNIPPET_CHARS = 140


def highlight_terms(pq: ParsedQuery) -> list[str]:
    """Strings to mark: every form of every concept, the typed words' multi-character sub-words, longest first."""
    terms: set[str] = set()
    for c in pq.concepts:
        for form, via in c.forms:
            terms.add(form)
            if not c.phrase and via is None:  # a synonym's parts (视力不良 → 不良) would mark noise
                terms.update(t for t, _, _ in search_tokens(form) if len(t) > 1 or len(c.word) == 1)
    terms.update(typed for _, typed, _ in pq.depts)
    terms.update(pq.joined)
    return sorted((t for t in terms if t.strip()), key=len, reverse=True)


def fallback_terms(pq: ParsedQuery) -> list[str]:
    """Character bigrams of the typed words: what a fragment or a damaged text matched through (the bigram field)."""
    grams = {b for c in pq.concepts for b, _, _ in bigrams(c.word) if len(b) > 1}
    return sorted(grams, key=len, reverse=True)


def find_spans(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """Merged (start, end) ranges of every occurrence of the terms in text (overlaps and neighbours joined)."""
    norm = same_length_norm(text)
    hits = []
    for t in terms:
        if not t:
            continue
        start = norm.find(t)
        while start != -1:
            hits.append((start, start + len(t)))
            start = norm.find(t, start + 1)
    hits.sort()
    spans: list[tuple[int, int]] = []
    for s, e in hits:
        if spans and s <= spans[-1][1]:  # overlapping or touching the previous range: one range
            if e > spans[-1][1]:
                spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    return spans


def mark(text: str, spans: list[tuple[int, int]], lo: int = 0, hi: int | None = None) -> str:
    """HTML of text[lo:hi] with spans wrapped in <mark>; every piece escaped, so markup in text stays inert."""
    hi = len(text) if hi is None else hi
    out, pos = [], lo
    for s, e in spans:
        if e <= lo or s >= hi:
            continue
        s, e = max(s, lo), min(e, hi)
        out.append(html.escape(text[pos:s]))
        out.append("<mark>" + html.escape(text[s:e]) + "</mark>")
        pos = e
    out.append(html.escape(text[pos:hi]))
    return "".join(out)


def passage(
    item: dict, terms: list[str], fallback: Sequence[str] = ()
) -> tuple[str, list[tuple[int, int]], str | None]:
    """(text, spans, clause id) of the best-matching clause, else the title, item text or raw text; when no term is
    found anywhere, the fallback terms (bigrams) are looked for, so the snippet shows what matched."""
    clauses = [(c["text"], c.get("id")) for c in item.get("clauses") or []]
    whole = [(item.get(k) or "", None) for k in ("title", "text", "raw_text")]
    for words in (terms, list(fallback)):
        for candidates in (clauses, whole):  # a clause first: the item page opens there
            best, best_spans, best_score = None, [], 0.0
            for text, cid in candidates:
                spans = find_spans(text, words)
                found = {text[s:e] for s, e in spans}  # distinct words: a clause naming them all beats repeats
                score = sum(len(f) ** 1.5 for f in found) + 4 * len(found)
                if score > best_score:
                    best, best_spans, best_score = (text, cid), spans, score
            if best is not None:
                return best[0], best_spans, best[1]
    text, cid = (clauses or whole)[0]
    return text, [], cid


def snippet_of(text: str, spans: list[tuple[int, int]]) -> str:
    """The passage cut around its first hit, highlighted."""
    if len(text) <= SNIPPET_CHARS:
        return mark(text, spans)
    first = spans[0][0] if spans else 0
    lo = max(0, min(first - 30, len(text) - SNIPPET_CHARS))
    hi = lo + SNIPPET_CHARS
    return ("…" if lo else "") + mark(text, spans, lo, hi) + ("…" if hi < len(text) else "")


def snippet(item: dict, terms: list[str], fallback: Sequence[str] = ()) -> str:
    """The best-matching clause (or the title), cut around its first hit, highlighted."""
    text, spans, _ = passage(item, terms, fallback)
    return snippet_of(text, spans)


def why(item: dict, pq: ParsedQuery) -> list[str]:
    """Short reasons: which query word (or its synonym) was found in which field, and responsibility hits."""
    fields = {
        "title": item.get("title") or "",
        "indicators": " ".join(i["name"] for i in item.get("indicators", [])),
        "text": item.get("text") or "",
        "raw": item.get("raw_text") or "",
        "groups": " ".join(item.get("target_groups") or []),
    }
    fields = {k: same_length_norm(v) for k, v in fields.items()}
    out = []
    for c in pq.concepts:
        for form, via in c.forms:
            hit = [k for k in ("title", "indicators", "text", "groups") if form in fields[k]]
            repaired = "text" in hit and form not in fields["raw"]
            if not hit and form in fields["raw"]:
                hit = ["raw"]
            if not hit:
                continue
            where = "、".join(SEARCH_FIELD[k] for k in hit)
            label = f"“{form}”" + (f"(“{via}”的同义词)" if via else "") + ("(短语)" if c.phrase else "")
            out.append(f"{label} → {where}" + ("(修复后文本)" if repaired else ""))
            break
        else:
            parts = [t for t, _, _ in search_tokens(c.word) if len(t) > 1 and t in fields["text"] + fields["title"]]
            if parts:
                out.append(f"“{c.word}”部分匹配:" + "、".join(dict.fromkeys(parts)))
    for canon, typed, _ in pq.depts:
        duty = item_duties(item).get(canon)
        if duty is not None:
            role = ROLE[duty.role]
            out.append(f"{canon} {role}" + (f"(查询中的“{typed}”)" if typed != canon else ""))
    return out


class Vocabulary:
    """Known words for did-you-mean, with a character index so only words that can be close are compared."""

    def __init__(self, vocab: list[str]):
        self.words, self.known = vocab, set(vocab)
        self.lengths = np.array([len(w) for w in vocab], dtype=np.int32)
        index: dict[str, list[int]] = {}
        for n, w in enumerate(vocab):
            for ch in set(w):
                index.setdefault(ch, []).append(n)
        self.index = {ch: np.array(ns, dtype=np.int32) for ch, ns in index.items()}

    def close(self, word: str, cutoff: float = 0.7) -> str | None:
        """The closest known word (difflib ratio ≥ cutoff), as difflib.get_close_matches over all words finds it.

        ratio = 2·matches/(len a + len b), and matches ≤ Σ count-in-word of the word's characters the other holds,
        so words whose bound is below the cutoff are skipped without changing the answer.
        """
        chars = Counter(word)
        hits = [(self.index[ch], k) for ch, k in chars.items() if ch in self.index]
        if not hits:
            return None
        bound = np.bincount(
            np.concatenate([ns for ns, _ in hits]),
            weights=np.concatenate([np.full(len(ns), k, dtype=np.float64) for ns, k in hits]),
            minlength=len(self.words),
        )
        cand = np.flatnonzero(2 * bound >= cutoff * (len(word) + self.lengths) - 1e-9)
        close = difflib.get_close_matches(word, [self.words[i] for i in cand], n=1, cutoff=cutoff)
        return close[0] if close else None


def did_you_mean(pq: ParsedQuery, vocabulary: Vocabulary, found_in: str = "") -> list[str]:
    """The query with each typed piece that is neither a known word nor found replaced by the closest known word."""
    dept_typed = {typed for _, typed, _ in pq.depts}
    text, changed = normalise(pq.text), False
    for chunk in pq.chunks:
        if len(chunk) < 2 or chunk in vocabulary.known or chunk in found_in or chunk in dept_typed:
            continue
        close = vocabulary.close(chunk)
        if close and close != chunk:
            text, changed = text.replace(chunk, close), True
    return [text] if changed else []
