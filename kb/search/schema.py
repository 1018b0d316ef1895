"""Search index schema: the fields of a search document (an item or one of its clauses), their boosts and BM25F
parameters, and where the whoosh index of record lives in a build's index folder."""

from __future__ import annotations

from pathlib import Path

from whoosh import index as windex
from whoosh.fields import BOOLEAN, ID, KEYWORD, STORED, TEXT, Schema

from kb.search.analysis import analyzer, bigram_analyzer

# Field boosts: the title states what an item is about; indicator names find targets; the repaired text is the
# main body, the raw text only adds what repairs may have missed; bigrams are a low-weight fallback.
FIELD_BOOSTS = {"title": 3.0, "indicators": 2.5, "text": 1.0, "groups": 1.0, "raw": 0.3, "ngram": 0.35}
SEARCH_FIELDS = tuple(FIELD_BOOSTS)
B, K1 = 0.75, 1.2  # whoosh's BM25F parameters (its defaults)
INDEX_NAME = "items"


def schema() -> Schema:
    """Fields of a search document (an item or one of its clauses); one analyzer for every text field.

    No positions: phrases are verified on the item's normalised text, since search-mode sub-words overlap.
    """
    an, bg = analyzer(), bigram_analyzer()
    return Schema(
        id=STORED(),
        item=ID(sortable=True),
        level=ID(sortable=True),
        plan=ID(sortable=True),
        kind=ID(sortable=True),
        domain=ID(sortable=True),
        domain_code=ID(sortable=True),
        has_ind=BOOLEAN(),
        depts=KEYWORD(commas=True),
        lead=KEYWORD(commas=True),
        **{f: TEXT(analyzer=bg if f == "ngram" else an, phrase=False, field_boost=b) for f, b in FIELD_BOOSTS.items()},
    )


def whoosh_index(index_dir: Path):
    """The build's whoosh index (the index of record), opened read-only."""
    return windex.open_dir(str(index_dir), indexname=INDEX_NAME, readonly=True)
