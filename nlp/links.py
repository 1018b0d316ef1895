"""Measure → goal links ('serves'): TF-IDF over jieba tokens plus topics, indicators and target groups."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache
from operator import itemgetter

from nlp.lang import cut, read_lines
from nlp.model import Item, Link, Plan
from nlp.stated import without_notes

TITLE_WEIGHT = 3.0  # a measure's title names what it is for; its body lists many side tasks
TOPIC_WEIGHT = 2.0  # a shared topic lexicon entry counts like a few shared content words
INDICATOR_WEIGHT = 3.0  # the same measured quantity is the strongest evidence a measure serves a goal
RELATIVE = 0.65  # a second/third goal must score this share of the measure's best goal
MAX_GOALS = 3
CROSS_FACTOR = 0.5  # cross-domain links are kept at half score …
CROSS_MIN = 1.5  # … and only when clearly stronger than every in-domain goal
BACKFILL = 0.45  # an unserved goal takes its best measure if it scores this share of that measure's best
_CJK = re.compile(r"[\u4e00-\u9fff]")
PREFIX_LABELS = {"#": "主题", "@": "指标", "^": "对象", "": ""}  # how `why` names a pseudo-token's kind
WHY_SEP = "、"
BACKFILL_MARK = "(补充)"
WHY_TERMS = 5


@lru_cache(maxsize=1)
def _lexicon() -> tuple[frozenset[str], list[tuple[str, tuple[str, ...]]]]:
    """Stop words and topic → terms (nlp/data/topics.tsv, link_stopwords.txt), loaded on first use."""
    stops = frozenset(w for ln in read_lines("link_stopwords.txt") for w in ln.split())
    topics = []
    for ln in read_lines("topics.tsv"):
        name, _, terms = ln.partition("\t")
        topics.append((name.strip(), tuple(t for t in re.split(r"[,,\s]+", terms) if t)))
    return stops, topics


def topic_names() -> frozenset[str]:
    """The topic lexicon's names (a `why` piece 主题X is a topic only when X is one of them)."""
    return frozenset(name for name, _terms in _lexicon()[1])


def _terms(text: str) -> defaultdict[str, float]:
    """Content tokens (jieba search mode, so 近视率 also yields 近视) with topic pseudo-tokens (a new bag)."""
    return defaultdict(float, _term_bag(text))


@lru_cache(maxsize=8192)
def _term_bag(text: str) -> tuple[tuple[str, float], ...]:
    """_terms' bag, remembered per text (the lexicon is fixed): later plans share many items with earlier ones."""
    stops, topics = _lexicon()
    bag: defaultdict[str, float] = defaultdict(float)  # weights are fractional (topics, indicators)
    for w in cut(text, search=True):
        if len(w) > 1 and _CJK.search(w) and w not in stops:
            bag[w] += 1.0
    for name, terms in topics:
        hits = sum(1 for t in terms if t in text)
        if hits:
            bag["#" + name] += TOPIC_WEIGHT * min(hits, 2) / 2
    return tuple(bag.items())


def _features(item: Item) -> defaultdict[str, float]:
    """Weighted bag for an item: title counted TITLE_WEIGHT times, indicators and target groups as pseudo-tokens."""
    bag = _terms(without_notes(item.text))  # an assignment note's body names are no shared topic
    for w, n in _terms(item.title).items():
        bag[w] += n * (TITLE_WEIGHT - 1)
    for ind in item.indicators:
        bag["@" + _metric(ind.name)] += INDICATOR_WEIGHT
    for g in item.target_groups:
        bag["^" + g] += 1.0
    return bag


def _metric(name: str) -> str:
    """The measured quantity without its population: 小学生近视率 → 近视率 (last jieba token + suffix)."""
    words = [w for w in cut(name) if _CJK.search(w)]
    return "".join(words[-2:]) if words and len(words[-1]) == 1 else (words[-1] if words else name)


def _vectors(docs: dict[str, defaultdict[str, float]]) -> dict[str, dict[str, float]]:
    """Sublinear TF × smoothed IDF, L2-normalised."""
    df = Counter(w for bag in docs.values() for w in bag)
    n = len(docs)
    out = {}
    for key, bag in docs.items():
        vec = {w: (1 + math.log(c)) * math.log(1 + n / df[w]) for w, c in bag.items() if c > 0}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        out[key] = {w: v / norm for w, v in vec.items()}
    return out


def _why(a: dict[str, float], b: dict[str, float]) -> str:
    """The shared terms that contribute most, as a short explanation; a word inside a longer shared word
    (jieba's search mode yields 新生, 生儿 beside 新生儿) is left out as the longer one says it."""
    shared = set(a) & set(b)
    plain = [w for w in shared if w[0] not in "#@^"]
    kept = [w for w in shared if w[0] in "#@^" or not any(w != o and w in o for o in plain)]
    top = sorted(kept, key=lambda w: (-a[w] * b[w], w))[:WHY_TERMS]
    return WHY_SEP.join(f"{PREFIX_LABELS.get(w[0], '')}{w.lstrip('#@^')}" for w in top)


def score_pairs(plan: Plan) -> tuple[dict[str, list[tuple[float, Item]]], dict[str, dict[str, float]]]:
    """(measure id → [(score, goal)] for every goal of the plan, best first; each item's weighted vector).

    The `why` of a pair is read from the vectors only for the pairs that become links (a few per measure).
    """
    goals = [i for i in plan.items if i.kind == "goal"]
    measures = [i for i in plan.items if i.kind == "measure"]
    vecs = _vectors({i.id: _features(i) for i in goals + measures})
    # The goals holding each term: a measure's dot products visit only the goals it shares a term with, adding each
    # goal's products in the measure's term order (what sum() over the measure's terms adds, to the last bit).
    holders: defaultdict[str, list[tuple[int, float]]] = defaultdict(list)
    for n, g in enumerate(goals):
        for w, v in vecs[g.id].items():
            holders[w].append((n, v))
    out = {}
    for m in measures:
        dot: list[float] = [0] * len(goals)
        for w, v in vecs[m.id].items():
            for n, gv in holders.get(w, ()):
                dot[n] += v * gv
        out[m.id] = sorted(zip(dot, goals, strict=True), key=itemgetter(0), reverse=True)  # stable, as -score was
    return out, vecs


def link_measures(plan: Plan) -> None:
    """Fill measure.serves with ranked Links: 1–3 goals of the same domain, strong cross-domain ones flagged."""
    scores, vecs = score_pairs(plan)
    by_id = {i.id: i for i in plan.items}
    best_of: dict[str, float] = {}
    for mid, rows in scores.items():
        m, mv = by_id[mid], vecs[mid]
        own = [r for r in rows if r[1].domain_code == m.domain_code]
        other = [r for r in rows if r[1].domain_code != m.domain_code]
        top = own[0][0] if own else 0.0
        best_of[mid] = top
        links = [
            Link(goal=g.id, score=round(s, 4), why=_why(mv, vecs[g.id]))
            for s, g in own[:MAX_GOALS]
            if s > 0 and s >= RELATIVE * top
        ]
        # capped below the in-domain best: links within the domain stay primary
        links += [
            Link(
                goal=g.id, score=round(min(s * CROSS_FACTOR, 0.9 * top), 4), why=_why(mv, vecs[g.id]), cross_domain=True
            )
            for s, g in other[:1]
            if s > CROSS_MIN * top > 0
        ]
        m.serves = sorted(links, key=lambda lk: -lk.score)
    _backfill(plan, scores, best_of, vecs)


def _backfill(plan: Plan, scores, best_of: dict[str, float], vecs: dict[str, dict[str, float]]) -> None:
    """A goal no measure chose gets its best-scoring measure of the same domain, if that link is not weak."""
    served = {lk.goal for i in plan.items for lk in i.serves}
    cands: dict[str, list[tuple[float, Item]]] = defaultdict(list)
    by_id = {i.id: i for i in plan.items}
    for mid, rows in scores.items():
        for s, g in rows:
            if g.id not in served and g.domain_code == by_id[mid].domain_code and best_of[mid] > 0:
                cands[g.id].append((s / best_of[mid], by_id[mid]))
    for gid, rows in cands.items():
        rel, m = max(rows, key=lambda r: r[0])
        if rel >= BACKFILL:
            score = round(rel * best_of[m.id], 4)
            why = f"{_why(vecs[m.id], vecs[gid])}{BACKFILL_MARK}"
            m.serves = sorted([*m.serves, Link(goal=gid, score=score, why=why)], key=lambda lk: -lk.score)


def unserved_goals(plan: Plan) -> list[Item]:
    """Goals that no measure serves: the gap check."""
    served = {lk.goal for i in plan.items if i.kind == "measure" for lk in i.serves}
    return [i for i in plan.items if i.kind == "goal" and i.id not in served]
