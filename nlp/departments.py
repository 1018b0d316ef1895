"""Responsible departments for every clause and item: explicit mentions + a data-driven responsibility lexicon."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

from nlp import lang, registry
from nlp.lang import read_lines
from nlp.mentions import find_mentions
from nlp.model import Assignment, Evidence, Item, Plan

LEXICON_FILE = "responsibility.tsv"
KINDS = ("goal", "measure", "implementation", "monitoring")
EXPLICIT_WEIGHT = 1.5  # a body the text names outweighs any single topic word
GROUP_WEIGHT = 1.0  # "司法机关" names its members less directly than "人民法院"
CO_FACTOR = 0.5  # a co-role topic word counts half when deciding who leads
TITLE_BOOST = 1.5  # a measure's heading states its topic, so its words weigh more
ITEM_MIN = 0.5  # summed weight an inferred body needs to be listed on an item (no padding)
CLAUSE_MIN = 0.4  # … and on a single clause
JOINT_LEAD = 0.8  # a second body co-leads when its lead score is this close to the top
CITED_FACTOR = 0.5  # weight of a topic word inside 《…》
MAX_EVIDENCE = 6
_CITED = re.compile(r"《[^》]{1,60}》")


@dataclass(frozen=True)
class Entry:
    """One lexicon row: a term (or a "*"/"**" prior) that points at a department."""

    term: str
    department: str
    role: str
    weight: float
    scope: str = ""


@dataclass
class Hit:
    """One piece of support for a department at a place in the item text."""

    dept: str
    start: int
    end: int
    text: str
    role: str  # lead | co (the role hint of the lexicon row / the plan's own cue)
    weight: float
    rule: str
    source: str  # explicit | inferred
    cue: str | None = None


@dataclass
class Tally:
    """A department's accumulated support in a clause or an item."""

    total: float = 0.0
    lead: float = 0.0
    cued_lead: bool = False
    cued_co: bool = False
    explicit: bool = False
    forced: bool = False  # a section default ("**") or the stand-in for an item nothing else covers
    first: int = 10**9
    hits: list[Hit] = field(default_factory=list)


@lru_cache(maxsize=1)
def lexicon() -> tuple[tuple[Entry, ...], tuple[Entry, ...]]:
    """(term rows, prior rows) of responsibility.tsv; every department must resolve in the registry."""
    terms, priors = [], []
    for line in read_lines(LEXICON_FILE):
        term, dept, role, weight, scope = (c.strip() for c in (line.split("\t") + [""] * 5)[:5])
        dep = registry.resolve(dept)
        if dep is None:
            raise ValueError(f"{LEXICON_FILE}: unknown department {dept!r} (closest: {registry.suggest(dept)})")
        entry = Entry(term, dep.canonical, role or "co", float(weight or 0.5), scope)
        (priors if term in ("*", "**", "?") else terms).append(entry)
    return tuple(terms), tuple(priors)


@lru_cache(maxsize=1)
def _term_index() -> tuple[re.Pattern, dict[str, list[Entry]]]:
    by_term: dict[str, list[Entry]] = defaultdict(list)
    for e in lexicon()[0]:
        by_term[e.term].append(e)
    # longest first, so 学生欺凌 is read as one topic and not as 学生 + 欺凌
    return re.compile("|".join(re.escape(t) for t in sorted(by_term, key=len, reverse=True))), dict(by_term)


def _in_scope(scope: str, kind: str | None, domain: str | None) -> bool:
    """scope like "kind=monitoring" or "domain=health,kind=goal"; empty matches everywhere."""
    for cond in filter(None, (c.strip() for c in scope.split(","))):
        key, _, val = cond.partition("=")
        if {"kind": kind, "domain": domain}.get(key) != val:
            return False
    return True


def _boundaries(text: str) -> set[int]:
    """Character offsets where jieba puts a word boundary."""
    out, pos = {0, len(text)}, 0
    for w in lang.cut(text):
        pos += len(w)
        out.add(pos)
    return out


def _territorial(names: tuple[str, ...]) -> bool:
    return all((d := registry.get(n)) is not None and d.category == "territorial" for n in names)


def find_hits(text: str, kind: str | None = None, domain: str | None = None) -> list[Hit]:
    """Explicit mentions and lexicon terms in text; a lexicon term inside a mention is not counted twice."""
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []
    for m in find_mentions(text):
        weight = GROUP_WEIGHT if m.rule == "group" else EXPLICIT_WEIGHT
        # a named group, or the territorial level (which implements everything), supports unless the text says 牵头
        role = m.cue or ("co" if m.rule == "group" or _territorial(m.departments) else "lead")
        for d in m.departments:
            hits.append(Hit(d, m.start, m.end, m.text, role, weight, f"{m.rule}:{m.text}", "explicit", m.cue))
        taken.append((m.start, m.end))
    pattern, by_term = _term_index()
    bounds = _boundaries(text)
    cited = [(m.start(), m.end()) for m in _CITED.finditer(text)]
    for t in pattern.finditer(text):
        if any(t.start() < e and s < t.end() for s, e in taken):
            continue
        if t.start() not in bounds and t.end() not in bounds:
            continue  # straddles two words (育儿 in 养育|儿童): not the term
        # a topic inside a cited document's title (《…家庭教育促进条例》) is a reference, not the task
        factor = CITED_FACTOR if any(s <= t.start() < e for s, e in cited) else 1.0
        for e in by_term[t.group()]:
            if _in_scope(e.scope, kind, domain):
                hits.append(
                    Hit(
                        e.department,
                        t.start(),
                        t.end(),
                        t.group(),
                        e.role,
                        e.weight * factor,
                        f"lexicon:{e.term}→{e.department}({e.role},{e.weight:g})",
                        "inferred",
                    )
                )
    return sorted(hits, key=lambda h: h.start)


def _tally(hits: list[Hit], boost_until: int = 0) -> dict[str, Tally]:
    """Sum support per department; a repeated term adds with diminishing returns (√n) so topics, not words, count."""
    seen: dict[tuple[str, str], int] = defaultdict(int)
    out: dict[str, Tally] = defaultdict(Tally)
    for h in hits:
        key = (h.dept, h.rule)
        seen[key] += 1
        n = seen[key]
        w = h.weight * (math.sqrt(n) - math.sqrt(n - 1)) * (TITLE_BOOST if h.start < boost_until else 1.0)
        t = out[h.dept]
        t.total += w
        t.lead += w if h.role == "lead" else w * CO_FACTOR
        t.cued_lead |= h.cue == "lead"
        t.cued_co |= h.cue == "co"
        t.explicit |= h.source == "explicit"
        t.first = min(t.first, h.start)
        t.hits.append(h)
    return out


def _rank(tallies: dict[str, Tally], minimum: float, clause_ids: dict[int, str] | None = None) -> list[Assignment]:
    """Policy: explicit 牵头/负责 > the body whose topic dominates (lead score) > first listed; the rest are co."""
    kept = {d: t for d, t in tallies.items() if t.explicit or t.forced or t.total >= minimum}
    if not kept:
        return []
    order = sorted(kept, key=lambda d: (-kept[d].cued_lead, -kept[d].lead, kept[d].first))
    top = kept[order[0]]
    leads = [d for d in order if kept[d].cued_lead] or [
        d for d in order if not kept[d].cued_co and kept[d].lead >= JOINT_LEAD * top.lead
    ]
    leads = leads[:2]
    cos = sorted((d for d in kept if d not in leads), key=lambda d: (-kept[d].total, kept[d].first))
    return [_assignment(d, kept[d], "lead" if d in leads else "co", clause_ids) for d in leads + cos]


def _confidence(t: Tally) -> float:
    if t.explicit:
        return 0.95 if (t.cued_lead or t.cued_co) else 0.9
    return round(min(0.85, max(0.3, 1 - math.exp(-t.total))), 2)


def _clause_of(pos: int, clause_ids: dict[int, str] | None) -> str | None:
    if not clause_ids:
        return None
    starts = [s for s in clause_ids if s <= pos]
    return clause_ids[max(starts)] if starts else None


def _assignment(dept: str, t: Tally, role: str, clause_ids: dict[int, str] | None) -> Assignment:
    best, seen = [], set()
    for h in sorted(t.hits, key=lambda h: (h.source != "explicit", -h.weight, h.start)):
        if h.text not in seen and len(best) < MAX_EVIDENCE:  # one phrase once: show the breadth of support
            seen.add(h.text)
            best.append(h)
    ev = [
        Evidence(h.text, h.start, h.end, h.rule, _clause_of(h.start, clause_ids))
        for h in sorted(best, key=lambda h: h.start)
    ]
    return Assignment(dept, role, "explicit" if t.explicit else "inferred", _confidence(t), ev)


def _apply_priors(tallies: dict[str, Tally], kind: str | None, domain: str | None) -> None:
    """Section semantics: "**" always assigns; "*" backs a supported body or stands in; "?" only if still nobody."""

    def empty() -> bool:
        return not any(t.explicit or t.forced or t.total >= ITEM_MIN for t in tallies.values())

    for pass_terms in (("**", "*"), ("?",)):
        none_yet = empty()
        for e in lexicon()[1]:
            if e.term not in pass_terms or not _in_scope(e.scope, kind, domain):
                continue
            forced = e.term == "**" or none_yet
            if forced or (e.term == "*" and e.department in tallies):
                t = tallies[e.department]
                t.total += e.weight
                t.lead += e.weight if e.role == "lead" else e.weight * CO_FACTOR
                t.forced |= forced
                t.first = min(t.first, 10**8)  # a prior never counts as "first listed"
                t.hits.append(
                    Hit(e.department, 0, 0, "", e.role, e.weight, f"prior:{e.term}{e.scope or 'all'}", "inferred")
                )


def assign_text(text: str, kind: str | None = None, domain: str | None = None, title_len: int = 0) -> list[Assignment]:
    """Departments for a free text (one clause or a whole item), leads first."""
    tallies = _tally(find_hits(text, kind, domain), title_len)
    _apply_priors(tallies, kind, domain)
    return _rank(tallies, ITEM_MIN)


def assign_item(item: Item) -> None:
    """Fill clause.departments for each clause and item.departments (aggregated over the clauses, lead by weight)."""
    hits = find_hits(item.text, item.kind, item.domain_code)
    clause_ids = {c.start: c.id for c in item.clauses}
    for c in item.clauses:
        inside = [h for h in hits if c.start <= h.start < c.end]  # offsets stay relative to item.text
        c.departments = _rank(_tally(inside), CLAUSE_MIN, {c.start: c.id})
    title_len = len(item.title) if item.kind == "measure" and item.text.startswith(item.title) else 0
    tallies = _tally(hits, title_len)
    _apply_priors(tallies, item.kind, item.domain_code)
    item.departments = _rank(tallies, ITEM_MIN, clause_ids)


def assign_departments(plan: Plan) -> None:
    """Fill departments on every goal, measure, implementation and monitoring item of the plan (and its clauses)."""
    for item in plan.items:
        if item.kind in KINDS:
            assign_item(item)
