"""What segmentation works on and gives: a plan's non-empty lines with their raw offsets, the items it finds
before titles and ids, and the whole result (nlp/segment.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from nlp.model import Heading, Repair
from nlp.reader import for_parsing


@dataclass
class Line:
    """One non-empty line of the plan with its offsets in the raw text."""

    no: int
    start: int
    end: int
    text: str  # parse-normalised, stripped
    lead: int  # offset of text[0] in the raw text


@dataclass
class RawItem:
    """An item found by the segmenter, before titles, clauses and ids."""

    kind: str
    number: int | None
    section: str | None
    domain: str | None
    block: str | None
    lines: list[Line] = field(default_factory=list)
    body_start: int = 0  # raw offset after the number prefix
    title_hint: str | None = None  # the title as the table of contents lists it, when it does


@dataclass
class Segmentation:
    """What the segmenter found: items, headings, front/back matter and heading repairs."""

    items: list[RawItem]
    headings: list[Heading]
    page_meta: list[str]
    repairs: list[Repair]
    warnings: list[str]


def plan_lines(raw: str) -> list[Line]:
    out, pos = [], 0
    parse = for_parsing(raw)
    for no, chunk in enumerate(parse.split("\n"), 1):
        stripped = chunk.strip()
        if stripped:
            lead = pos + (len(chunk) - len(chunk.lstrip()))
            out.append(Line(no, pos, pos + len(chunk), stripped, lead))
        pos += len(chunk) + 1
    return out
