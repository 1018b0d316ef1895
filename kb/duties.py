"""A department's duties: the items it leads or supports, grouped by domain — the data behind `kb duties`."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nlp import registry
from nlp.model import Item, to_dict


class UnknownDepartment(LookupError):
    """A user-given department name the registry does not know; carries the closest registry names."""

    def __init__(self, name: str):
        self.name = name
        self.suggestions = registry.suggest(name)
        super().__init__(registry.unknown_message(name))


def _as_dict(item: Item | dict[str, Any]) -> dict[str, Any]:
    return item if isinstance(item, dict) else to_dict(item)


def duties(items: Iterable[Item | dict[str, Any]], name: str) -> dict[str, Any]:
    """Items assigned to department `name` (any alias), by domain, lead before co; raises UnknownDepartment."""
    dep = registry.resolve(name)
    if dep is None:
        raise UnknownDepartment(name)
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (plan, domain): two plans never share a group
    for it in map(_as_dict, items):
        mine = [a for a in it.get("departments") or [] if a.get("name") == dep.canonical]
        clause_tags = [
            (c, x)
            for c in it.get("clauses") or []
            for x in c.get("departments") or []
            if x.get("name") == dep.canonical
        ]
        if not mine and not clause_tags:
            continue
        # Named only in a clause: still a duty (the clause's role, 牵头 if any clause leads).
        a = mine[0] if mine else next((x for _c, x in clause_tags if x.get("role") == "lead"), clause_tags[0][1])
        clauses = list(dict.fromkeys(c.get("text", "") for c, _x in clause_tags))
        group = it.get("domain") or it.get("section") or "其他"
        groups.setdefault((it.get("plan") or "", group), []).append(
            {
                "id": it.get("id"),
                "kind": it.get("kind"),
                "number": it.get("number"),
                "title": it.get("title"),
                "role": a.get("role"),
                "source": a.get("source"),
                "confidence": a.get("confidence"),
                "evidence": [e.get("text") for e in a.get("evidence") or [] if e.get("text")],
                "clauses": clauses,
                "clause_only": not mine,
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


def format_duties(report: dict[str, Any]) -> str:
    """Plain-text rendering of a duties() report for the terminal."""
    lines = [f"{report['department']}({report['full_name']}):牵头 {report['lead']} 项,配合 {report['co']} 项"]
    for group in report["domains"]:
        lines.append(f"\n【{group['domain']}】")
        for r in group["items"]:
            role = "牵头" if r["role"] == "lead" else "配合"
            why = ";".join(r["evidence"][:3])
            lines.append(f"  [{role}] {r['id']} {r['title']}" + (f"  — 依据:{why}" if why else ""))
    return "\n".join(lines)
