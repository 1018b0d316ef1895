"""Learning from reviews: reviewers' accept/reject decisions re-weight the lexicon rules that made those tags.

At the next build, each rule (a topic word pointing at a body) is scaled by how often reviewers kept the tags it
produced: factor = 2·(kept + 1) / (kept + dropped + 2), clipped, so an unreviewed rule keeps weight 1 and a rule
reviewers always reject fades. Reviews themselves are still applied on read (kb.reviews.overlay): learning only
changes the inferred layer underneath, it never overrides a decision.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

LOW, HIGH = 0.3, 1.5  # a rule is never switched off entirely nor doubled by a handful of decisions
MIN_DECISIONS = 3  # a rule moves only after this many reviewed tags: one decision is about its item, not the rule


def rule_key(rule: str) -> str | None:
    """'lexicon:家长→市妇联(co,0.5)' → '家长→市妇联'; other rules (mentions, priors) are not learned."""
    if not rule.startswith("lexicon:"):
        return None
    return rule.removeprefix("lexicon:").split("(", 1)[0]


def factors(decisions: Iterable[tuple[list[str], bool]]) -> dict[str, float]:
    """Rule → weight factor from (rules behind a reviewed tag, kept?) pairs."""
    kept: dict[str, int] = defaultdict(int)
    seen: dict[str, int] = defaultdict(int)
    for rules, ok in decisions:
        for key in {k for r in rules if (k := rule_key(r))}:
            seen[key] += 1
            kept[key] += ok
    return {
        k: round(min(HIGH, max(LOW, 2 * (kept[k] + 1) / (seen[k] + 2))), 3) for k in seen if seen[k] >= MIN_DECISIONS
    }


def live_decisions() -> list[tuple[list[str], bool]]:
    """(evidence rules of the inferred tag, kept?) for every accept/reject review that points at the live build."""
    from kb.reviews.overlay import list_reviews
    from kb.store import KB

    rows = [r for r in list_reviews(kind="assignment") if r["decision"] in ("accept", "reject") and r["live_item"]]
    if not rows:
        return []
    out = []
    with KB() as kb:
        for r in rows:
            ev = kb.conn.execute(
                "SELECT evidence FROM assignments WHERE item = ? AND name = ? AND clause IS NULL",
                (r["live_item"], r["live_target"] or r["target"]),
            ).fetchone()
            if ev:
                out.append(([e["rule"] for e in json.loads(ev["evidence"])], r["decision"] == "accept"))
    return out


def learned_factors() -> dict[str, float]:
    """The factors the next build uses: learned from the reviews of the live build (empty before any build)."""
    from kb import paths

    if paths.current_build() is None:
        return {}
    return factors(live_decisions())
