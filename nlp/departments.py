"""Responsible departments for every clause and item: explicit mentions + a data-driven responsibility lexicon."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

from nlp import coownership, lang, mandates, projects, registry, stated, unled
from nlp.lang import read_lines
from nlp.mentions import find_mentions
from nlp.model import Assignment, Candidate, Evidence, Item, Plan
from nlp.scoring import CO_FACTOR, Hit, Tally, corroborated, dedupe, needs_review, rank, tally
from nlp.senses import other_sense

LEXICON_FILE = "responsibility.tsv"
KINDS = ("goal", "measure", "implementation", "monitoring")
EXPLICIT_WEIGHT = 1.5  # a body the text names outweighs any single topic word
GROUP_WEIGHT = 1.0  # "司法机关" names its members less directly than "人民法院"
ITEM_MIN = 0.5  # summed weight an inferred body needs to be listed on an item (no padding)
CLAUSE_MIN = 0.4  # … and on a single clause
CITED_FACTOR = 0.5  # weight of a topic word inside 《…》
MAX_CANDIDATES = 5
# domain convention: chosen leave-one-domain-out on the development gold (bench/convention_cv.py)
CONVENTION_MIN = 0.5  # share of the domain's other measures a body must answer for …
CONVENTION_WEIGHT = 0.3  # … to be backed by up to this weight where the text supports it weakly
_rule_factors: dict[str, float] = {}  # "term→body" → weight factor learned from reviews (set_rule_factors)
_CITED = re.compile(r"《[^》]{1,60}》")


@dataclass(frozen=True)
class Entry:
    """One lexicon row: a term (or a "*"/"**" prior) that points at a department."""

    term: str
    department: str
    role: str
    weight: float
    scope: str = ""


@lru_cache(maxsize=1)
def lexicon() -> tuple[tuple[Entry, ...], tuple[Entry, ...]]:
    """(term rows, prior rows) of responsibility.tsv; every department must resolve in the registry."""
    terms: list[Entry] = []
    priors: list[Entry] = []
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


def set_rule_factors(factors: dict[str, float]) -> None:
    """Scale lexicon rules by what reviewers kept (kb.reviews.learning); an empty dict restores the data weights."""
    if factors == _rule_factors:
        return  # a build sets them before every plan: the memo stays valid
    _rule_factors.clear()
    _rule_factors.update(factors)
    _read.cache_clear()  # hits carry the factors in their weights


@lru_cache(maxsize=4096)  # asked per lexicon hit and prior row; a handful of distinct scopes, kinds and domains
def _in_scope(scope: str, kind: str | None, domain: str | None) -> bool:
    """scope like "kind=monitoring" or "domain=health,kind=goal"; empty matches everywhere."""
    for cond in filter(None, (c.strip() for c in scope.split(","))):
        key, _, val = cond.partition("=")
        if {"kind": kind, "domain": domain}.get(key) != val:
            return False
    return True


def cited_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the document titles the text cites (《…》): a topic there is a reference, not the task."""
    return [(m.start(), m.end()) for m in _CITED.finditer(text)]


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
    cited = cited_spans(text)
    for t in pattern.finditer(text):
        if any(t.start() < e and s < t.end() for s, e in taken):
            continue
        if t.start() not in bounds and (t.end() not in bounds or t.start() - 1 in bounds):
            # straddles two words (育儿 in 养育|儿童) or is a word behind a one-character prefix (职工 in 教职工);
            # the head of a compound of two words (预算 in 财政预算) still counts
            continue
        if other_sense(t.group(), text, t.start(), t.end()):
            continue  # the word in its other sense (残疾 as an outcome, 体育类社会组织)
        # a topic inside a cited document's title (《…家庭教育促进条例》) is a reference, not the task
        factor = CITED_FACTOR if any(s <= t.start() < e for s, e in cited) else 1.0
        for e in by_term[t.group()]:
            if _in_scope(e.scope, kind, domain) and not other_sense(t.group(), text, t.start(), t.end(), e.department):
                hits.append(
                    Hit(
                        e.department,
                        t.start(),
                        t.end(),
                        t.group(),
                        e.role,
                        e.weight * factor * _rule_factors.get(f"{e.term}→{e.department}", 1.0),
                        f"lexicon:{e.term}→{e.department}({e.role},{e.weight:g})",
                        "inferred",
                    )
                )
    hits += projects.hits(text)  # a counted building target: the bodies every construction project passes
    return sorted(hits, key=lambda h: h.start)


def _apply_priors(tallies: dict[str, Tally], kind: str | None, domain: str | None, label: str) -> None:
    """Section semantics: "**" always assigns (the plan's own section says who); "*" only backs a body the text
    already supports. Neither invents a lead for a text that names nobody: that item goes to review instead.
    A prior's evidence is the section or domain it comes from (label), never empty."""
    for e in lexicon()[1]:
        if e.term not in ("**", "*") or not _in_scope(e.scope, kind, domain):
            continue
        if e.term == "**" or (e.department in tallies and tallies[e.department].total > 0):
            t = tallies[e.department]
            t.total += e.weight
            t.lead += e.weight if e.role == "lead" else e.weight * CO_FACTOR
            t.forced |= e.term == "**"
            t.first = min(t.first, 10**8)  # a prior never counts as "first listed"
            t.hits.append(
                Hit(e.department, 0, 0, label, e.role, e.weight, f"prior:{e.term}{e.scope or 'all'}", "inferred")
            )


def _candidates(tallies: dict[str, Tally], extra: list[Hit], kind: str | None, domain: str | None, label: str):
    """Ranked bodies that may answer for an uncertain item: its own support, mandate matches and the domain prior."""
    score: dict[str, float] = defaultdict(float)
    ev: dict[str, list[Evidence]] = defaultdict(list)
    for d, t in tallies.items():
        score[d] += t.total + t.mandate
        ev[d] += [Evidence(h.text, h.start, h.end, h.rule) for h in t.hits if h.text]
    for h in extra:
        if h.dept not in tallies:
            score[h.dept] += h.weight
            ev[h.dept].append(Evidence(h.text, h.start, h.end, h.rule))
    for e in lexicon()[1]:
        if e.term in ("*", "?") and _in_scope(e.scope, kind, domain) and e.scope:
            score[e.department] += e.weight * 0.5  # the domain's usual lead: a hint, not evidence from the text
            ev[e.department].append(Evidence(label, 0, 0, f"prior:{e.term}{e.scope}"))
    ranked = sorted((d for d in score if ev[d]), key=lambda d: -score[d])[:MAX_CANDIDATES]
    return [Candidate(d, round(1 - math.exp(-score[d]), 2), dedupe(ev[d])) for d in ranked]


def _convention(tallies: dict[str, Tally], profile: dict[str, float], label: str) -> None:
    """Domain convention: a body the text supports only weakly, and that the plan's own text makes answer for many
    of this domain's measures, is backed in proportion to that share (the plan's own working group, not a guess)."""
    for d, t in tallies.items():
        share = profile.get(d, 0.0)
        if 0 < t.total < ITEM_MIN and share >= CONVENTION_MIN:
            w = CONVENTION_WEIGHT * share
            t.total += w
            # a body the text supports by its group or benefit words alone (scoring.NO_LEAD) is no owner, however
            # often the domain lists it: in a women's plan every item names 妇女, so the 妇联 is listed on all
            t.lead += w * CO_FACTOR if t.lead > 0 else 0.0
            t.hits.append(Hit(d, 0, 0, label, "co", w, f"domain:{label}({share:.0%})", "inferred"))


def _with_coowners(
    hits: list[Hit],
    title_len: int,
    kind: str | None,
    domain: str | None,
    label: str,
    text: str,
    profile: dict[str, float] | None = None,
):
    """Tally the hits with section priors, then add the co-owners published tables list beside the item's lead."""
    tallies = tally(hits, title_len)
    _apply_priors(tallies, kind, domain, label)
    _convention(tallies, profile or {}, label)
    kept = [d for d, t in tallies.items() if t.explicit or t.total >= ITEM_MIN]
    if not kept:
        return tallies
    anchor = max(kept, key=lambda d: (tallies[d].cued_lead, tallies[d].lead))
    extra = [h for h in coownership.hits(text, anchor)]
    if not extra:
        return tallies
    tallies = tally(sorted(hits + extra, key=lambda h: h.start), title_len)
    _apply_priors(tallies, kind, domain, label)
    _convention(tallies, profile or {}, label)
    return tallies


def assign_text(text: str, kind: str | None = None, domain: str | None = None, title_len: int = 0) -> list[Assignment]:
    """Departments for a free text (one clause or a whole item), leads first (empty when nothing supports a lead)."""
    found = mandates.mandate_hits(text, mandates.spans(text))
    hits = mandates.with_mandates(find_hits(text, kind, domain), found)
    every = _with_coowners(hits, title_len, kind, domain, domain or kind or "全文", text)
    tallies, _ = stated.restrict(every, stated.states(text, hits), ITEM_MIN)
    ranked = unled.mandate_lead(corroborated(rank(tallies, ITEM_MIN), tallies)[0], found, None, hits)
    return unled.weak_lead(ranked, hits, cited_spans(text), None)


def item_hits(item: Item) -> tuple[list[Hit], list[Hit]]:
    """(text hits confirmed by mandates, all mandate matches) of an item: what both tagging passes read."""
    hits, found = _read(item.text, item.kind, item.domain_code, tuple((c.start, c.end) for c in item.clauses))
    return list(hits), list(found)


# Plans of one province copy each other's goals and measures word for word (a county's plan is mostly its city's),
# and an item's reading is a function of its text, kind, domain and clause spans alone (the lexicon and registry are
# data; rule factors clear it): a build analysing many plans reads each distinct item once per process.
@lru_cache(maxsize=8192)
def _read(text: str, kind: str, domain: str | None, spans: tuple[tuple[int, int], ...]) -> tuple[tuple[Hit, ...], ...]:
    found = mandates.mandate_hits(text, list(spans))
    return tuple(mandates.with_mandates(find_hits(text, kind, domain), found)), tuple(found)


def assign_item(
    item: Item,
    profile: dict[str, float] | None = None,
    read: tuple[list[Hit], list[Hit]] | None = None,
    clauses: bool = True,
) -> None:
    """Fill clause.departments for each clause and item.departments (aggregated over the clauses, lead by weight);
    an item nothing supports gets needs_review and its ranked candidates instead of an invented lead.
    clauses=False keeps the clause tags already there (they read only the hits, which a second pass shares)."""
    hits, found = read or item_hits(item)
    clause_ids = {c.start: c.id for c in item.clauses}
    named_only = stated.states(item.text, hits)
    for c in item.clauses if clauses else ():
        inside = [h for h in hits if c.start <= h.start < c.end]  # offsets stay relative to item.text
        c.departments = rank(stated.restrict(tally(inside), named_only, CLAUSE_MIN)[0], CLAUSE_MIN, {c.start: c.id})
    title_len = len(item.title) if item.kind == "measure" and item.text.startswith(item.title) else 0
    label = item.domain or item.section or item.kind
    every = _with_coowners(hits, title_len, item.kind, item.domain_code, label, item.text, profile)
    tallies, unnamed = stated.restrict(every, named_only, ITEM_MIN)
    item.departments, held = corroborated(rank(tallies, ITEM_MIN, clause_ids), tallies)
    held |= unnamed
    item.departments = unled.mandate_lead(item.departments, found, clause_ids, hits)
    item.departments = unled.weak_lead(item.departments, hits, cited_spans(item.text), clause_ids)
    item.needs_review = needs_review(item.departments)
    if item.needs_review:
        item.candidates = _candidates(tallies, found, item.kind, item.domain_code, label)
    else:  # an item with a lead lists as candidates only the bodies held back for want of corroboration
        weak = {d: every[d] for d in held}
        item.candidates = [c for c in _candidates(weak, [], item.kind, item.domain_code, label) if c.name in held]


def assign_departments(plan: Plan) -> None:
    """Fill departments on every goal, measure, implementation and monitoring item of the plan (and its clauses)."""
    registry.register_places(plan.meta, plan.title)  # 长沙市教育局 in a Changsha plan is the city's education bureau
    tagged = [item for item in plan.items if item.kind in KINDS]
    read = {item.id: item_hits(item) for item in tagged}
    for item in tagged:
        assign_item(item, read=read[item.id])
    # second pass: each item read with its domain's working group as the first pass found it (itself left out)
    profiles = {item.id: domain_profile(tagged, item) for item in tagged if item.domain_code}
    for item in tagged:
        if item.id in profiles:
            assign_item(item, profiles[item.id], read[item.id], clauses=False)


def domain_profile(items: list[Item], item: Item) -> dict[str, float]:
    """Body → share of the other measures of the item's domain that the text makes it answer for (first pass)."""
    peers = [i for i in items if i.kind == "measure" and i.domain_code == item.domain_code and i is not item]
    count: dict[str, int] = defaultdict(int)
    for i in peers:
        for a in i.departments:
            count[a.name] += 1
    return {d: c / len(peers) for d, c in count.items()} if peers else {}
