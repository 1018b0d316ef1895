"""A measure → goal link of the reviewed state (an item's serves_detail row) with its evidence in words."""

from __future__ import annotations

from typing import Any

from kb.reviews.overlay import ADDED_WHY
from nlp.link_evidence import describe


def evidence(link: dict[str, Any], goal: dict[str, Any] | None) -> dict[str, Any]:
    """nlp.link_evidence's reading of one serves_detail row: strength, shared parts, one sentence."""
    reviewed = link.get("source") == "reviewed"
    reason = (link.get("review") or {}).get("reason")
    why = link.get("why") or ""
    added = reviewed and why in {reason, ADDED_WHY}
    return describe(
        why,
        link.get("score"),
        cross_domain=bool(link.get("cross_domain")),
        reviewed=reviewed,
        added=added,
        review_reason=reason if added else None,
        goal_indicators=[i.get("name") or "" for i in (goal or {}).get("indicators") or []],
    )
