"""Plain typed records shared by every pipeline stage (reader → repair → segment → tag → link)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from nlp.lang import read_json

# Item kinds produced by segmentation.
KINDS = (
    "preface",
    "guiding_idea",
    "principle",
    "overall_goal",
    "goal",
    "measure",
    "implementation",
    "monitoring",
    "section_text",
)
KIND_LABELS: dict[str, str] = read_json("labels.json")["kind"]  # one vocabulary: nlp/data/labels.json


@dataclass
class Repair:
    """One edit of the raw text: applied to the repaired text, or only suggested."""

    start: int  # offset in the plan's raw text
    end: int  # end offset in raw text (== start for a pure insertion)
    before: str
    after: str
    rule: str
    kind: str  # dropped_char | missing_punct | missing_bracket | heading
    confidence: float
    applied: bool = True
    id: str = ""  # stable fingerprint: rule + context, survives rebuilds of the same text


@dataclass
class Evidence:
    """Why a tag was given: the phrase, where it is (offsets in the item's repaired text) and the rule."""

    text: str
    start: int
    end: int
    rule: str
    clause: str | None = None


@dataclass
class Assignment:
    """A department responsible for an item or clause."""

    name: str  # canonical short name, e.g. 市卫健委
    role: str  # lead | co
    source: str  # explicit | inferred | reviewed
    confidence: float
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Candidate:
    """A body that may answer for an item nobody is sure about: its score and the words that point at it."""

    name: str
    score: float
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class Indicator:
    """One quantitative target."""

    name: str
    comparator: str  # >= | <= | == | decrease_by | increase | decrease
    value: float | None = None
    value_max: float | None = None
    unit: str | None = None
    per: str | None = None
    scope: str | None = None
    year: int | None = None
    baseline: str | None = None
    raw: str = ""
    span: tuple[int, int] = (0, 0)  # offsets in the item's repaired text
    id: str = ""
    baseline_year: int | None = None  # 以2020年为基数 / 比2020年 / 在2018年的基础上 → 2020, 2018


@dataclass
class Link:
    """A measure serves a goal."""

    goal: str  # goal item id
    score: float
    why: str = ""
    cross_domain: bool = False
    source: str = "inferred"


@dataclass
class Clause:
    """A sentence or sub-task of an item."""

    id: str
    index: int
    text: str  # repaired
    raw_text: str
    start: int  # offsets in the item's repaired text
    end: int
    departments: list[Assignment] = field(default_factory=list)


@dataclass
class Item:
    """A numbered unit of the plan: goal, measure, implementation item …"""

    id: str
    plan: str
    kind: str
    domain: str | None
    number: int | None
    title: str
    text: str  # repaired, full (title + body)
    raw_text: str  # as published
    line: int  # 1-based line in the raw file
    raw_start: int  # offsets in the plan's raw text
    raw_end: int
    section: str | None = None  # e.g. 二、发展领域、主要目标和政策措施
    domain_code: str | None = None  # e.g. health
    block: str | None = None  # the block heading as written, e.g. 策略措施
    position: int = 0  # order within the plan
    clauses: list[Clause] = field(default_factory=list)
    departments: list[Assignment] = field(default_factory=list)
    serves: list[Link] = field(default_factory=list)
    indicators: list[Indicator] = field(default_factory=list)
    target_groups: list[str] = field(default_factory=list)
    needs_review: bool = False  # no signal supports a confident lead: a reviewer should decide
    candidates: list[Candidate] = field(default_factory=list)  # ranked, when needs_review


@dataclass
class Heading:
    """A structural heading kept for the reader view (sections, domains, blocks)."""

    level: int  # 1 section, 2 subsection/domain, 3 block
    text: str
    raw_text: str
    line: int
    kind: str  # section | domain | block | subsection


@dataclass
class Plan:
    """A parsed plan: metadata, raw and repaired text, repairs, headings and items."""

    id: str
    title: str
    raw_text: str
    text: str
    meta: dict[str, Any] = field(default_factory=dict)
    repairs: list[Repair] = field(default_factory=list)
    headings: list[Heading] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str = "utf-8"


def to_dict(obj: Any) -> Any:
    """Dataclass → JSON-ready dict (tuples become lists)."""
    return asdict(obj)
