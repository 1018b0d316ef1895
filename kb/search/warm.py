"""Warming a process before it serves: the build loaded and one query of every kind answered."""

from __future__ import annotations

from typing import Any

from kb.search.engine import Engine, engine
from kb.search.query import SearchError

WARM_FILE = "search_warm.txt"  # nlp/data: one query of every kind, answered before a process serves
WARM_ARGS: tuple[dict[str, Any], ...] = (
    {},
    {"sort": "plan", "limit": 50},
    {"kind": "measure", "has_indicator": "1"},
    {"spell": "0"},
)


def warm_queries(eng: Engine) -> list[str]:
    """The warm-up searches: every kind of query (nlp/data/search_warm.txt), then the build's rarest and commonest
    words, so both the sparse and the dense scoring paths run."""
    from nlp.lang import read_lines

    vocab = sorted((w for w in eng.ix.vocabulary() if len(w) > 1), key=lambda w: (eng.ix.df("text", w), w))
    own = [vocab[0], vocab[len(vocab) // 2], vocab[-1]] if vocab else []
    return [*read_lines(WARM_FILE), *own]


def warm_up(queries: bool = True) -> bool:
    """Load the live build's index, analyser, OpenCC, pypinyin, speller and item cache now and answer one query of
    every kind, so a worker's first request is as fast as the rest (called by `kb serve` before workers fork);
    False when there is no build to load yet. queries=False: only make sure the build is loaded (a forked worker's
    threads, whose caches the master filled)."""
    import numpy.ma  # noqa: F401  numpy imports it on the first sparse union (np.union1d): 0.1 s otherwise

    from kb.search import search  # the package's entry point, which imports this module

    try:
        eng = engine()
    except SearchError:
        return False
    if not queries:
        return True
    eng.speller()
    eng.vocabulary()
    eng.prefetch()
    for n, q in enumerate(warm_queries(eng)):
        search(q, **WARM_ARGS[n % len(WARM_ARGS)])
    return True
