"""Sense checks for cue words with two senses (残疾 as an outcome vs the group), read from nlp/data/senses.tsv."""

from __future__ import annotations

import re
from functools import lru_cache

from nlp import registry
from nlp.lang import read_lines

SENSES_FILE = "senses.tsv"
WINDOW = 12  # characters of context on each side that a sense pattern may look at


@lru_cache(maxsize=1)
def rules() -> dict[str, list[tuple[re.Pattern, str, str]]]:
    """word → [(compiled context pattern, why, body)]; body "" = the word gives no body at all in that sense, else
    only that body's reading of the word is set aside; a malformed row is refused with its line."""
    out: dict[str, list[tuple[re.Pattern, str, str]]] = {}
    for n, line in enumerate(read_lines(SENSES_FILE), 1):
        cells = line.split("\t")
        if len(cells) < 2 or "{w}" not in cells[1]:
            raise ValueError(f"{SENSES_FILE}: row {n} needs word<TAB>pattern with {{w}}: {line!r}")
        word, pattern = cells[0].strip(), cells[1].strip()
        try:
            rx = re.compile(pattern.replace("{w}", re.escape(word)))
        except re.error as e:
            raise ValueError(f"{SENSES_FILE}: row {n} bad pattern {pattern!r}: {e}") from e
        body = cells[3].strip() if len(cells) > 3 else ""
        if body:
            dep = registry.resolve(body)
            if dep is None:
                raise ValueError(f"{SENSES_FILE}: row {n}: unknown body {body!r}")
            body = dep.canonical
        out.setdefault(word, []).append((rx, cells[2].strip() if len(cells) > 2 else "", body))
    return out


def other_sense(word: str, text: str, start: int, end: int, body: str | None = None) -> str | None:
    """The reason the word at text[start:end] is read in another sense than the one that points at body (every
    body when None: only the rows that set the word aside for all bodies), or None."""
    lo, hi = max(0, start - WINDOW), min(len(text), end + WINDOW)
    window = text[lo:hi]
    for rx, why, only in rules().get(word, ()):
        if only and only != body:
            continue
        for m in rx.finditer(window):
            # the match must cover this occurrence, not another copy of the word nearby
            if m.start() + lo <= start and end <= m.end() + lo:
                return why or rx.pattern
    return None
