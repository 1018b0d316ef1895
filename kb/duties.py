"""A department's duties: the one definition used by pages, `kb duties`, the graph, search facets, gaps and exports.

A department has a duty on an item when it is tagged on the item itself or on one of its clauses. Its role is the
item-level tag's role; named only in clauses, it leads if any clause names it as lead, else it supports. Such a
clause-level duty is shown with the clauses it comes from (第3句) and the mark of its deciding clause tag, in the
plan-wide 责任清单, the review queue and the department views alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kb.departments import UnknownDepartment, require
from nlp.model import Item, to_dict
from nlp.scoring import certainty

__all__ = ["Duty", "UnknownDepartment", "duties", "duty_ids", "format_duties", "involvements", "item_duties"]


@dataclass
class Duty:
    """One department's part in one item."""

    name: str
    role: str  # lead | co
    tag: dict[str, Any] | None  # the item-level assignment, None when named only in clauses
    clause_tags: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)  # (clause, assignment)

    @property
    def clause_only(self) -> bool:
        return self.tag is None

    @property
    def assignment(self) -> dict[str, Any]:
        """The assignment that decides the role: the item-level tag, else the deciding clause tag."""
        if self.tag is not None:
            return self.tag
        return next((a for _c, a in self.clause_tags if a.get("role") == "lead"), self.clause_tags[0][1])

    @property
    def clause_numbers(self) -> list[int]:
        """The numbers (1-based, as the item page shows them) of the clauses that name the body."""
        return sorted({c["index"] for c, _a in self.clause_tags})

    @property
    def where(self) -> str:
        """第3句 / 第3、5句 for a body named only in clauses, else ''."""
        return f"第{'、'.join(map(str, self.clause_numbers))}句" if self.clause_only else ""

    def mark(self, needs_review: bool = False) -> str:
        """明确 / 推断(高) / 推断(低) / 待确认 code of the deciding tag (kb.reviews.queue.CERTAINTY_LABELS)."""
        a = self.assignment
        return certainty(a.get("source", ""), a.get("confidence"), needs_review)

    def evidence(self) -> list[dict[str, Any]]:
        """The words the duty rests on: the item-level tag's, else every naming clause tag's. A tag a reviewer made
        by confirming a body named only in clauses has no words of its own: its clauses' words are still the ones
        (accepting 市教育局 on law-m9 left the 依据 `市教育局[明确]` with nothing after it)."""
        own = [e for e in (self.tag or {}).get("evidence") or [] if e.get("text")]
        if own:
            return own
        return [e for _c, a in self.clause_tags for e in a.get("evidence") or [] if e.get("text")]


def _as_dict(item: Item | dict[str, Any]) -> dict[str, Any]:
    return item if isinstance(item, dict) else to_dict(item)


def item_duties(item: Item | dict[str, Any]) -> dict[str, Duty]:
    """Every department with a duty on this item → its Duty (item-level tags first, in rank order)."""
    it = _as_dict(item)
    out: dict[str, Duty] = {}
    for a in it.get("departments") or []:
        out.setdefault(a["name"], Duty(a["name"], a.get("role") or "co", a))
    for c in it.get("clauses") or []:
        for a in c.get("departments") or []:
            duty = out.setdefault(a["name"], Duty(a["name"], "co", None))
            duty.clause_tags.append((c, a))
    for duty in out.values():
        if duty.tag is None and any(a.get("role") == "lead" for _c, a in duty.clause_tags):
            duty.role = "lead"
    return out


def involvements(items: Iterable[Item | dict[str, Any]], canonical: str) -> list[tuple[dict[str, Any], Duty]]:
    """(item, duty) for every item where the department `canonical` has a duty, in the items' order."""
    out = []
    for it in map(_as_dict, items):
        duty = item_duties(it).get(canonical)
        if duty is not None:
            out.append((it, duty))
    return out


def duties(items: Iterable[Item | dict[str, Any]], name: str) -> dict[str, Any]:
    """Items assigned to department `name` (any alias), by domain, lead before co; raises UnknownDepartment."""
    dep = require(name)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (plan, domain): two plans never share a group
    for it, duty in involvements(items, dep.canonical):
        a = duty.assignment
        group = it.get("domain") or it.get("section") or "其他"
        groups.setdefault((it.get("plan") or "", group), []).append(
            {
                "id": it.get("id"),
                "kind": it.get("kind"),
                "number": it.get("number"),
                "title": it.get("title"),
                "role": duty.role,
                "source": a.get("source"),
                "confidence": a.get("confidence"),
                "evidence": [e["text"] for e in duty.evidence()],
                "clauses": list(dict.fromkeys(c.get("text", "") for c, _x in duty.clause_tags)),
                "clause_only": duty.clause_only,
                "position": it.get("position", 0),
            }
        )
    for rows in groups.values():
        rows.sort(key=lambda r: (r["role"] != "lead", r["position"] or 0))
    return {
        "department": dep.canonical,
        "full_name": dep.full,
        "category": dep.category,
        "lead": sum(r["role"] == "lead" for rows in groups.values() for r in rows),
        "co": sum(r["role"] != "lead" for rows in groups.values() for r in rows),
        "domains": [{"domain": g, "plan": p, "items": rows} for (p, g), rows in groups.items()],
    }


def duty_ids(report: dict[str, Any]) -> set[str]:
    """The item ids of a duties() report."""
    return {r["id"] for group in report["domains"] for r in group["items"]}


def format_duties(report: dict[str, Any]) -> str:
    """Plain-text rendering of a duties() report for the terminal."""
    from kb.labels import ROLE

    lines = [f"{report['department']}({report['full_name']}):牵头 {report['lead']} 项,配合 {report['co']} 项"]
    for group in report["domains"]:
        lines.append(f"\n【{group['domain']}】")
        for r in group["items"]:
            why = ";".join(r["evidence"][:3])
            lines.append(f"  [{ROLE[r['role']]}] {r['id']} {r['title']}" + (f"  — 依据:{why}" if why else ""))
    return "\n".join(lines)
