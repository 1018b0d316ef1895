"""Which repairs of a fresh analysis reviewers decided: a reviewed repair matched to the plan's repairs by id, else
by the same edit in a similar context. Kept outside kb/reviews: a build's per-plan analysis reads it (the cache key
covers this module, kb.build_cache.ANALYSIS), and review code that changes should not re-analyse every plan."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

REPAIR_MIN_SIMILARITY = 0.6  # repair contexts are short (8 chars each side), so one changed char costs more
CONTEXT = 8  # characters either side of a repair kept as its anchor (as nlp.repair does)


@dataclass(frozen=True)
class Resolution:
    """Where a review points in the live build: status exact | moved | reanchored | orphaned."""

    target: str | None
    status: str
    score: float = 1.0


def anchor_of(row: dict[str, Any]) -> dict[str, Any]:
    """A review row's anchor (what it remembers of its target), {} when missing or unreadable."""
    try:
        return json.loads(row["anchor"] or "{}")
    except (TypeError, ValueError):
        return {}


def similarity(a: str, b: str) -> float:
    """difflib ratio of two texts, whitespace-insensitive; quick upper bounds skip hopeless pairs."""
    a, b = "".join(a.split()), "".join(b.split())
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if sm.real_quick_ratio() < 0.5 or sm.quick_ratio() < 0.5:
        return sm.quick_ratio() * 0.5
    return sm.ratio()


def match_repair(repair_id: str, anchor: dict[str, Any], live: Iterable[dict[str, Any]]) -> Resolution:
    """Among live repairs (dicts with id, rule, before, after, context), the one matching a reviewed repair."""
    best, best_score = None, 0.0
    for r in live:
        if r["id"] == repair_id:
            return Resolution(repair_id, "exact")
        if (r["rule"], r["before"], r["after"]) != (anchor.get("rule"), anchor.get("before"), anchor.get("after")):
            continue
        score = similarity(anchor.get("context", ""), r["context"])
        if score > best_score:
            best, best_score = r["id"], score
    if best is not None and best_score >= REPAIR_MIN_SIMILARITY:
        return Resolution(best, "reanchored", round(best_score, 3))
    return Resolution(None, "orphaned", round(best_score, 3))


def repair_context(raw: str, start: int, end: int) -> str:
    """The raw text around a repair, as kept in its anchor."""
    return raw[max(0, start - CONTEXT) : end + CONTEXT]


def repair_decisions(rows: list[dict[str, Any]], raw: str, repairs: list) -> dict[str, bool]:
    """Repair id → applied, for the repairs (of a plan's raw text) that these review rows (the plan's repair
    reviews, oldest change first: the newest decision wins) accepted or rejected."""
    if not rows:
        return {}
    live = [
        {
            "id": r.id,
            "rule": r.rule,
            "before": r.before,
            "after": r.after,
            "context": repair_context(raw, r.start, r.end),
        }
        for r in repairs
    ]
    out = {}
    for row in rows:
        res = match_repair(row["target"], anchor_of(row), live)
        if res.target:
            out[res.target] = row["decision"] == "accept"
    return out
