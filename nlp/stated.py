"""A stated assignment: a task whose text prints its bodies ("(X牵头，Y按职责分工负责)", "责任单位：…") is theirs."""

from __future__ import annotations

import re
from functools import lru_cache

from nlp.mentions import LABEL, LABEL_ROLES, UNLISTED, find_mentions, names_any
from nlp.scoring import Hit, Tally

# A note that states an item's whole assignment: "(省卫生健康委牵头，省教育厅、省财政厅按职责分工负责)" or
# "责任单位：县卫健局、县教育局" — the form of every 分工方案 and of plans that print each task's bodies after it.
_BODY = re.compile(UNLISTED)  # a body the registry does not hold
_SENTENCE_END = re.compile(r"[。;；\n]")
_NOTE_BRACKETS = re.compile(r"[（(]([^（）()]{2,200})[）)]")
_NOTE_FILLER = re.compile(
    "(?:"
    + "|".join(sorted(LABEL_ROLES, key=len, reverse=True))  # the labels mentions reads the roles from
    + "|各有关部门|有关部门|相关部门|有关单位|相关单位"
    r"|按职责分工负责|按照职责分工负责|按职责负责|分别负责|共同负责|牵头负责|牵头|负责|配合|协助|参与|会同|等|和|及|与"
    r"|[、，,;；：:\s])"
)


@lru_cache(maxsize=8192)  # asked by the tagger and by links for every item; plans share most of their texts
def note_spans(text: str) -> tuple[tuple[int, int], ...]:
    """Where the text states its assignment: each bracket of bodies and role words only, and each 责任单位：… label
    with what follows it to the end of its sentence."""
    out = []
    for label in LABEL.finditer(text):  # 责任单位：X — a label right before a named body
        after = text[label.end() : label.end() + 40]
        if names_any(after) and any(m.start <= 8 for m in find_mentions(after)):
            end = _SENTENCE_END.search(text, label.end())
            out.append((label.start(), end.start() if end else len(text)))
    for b in _NOTE_BRACKETS.finditer(text):
        inner = b.group(1)
        found = find_mentions(inner) if names_any(inner) else []
        if not found:
            continue
        rest = list(inner)
        for m in found:
            rest[m.start : m.end] = ["、"] + [""] * (m.end - m.start - 1)
        # what is left between the role words: nothing, or bodies the registry does not hold (人民银行, 国资委)
        left = [w for w in _NOTE_FILLER.split("".join(rest)) if w]
        if all(len(w) <= 1 or _BODY.fullmatch(w) for w in left):
            out.append(b.span())
    return tuple(sorted(out))


def assignment_note(text: str) -> bool:
    """Whether the text states its whole assignment in a note of bodies and role words only (a bracket or a
    责任单位： label): then the bodies it names are the task's, and a topic word does not add another."""
    return bool(note_spans(text))


def without_notes(text: str) -> str:
    """The task's own words: the text with its assignment notes cut out (their body names and 按职责分工负责 are
    no content another item could share: links read this)."""
    out, at = [], 0
    for start, end in note_spans(text):
        if start >= at:
            out.append(text[at:start])
            at = end
    return "".join(out) + text[at:]


def states(text: str, hits: list[Hit]) -> bool:
    """Whether the text states its whole assignment ("(X牵头，Y、Z按职责分工负责)", "责任单位：…") and names a body."""
    return any(h.source == "explicit" for h in hits) and assignment_note(text)


def restrict(tallies: dict[str, Tally], stated: bool, minimum: float) -> tuple[dict[str, Tally], set[str]]:
    """(the tallies to rank, the bodies held back as candidates): a text that states its whole assignment tags only
    the bodies it names (and a section's own "**"); the bodies its topic words point at (listed at `minimum`) stay
    candidates."""
    if not stated:
        return tallies, set()
    kept = {d: t for d, t in tallies.items() if t.explicit or t.forced}
    return kept, {d for d, t in tallies.items() if d not in kept and t.total >= minimum}
