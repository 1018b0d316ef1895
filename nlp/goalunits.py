"""Co-units of a goal: a body the measures serving the goal answer for, where the goal's own text also points at it."""

from __future__ import annotations

import math
from collections import Counter, defaultdict

from nlp import coownership, departments
from nlp.model import Assignment, Evidence, Item, Plan
from nlp.scoring import Hit, clause_of

# chosen leave-one-fold-out over the domains of both gold sets and the tables' sources (bench/convention_cv.py)
GOAL_SHARE = 0.5  # share of the serving measures that must list the body (math.inf = off)
GOAL_MEASURES = 2  # … and at least this many of them
GOAL_CONFIDENCE = 0.45  # two weak signals agreeing: 推断(低), never a firm tag
# a goal that one measure alone serves is that measure's outcome: the plan says nothing else about reaching it, so
# that measure's bodies (where the goal's own words agree) stand in for the GOAL_MEASURES a goal otherwise needs;
# where two or more serve it, one of them is not enough (a co-ownership prior beside 家庭教育 lists a whole working
# group). Chosen leave-one-fold-out (bench/convention_cv.py --grid goal_units)
GOAL_SOLE = True


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


def goal_units(goal: Item, serving: list[Item]) -> list[Assignment]:
    """The co-units the serving measures and the goal's own words agree on (each with the goal's word as evidence)."""
    need = 1 if GOAL_SOLE and len(serving) == 1 else GOAL_MEASURES
    if len(serving) < need or math.isinf(GOAL_SHARE):
        return []
    have = {a.name for a in goal.departments}
    # ordered by first mention (not a set): ties of the sort below keep the plan's order in every process
    count = Counter(name for m in serving for name in dict.fromkeys(a.name for a in m.departments))
    signals = _signals(goal)
    clause_ids = {c.start: c.id for c in goal.clauses}
    out = []
    for body, n in sorted(count.items(), key=lambda kv: -kv[1]):
        h = signals.get(body)
        if body in have or h is None or n < need or n / len(serving) < GOAL_SHARE:
            continue
        rule = f"goal:{n}/{len(serving)} serving measures+{h.rule}"
        ev = Evidence(h.text, h.start, h.end, rule, clause_of(h.start, clause_ids))
        out.append(Assignment(body, "co", "inferred", GOAL_CONFIDENCE, [ev]))
    return out


def assign_goal_units(plan: Plan) -> None:
    """Add to every goal the co-units its serving measures and its own text agree on (after links are read)."""
    serving: dict[str, list[Item]] = defaultdict(list)
    for m in plan.items:
        if m.kind == "measure":
            for link in m.serves:
                serving[link.goal].append(m)
    for goal in plan.items:
        if goal.kind == "goal":
            added = goal_units(goal, serving.get(goal.id, []))
            goal.departments = goal.departments + added
            names = {a.name for a in added}
            goal.candidates = [c for c in goal.candidates if c.name not in names]
