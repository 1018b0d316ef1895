"""Co-ownership prior: bodies that published task breakdowns list together for a topic support each other's items."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from nlp import lang, registry
from nlp.lang import read_lines
from nlp.scoring import Hit

COOWN_FILE = "coownership.tsv"
CO_WEIGHT = 0.3  # a body the tables list beside the item's lead for this topic, times the share of such rows
CO_MIN_SHARE = 0.0  # share of the matching rows that must list a body for it to be backed (bench/convention_cv.py)
_held_out: set[str] = set()  # sources left out while their own rows are scored (bench/reliability.py)


@dataclass(frozen=True)
class Row:
    """One row of a published breakdown: its topic words, the bodies in table order, whether the first leads."""

    topics: tuple[str, ...]
    bodies: tuple[str, ...]
    first_leads: bool
    source: str


@lru_cache(maxsize=1)
def rows() -> tuple[Row, ...]:
    """Every table row; a body the registry does not know, or a malformed row, is refused with its line."""
    out = []
    for n, line in enumerate(read_lines(COOWN_FILE), 1):
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) != 4 or cells[2] not in ("first", "none"):
            raise ValueError(f"{COOWN_FILE}: row {n} needs topics<TAB>bodies<TAB>first|none<TAB>source: {line[:60]!r}")
        bodies = []
        for name in cells[1].split("|"):
            dep = registry.resolve(name)
            if dep is None:
                raise ValueError(f"{COOWN_FILE}: row {n}: unknown body {name!r}")
            bodies.append(dep.canonical)
        out.append(Row(tuple(cells[0].split("|")), tuple(bodies), cells[2] == "first", cells[3]))
    return tuple(out)


def hold_out(sources: set[str]) -> None:
    """Leave the rows of these sources out of the prior (cross-validation on those tables); empty restores all."""
    _held_out.clear()
    _held_out.update(sources)


def prior(anchor: str, topics: set[str] | None, table: tuple[Row, ...] | None = None) -> dict[str, tuple[float, str]]:
    """Body → (share of the matching rows that list it beside the anchor, the topic word) for rows on these topics
    (None: every row listing the anchor)."""
    table = table if table is not None else tuple(r for r in rows() if r.source not in _held_out)
    matching = [(r, t) for r in table for t in r.topics if (topics is None or t in topics) and anchor in r.bodies]
    seen_rows: dict[Row, str] = {}
    for r, t in matching:
        seen_rows.setdefault(r, t)
    count: dict[str, int] = defaultdict(int)
    word: dict[str, str] = {}
    for r, t in seen_rows.items():
        for b in r.bodies:
            if b != anchor:
                count[b] += 1
                word.setdefault(b, t)
    n = len(seen_rows)
    return {b: (c / n, word[b]) for b, c in count.items()} if n else {}


def hits(text: str, anchor: str) -> list[Hit]:
    """Support for the anchor's usual co-owners of the topics this text is about; evidence is the topic word."""
    words = set(lang.cut(text))
    out = []
    for body, (share, topic) in prior(anchor, words).items():
        at = text.find(topic)
        if at >= 0 and share >= CO_MIN_SHARE:
            w = CO_WEIGHT * share
            out.append(Hit(body, at, at + len(topic), topic, "co", w, f"coown:{topic}→{anchor}", "inferred"))
    return out
