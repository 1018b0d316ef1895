"""Re-anchoring reviews on a new build: same id and fingerprint, moved fingerprint, or fuzzy text match."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any

# Repair matching lives outside kb/reviews (a build's per-plan analysis reads it; see kb/repair_match.py).
from kb.repair_match import (  # noqa: F401 (re-exported: the anchoring API)
    CONTEXT,
    REPAIR_MIN_SIMILARITY,
    Resolution,
    match_repair,
    repair_context,
    similarity,
)

ITEM_MIN_SIMILARITY = 0.7  # a slightly edited item stays well above this; sibling items of a domain stay below


@dataclass
class Universe:
    """The items (and repairs) of one build, indexed for anchoring."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_fp: dict[str, list[str]] = field(default_factory=dict)
    groups: dict[tuple, list[str]] = field(default_factory=dict)
    repairs: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # plan → id → repair
    _memo: dict[tuple, Resolution] = field(default_factory=dict)

    def add_item(self, it: dict[str, Any]) -> None:
        self.items[it["id"]] = it
        self.by_fp.setdefault(it["fingerprint"], []).append(it["id"])
        self.groups.setdefault(_group(it), []).append(it["id"])

    def resolve_item(self, item_id: str, anchor: dict[str, Any]) -> Resolution:
        """The live item a review made on item_id (with its anchor) now refers to."""
        key = (item_id, anchor.get("fp"), anchor.get("text"))
        if key not in self._memo:
            self._memo[key] = self._resolve_item(item_id, anchor)
        return self._memo[key]

    def _resolve_item(self, item_id: str, anchor: dict[str, Any]) -> Resolution:
        fp, text = anchor.get("fp"), anchor.get("text")
        here = self.items.get(item_id)
        if here is not None and (fp is None or here["fingerprint"] == fp):
            return Resolution(item_id, "exact")
        same = [
            i
            for i in self.by_fp.get(fp or "", [])
            if self.items[i]["plan"] == anchor.get("plan", self.items[i]["plan"])
        ]
        if same:
            return Resolution(min(same, key=lambda i: i != item_id), "moved")
        if not text:
            return Resolution(None, "orphaned", 0.0)
        group = (anchor.get("plan"), anchor.get("kind"), anchor.get("domain"))
        best, best_score = None, 0.0
        for cand in self.groups.get(group, []):
            score = similarity(text, self.items[cand]["text"])
            # the same id wins ties: renumbering is rarer than an edit in place
            if score > best_score or (score == best_score and cand == item_id):
                best, best_score = cand, score
        if best is not None and best_score >= ITEM_MIN_SIMILARITY:
            return Resolution(best, "reanchored", round(best_score, 3))
        return Resolution(None, "orphaned", round(best_score, 3))

    def resolve_repair(self, plan: str, repair_id: str, anchor: dict[str, Any]) -> Resolution:
        """The live repair a review of repair_id refers to: same id, else same edit in a similar context."""
        live = self.repairs.get(plan, {})
        if repair_id in live:
            return Resolution(repair_id, "exact")
        return match_repair(repair_id, anchor, live.values())


def _group(it: dict[str, Any]) -> tuple:
    return it["plan"], it["kind"], it.get("domain_code")


def universe_from_conn(conn: sqlite3.Connection) -> Universe:
    """Index every item and repair of a derived KB database."""
    uni = Universe()
    for r in conn.execute("SELECT id, plan, kind, domain_code, fingerprint, text, title FROM items"):
        uni.add_item(dict(r))
    raws = {r["id"]: r["raw_text"] for r in conn.execute("SELECT id, raw_text FROM plans")}
    for r in conn.execute('SELECT id, plan, start, "end", before, after, rule, applied FROM repairs'):
        d = dict(r)
        d["context"] = repair_context(raws.get(r["plan"], ""), r["start"], r["end"])
        uni.repairs.setdefault(r["plan"], {})[r["id"]] = d
    return uni


def item_anchor(item: dict[str, Any]) -> dict[str, Any]:
    """What a review remembers of the item it was made on."""
    return {
        "plan": item["plan"],
        "kind": item["kind"],
        "domain": item.get("domain_code"),
        "fp": item["fingerprint"],
        "text": item["text"],
        "title": item.get("title"),
    }


def dumps(anchor: dict[str, Any]) -> str:
    return json.dumps(anchor, ensure_ascii=False, sort_keys=True)
