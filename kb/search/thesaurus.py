"""Everyday words the plan never uses, searched as the plan's words of the same meaning: our thesaurus of
child-welfare wording (nlp/data/search_thesaurus.tsv: 人贩子/拐卖, 逃学/辍学, 喂奶/母乳喂养), filtered to the words of
the index.

Only a word the index does not hold is expanded, and only into words it does hold: a plan word keeps its own
meaning, and an everyday word finds the plan's of the same group in any plan of the genre. A one-character word is
too ambiguous to take a group's words: it takes only the compounds built on it (胖 → 肥胖). Word formation reaches
words the thesaurus lacks: pieces that carry no topic (nlp/data/search_affixes.txt: 小, 太, 被 …) are dropped
(小胖墩 → 胖墩, 太胖 → 胖), and a word held only extended (胖墩 → 胖墩墩) is looked up by that form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from kb.search.analysis import words
from nlp.lang import read_lines

if TYPE_CHECKING:
    from kb.search.query import ParsedQuery

MAX_RELATED = 3  # plan words added for one typed word
AFFIX_FILE = "search_affixes.txt"  # nlp/data: pieces of everyday words that carry no topic
THESAURUS_FILE = "search_thesaurus.tsv"  # nlp/data: groups of everyday and official words of one meaning
RARE = 2  # documents (an item and its clause): a word the plan uses only in passing is searched as its group too
EXTENDED = 1  # characters an extended form may add (reduplication: 胖墩 → 胖墩墩)


@lru_cache(maxsize=1)
def coded() -> dict[str, tuple[tuple[frozenset[str], tuple[str, ...]], ...]]:
    """Word → the thesaurus groups holding it, each with its tags (topic, "harm"), in file order."""
    found: dict[str, list[tuple[frozenset[str], tuple[str, ...]]]] = {}
    for line in read_lines(THESAURUS_FILE):
        tags, _, members = line.partition("\t")
        group = tuple(dict.fromkeys(w.strip() for w in members.split("|") if w.strip()))
        for w in group:
            found.setdefault(w, []).append((frozenset(tags.split()), group))
    return {w: tuple(gs) for w, gs in found.items()}


@lru_cache(maxsize=1)
def groups() -> dict[str, tuple[tuple[str, ...], ...]]:
    """Word → the thesaurus groups holding it."""
    return {w: tuple(g for _, g in gs) for w, gs in coded().items()}


@lru_cache(maxsize=1)
def affixes() -> dict[str, tuple[str, ...]]:
    """Topic-less pieces of everyday words, longest first → the tags the rest's group must carry (none: any)."""
    rows = [(*ln.split("\t"), "")[:2] for ln in read_lines(AFFIX_FILE)]
    return {a.strip(): tuple(cls.split()) for a, cls in sorted(rows, key=lambda r: -len(r[0].strip()))}


def is_affix(word: str) -> bool:
    return word in affixes()


@lru_cache(maxsize=1)
def _by_prefix() -> dict[str, tuple[str, ...]]:
    """The thesaurus's words by their first two characters (to find a word's extended forms)."""
    out: dict[str, list[str]] = {}
    for w in groups():
        if len(w) > 2:
            out.setdefault(w[:2], []).append(w)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _groups_of(word: str, classes: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The word's thesaurus groups (only those with one of these tags, when given), or those of its extended forms
    when the thesaurus lacks the word itself."""
    found = coded().get(word)
    if not found and len(word) > 1:
        longer = [w for w in _by_prefix().get(word[:2], ()) if w.startswith(word) and len(w) <= len(word) + EXTENDED]
        found = tuple(cg for w in longer for cg in coded()[w])
    return [g for tags, g in found or () if not classes or tags.intersection(classes)]


def _members(word: str, held: Callable[[str], int], classes: tuple[str, ...] = ()) -> list[str]:
    """Held members of the word's groups (for one character: only compounds that contain it), the commoner first
    within a group."""
    out: list[str] = []
    for group in _groups_of(word, classes):
        members = [w for w in group if w != word and len(w) > 1 and held(w) and (len(word) > 1 or word in w)]
        out.extend(w for w in sorted(members, key=lambda w: -held(w)) if w not in out)
    return out[:MAX_RELATED]


def _stems(word: str) -> list[tuple[str, tuple[str, ...]]]:
    """The word without a topic-less piece at its start (小胖墩 → 胖墩, 被打 → 打), with the piece's classes."""
    return [(word[len(a) :], cls) for a, cls in affixes().items() if word.startswith(a) and len(word) > len(a)]


def related(word: str, held: Callable[[str], int]) -> list[str]:
    """The plan's words for a word the plan lacks: members of its thesaurus groups the index holds (held(w) =
    documents holding w), group by group, the commoner first; failing that, those of the word without a topic-less
    piece (or that word itself when the plan holds it); [] for a word the index holds or an affix."""
    if held(word) > RARE or is_affix(word):
        return []
    out = _members(word, held)
    for stem, classes in _stems(word) if not out else ():
        out = [stem] if held(stem) else _members(stem, held, classes)
        if out:
            break
    return out


def phrases(held: Callable[[str], int]) -> Callable[[str], int]:
    """held for a thesaurus phrase too: an official term the index cuts into words (儿童福利机构 → 儿童/福利/机构)
    counts as held when each word is, by its rarest word (an upper bound, enough to choose and order the forms)."""

    def held_phrase(term: str) -> int:
        found = held(term)
        parts = words(term)
        if found or len(parts) < 2 or any(len(p) < 2 for p in parts):
            return found
        return min(held(p) for p in parts)

    return held_phrase


def everyday(pq: ParsedQuery, held: Callable[[str], int]) -> None:
    """A parsed query's everyday words in the plan's words (kb.search.query.refine; held(w) = documents holding w):
    topic-less pieces beside other words dropped, the thesaurus's new words for a word the plan lacks (beside the
    forms our synonym data gave it), and an everyday head's official form joined to the word typed before it."""
    held_any = phrases(held)
    if len(pq.concepts) > 1:  # 小 of 小/胖墩: a topic-less piece standing beside the words is no word to find
        pq.concepts = [c for c in pq.concepts if c.phrase or not is_affix(c.word) or held(c.word)] or pq.concepts
    for c in pq.concepts:
        if not c.phrase:
            typed = next((a + c.word for a in affixes() for ch in pq.chunks if a + c.word in ch), c.word)  # 被+打
            for w in related(typed, held_any):
                # a new word only: a longer or shorter form of a word already searched (欺凌 → 学生欺凌,
                # 网络游戏 → 游戏) would only shift the ranking towards one of its phrasings
                if w not in c.never and w != c.word and not any(w in f or f in w for f, via in c.forms if via):
                    c.forms.append((w, c.word))
    _recombine(pq, held)


def _recombine(pq: ParsedQuery, held: Callable[[str], int]) -> None:
    """A word typed together with an everyday head whose official form makes a plan word (留守孩子 → 留守儿童,
    残疾孩子 → 残疾儿童): that word is a form of the head and is wanted whole."""
    for a, b in zip(pq.concepts, pq.concepts[1:], strict=False):
        if a.phrase or b.phrase or not any(a.word + b.word in ch for ch in pq.chunks):
            continue
        for form, _ in b.forms[1:]:
            whole = a.word + form
            if held(whole) and whole not in pq.joined:
                pq.joined.append(whole)
                b.forms.append((whole, b.word))
