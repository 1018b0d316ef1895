"""Co-units of a goal: a body the measures serving the goal answer for, where the goal's own text also points at it."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from nlp import coownership, departments, lang
from nlp.model import Assignment, Evidence, Item, Plan
from nlp.scoring import Hit, clause_of

# chosen leave-one-fold-out over the domains of both gold sets and the tables' sources (bench/convention_cv.py)
GOAL_SHARE = 0.5  # share of the serving measures that must list the body (math.inf = off)
GOAL_MEASURES = 2  # … and at least this many of them
GOAL_CONFIDENCE = 0.45  # two weak signals agreeing: 推断(低), never a firm tag
GOAL_PAIR_CONFIDENCE = 0.3  # the measures and the tables agree, the goal's own words say nothing: the lowest 推断
# a goal that one measure alone serves is that measure's outcome: the plan says nothing else about reaching it, so
# that measure's bodies (where the goal's own words agree) stand in for the GOAL_MEASURES a goal otherwise needs;
# where two or more serve it, one of them is not enough (a co-ownership prior beside 家庭教育 lists a whole working
# group). Chosen leave-one-fold-out (bench/convention_cv.py --grid goal_units)
GOAL_SOLE = True
# a serving measures' body the goal's words do not point at is still a co-unit where the published tables list it
# beside the goal's lead in this share of the rows (on the domain's topics) that list that lead (math.inf = off).
# bench/convention_cv.py --grid goal_pair chose off in all 24 folds (session 9): such tags are right on held-out about
# half the time but on dev about one time in eight, since the two golds give goals co-units differently
GOAL_PAIR_MIN = math.inf
GOAL_PAIR_DOMAIN = True  # only rows on the topics of the goal's domain (False: every row listing the lead)


def _signals(goal: Item) -> dict[str, Hit]:
    """Body → the strongest word of the goal's own text that points at it: a lexicon word below the listing
    minimum, a mandate match, or the co-ownership prior beside the goal's lead."""
    hits, found = departments.item_hits(goal)
    out: dict[str, Hit] = {}
    for h in sorted(hits, key=lambda h: -h.weight):
        if h.text and not h.rule.startswith("mandate:"):
            out.setdefault(h.dept, h)
    for h in found:
        out.setdefault(h.dept, h)
    lead = next((a.name for a in goal.departments if a.role == "lead"), None)
    if lead:
        for h in coownership.hits(goal.text, lead):
            out.setdefault(h.dept, h)
    return out


def _pair(goal: Item, words: set[str]) -> dict[str, tuple[float, Evidence]]:
    """Body → (share of the tables' rows listing the goal's lead, on the domain's topics, that list it too; the lead's
    evidence word, which is all the goal's own text says of the pair)."""
    lead = next((a for a in goal.departments if a.role == "lead"), None)
    ev = next((e for e in lead.evidence if e.end > e.start), None) if lead else None  # a word of the goal, not a prior
    if lead is None or ev is None or math.isinf(GOAL_PAIR_MIN):
        return {}
    prior = coownership.prior(lead.name, words if GOAL_PAIR_DOMAIN else None)
    return {b: (share, ev) for b, (share, _topic) in prior.items()}


def goal_units(goal: Item, serving: list[Item], domain_words: set[str] | None = None) -> list[Assignment]:
    """The co-units the serving measures and the goal's own words agree on (each with the goal's word as evidence)."""
    need = 1 if GOAL_SOLE and len(serving) == 1 else GOAL_MEASURES
    if len(serving) < need or math.isinf(GOAL_SHARE):
        return []
    have = {a.name for a in goal.departments}
    # ordered by first mention (not a set): ties of the sort below keep the plan's order in every process
    count = Counter(name for m in serving for name in dict.fromkeys(a.name for a in m.departments))
    signals = _signals(goal)
    clause_ids = {c.start: c.id for c in goal.clauses}
    pair = _pair(goal, domain_words or set())
    out = []
    for body, n in sorted(count.items(), key=lambda kv: -kv[1]):
        h = signals.get(body)
        if body in have or n < need or n / len(serving) < GOAL_SHARE:
            continue
        if h is not None:
            rule = f"goal:{n}/{len(serving)} serving measures+{h.rule}"
            ev = Evidence(h.text, h.start, h.end, rule, clause_of(h.start, clause_ids))
            out.append(Assignment(body, "co", "inferred", GOAL_CONFIDENCE, [ev]))
        elif body in pair and pair[body][0] >= GOAL_PAIR_MIN:
            share, lead_ev = pair[body]
            rule = f"goal:{n}/{len(serving)} serving measures+pair:{share:.0%}"
            ev = Evidence(lead_ev.text, lead_ev.start, lead_ev.end, rule, lead_ev.clause)
            out.append(Assignment(body, "co", "inferred", GOAL_PAIR_CONFIDENCE, [ev]))
    return out


def assign_goal_units(plan: Plan) -> None:
    """Add to every goal the co-units its serving measures and its own text agree on (after links are read)."""
    serving: dict[str, list[Item]] = defaultdict(list)
    for m in plan.items:
        if m.kind == "measure":
            for link in m.serves:
                serving[link.goal].append(m)
    words: dict[str | None, set[str]] = defaultdict(set)
    if not math.isinf(GOAL_PAIR_MIN):
        for it in plan.items:
            words[it.domain_code] |= set(lang.cut(it.text))
    for goal in plan.items:
        if goal.kind == "goal":
            added = goal_units(goal, serving.get(goal.id, []), words.get(goal.domain_code))
            goal.departments = goal.departments + added
            names = {a.name for a in added}
            goal.candidates = [c for c in goal.candidates if c.name not in names]
