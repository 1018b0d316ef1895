"""The scoring model: support per (text, body) from every signal, summed in a tally, ranked into leads and co-units."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from nlp.model import Assignment, Evidence

CO_FACTOR = 0.5  # a co-role topic word counts half when deciding who leads
# a measure's heading states its topic, so its words weigh more in deciding who leads (not in who is listed: a body
# the heading names once is no likelier to be a co-unit); chosen leave-one-fold-out on lead accuracy over the domains
# of both gold sets and the tables' sources (bench/convention_cv.py --grid title_boost --by lead)
TITLE_BOOST = 3.0
JOINT_LEAD = 0.8  # a second body co-leads when its lead score is this close to the top
MAX_EVIDENCE = 6
REVIEW_BELOW = 0.5  # an item whose lead is less certain than this is flagged for review
HIGH = 0.8  # an inferred tag at or above this confidence is shown as 推断(高): see the README's reliability table
# corroboration: a co-unit resting on one lexicon word alone (no second word, no mandate match, no co-ownership
# prior, no domain convention or prior) needs this weight to be tagged; below it the body stays a candidate
ALONE_MIN = 0.0  # chosen by cross-validation over the domains of both gold sets (bench/convention_cv.py)
CERTAINTY = ("explicit", "high", "low", "review")  # 明确 / 推断(高) / 推断(低) / 待确认 (labels in kb/data/labels)


def certainty(source: str, confidence: float | None, needs_review: bool = False) -> str:
    """How firm a tag is: named in the text (explicit, or set by a reviewer), inferred high or low, or to confirm."""
    if source in ("explicit", "reviewed"):
        return "explicit"
    if needs_review:
        return "review"
    return "high" if (confidence or 0) >= HIGH else "low"


@dataclass  # shared between items and plans by the departments memo: never changed (frozen costs 5× to make)
class Hit:
    """One piece of support for a department at a place in the item text."""

    dept: str
    start: int
    end: int
    text: str
    role: str  # lead | co | benefit | group (the role hint of the lexicon row / the plan's own cue)
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
    forced: bool = False  # a section default ("**")
    mandate: float = 0.0  # support from the body's published functions: confidence and ties, never membership
    first: int = 10**9
    hits: list[Hit] = field(default_factory=list)


# Roles of a word that list a body but never make it lead: a benefit (补贴, 补助) says how a programme pays people,
# not whose it is; a group (妇女, 女性) is whom the task is for, and the body representing it supports the task (in a
# women's plan every item is about women: the word names no owner); a project (新建幼儿园16所) brings in the bodies
# every construction passes through, beside the facility's owner (nlp/projects.py).
NO_LEAD = frozenset({"benefit", "group", "project"})


def tally(hits: list[Hit], boost_until: int = 0) -> dict[str, Tally]:
    """Sum support per department; a repeated term adds with diminishing returns (√n) so topics, not words, count."""
    seen: dict[tuple[str, str], int] = defaultdict(int)
    out: dict[str, Tally] = defaultdict(Tally)
    for h in hits:
        key = (h.dept, h.rule)
        seen[key] += 1
        n = seen[key]
        w = h.weight * (math.sqrt(n) - math.sqrt(n - 1))
        t = out[h.dept]
        t.hits.append(h)
        if h.rule.startswith("mandate:"):
            t.mandate += w
            continue
        t.total += w
        w *= TITLE_BOOST if h.start < boost_until else 1.0
        t.lead += w if h.role == "lead" else 0.0 if h.role in NO_LEAD else w * CO_FACTOR
        t.cued_lead |= h.cue == "lead"
        t.cued_co |= h.cue == "co"
        t.explicit |= h.source == "explicit"
        t.first = min(t.first, h.start)
    return out


def rank(tallies: dict[str, Tally], minimum: float, clause_ids: dict[int, str] | None = None) -> list[Assignment]:
    """Policy: explicit 牵头/负责 > the body whose topic dominates (lead score) > first listed; the rest are co."""
    kept = {d: t for d, t in tallies.items() if t.explicit or t.forced or t.total >= minimum}
    if not kept:
        return []
    order = sorted(kept, key=lambda d: (-kept[d].cued_lead, -kept[d].lead, -kept[d].mandate, kept[d].first))
    top = kept[order[0]]
    # a body with no lead score (benefit words only) never leads: the text then names no owner
    leads = [d for d in order if kept[d].cued_lead] or [
        d for d in order if not kept[d].cued_co and kept[d].lead > 0 and kept[d].lead >= JOINT_LEAD * top.lead
    ]
    leads = leads[:2]
    cos = sorted((d for d in kept if d not in leads), key=lambda d: (-kept[d].total, kept[d].first))
    return [assignment(d, kept[d], "lead" if d in leads else "co", clause_ids) for d in leads + cos]


def alone(t: Tally) -> bool:
    """A body whose only support is a single lexicon word, nothing corroborating it."""
    if t.explicit or t.forced or t.mandate > 0 or any(not h.rule.startswith("lexicon:") for h in t.hits):
        return False
    return len({h.text for h in t.hits}) == 1 and max(h.weight for h in t.hits) < ALONE_MIN


def corroborated(ranked: list[Assignment], tallies: dict[str, Tally]) -> tuple[list[Assignment], set[str]]:
    """(the tags that stand, the co-units held back as candidates because one weak word alone supports them)."""
    held = {a.name for a in ranked if a.role == "co" and alone(tallies[a.name])}
    return [a for a in ranked if a.name not in held], held


def confidence(t: Tally) -> float:
    if t.explicit:
        return 0.95 if (t.cued_lead or t.cued_co) else 0.9
    return round(min(0.85, max(0.3, 1 - math.exp(-(t.total + t.mandate)))), 2)


def clause_of(pos: int, clause_ids: dict[int, str] | None) -> str | None:
    """The id of the clause a text offset falls in (clause ids keyed by their start offsets)."""
    if not clause_ids:
        return None
    starts = [s for s in clause_ids if s <= pos]
    return clause_ids[max(starts)] if starts else None


def assignment(dept: str, t: Tally, role: str, clause_ids: dict[int, str] | None) -> Assignment:
    best: list[Hit] = []
    seen: set[str] = set()
    for h in sorted(t.hits, key=lambda h: (h.source != "explicit", -h.weight, h.start)):
        if h.text not in seen and len(best) < MAX_EVIDENCE:  # one phrase once: show the breadth of support
            seen.add(h.text)
            best.append(h)
    # the text's naming of the body first (why a tag is 明确), then its words in text order
    ev = [
        Evidence(h.text, h.start, h.end, h.rule, clause_of(h.start, clause_ids))
        for h in sorted(best, key=lambda h: (h.source != "explicit", h.start))
    ]
    return Assignment(dept, role, "explicit" if t.explicit else "inferred", confidence(t), ev)


def dedupe(evidence: list[Evidence]) -> list[Evidence]:
    """One phrase once, at most MAX_EVIDENCE phrases."""
    seen: set[str] = set()
    out: list[Evidence] = []
    for e in evidence:
        if e.text not in seen and len(out) < MAX_EVIDENCE:
            seen.add(e.text)
            out.append(e)
    return out


def needs_review(assignments: list[Assignment]) -> bool:
    """An item needs a reviewer when nobody leads it or its lead rests on weak inference."""
    leads = [a for a in assignments if a.role == "lead"]
    return not leads or leads[0].confidence < REVIEW_BELOW
