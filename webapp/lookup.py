"""Shared look-ups for the pages: Chinese labels, one snapshot of the reviewed items, id and name resolution."""

from __future__ import annotations

import difflib
from typing import Any

from flask import g, url_for

from kb.reviews.snapshot import Snapshot
from kb.reviews.snapshot import current as current_snapshot
from webapp.render import NotFoundWithHints

KIND_LABELS = {
    "goal": "主要目标",
    "measure": "政策措施",
    "implementation": "组织实施",
    "monitoring": "监测评估",
    "preface": "前言",
    "principle": "基本原则",
    "guiding_idea": "指导思想",
    "overall_goal": "总体目标",
}
KIND_SHORT = {"goal": "目标", "measure": "措施", "implementation": "实施", "monitoring": "监测"}
ROLE_LABELS = {"lead": "牵头", "co": "配合"}
SOURCE_LABELS = {
    "explicit": "原文明确",
    "inferred": "自动推断",
    "reviewed": "人工审核",
    "review": "人工审核",
    "manual": "人工审核",
}
COMPARATOR_LABELS = {
    ">=": "≥",
    "<=": "≤",
    "==": "=",
    ">": ">",
    "<": "<",
    "increase": "提高",
    "decrease": "降低",
    "range": "区间",
    "maintain": "保持",
}


def snapshot() -> Snapshot:
    """The reviewed items of the live build (kb.reviews.snapshot: one cache rule, kept up to date
    incrementally), fixed for the length of one request. Pages only read it."""
    if "kb_snapshot" not in g:
        g.kb_snapshot = current_snapshot()
    return g.kb_snapshot


def item_url(item_id: str) -> str:
    return url_for("items.item_page", item_id=item_id)


def dept_url(name: str) -> str:
    return url_for("departments.department_page", name=name)


def brief(it: dict[str, Any]) -> dict[str, Any]:
    """What a list or a link needs to show an item."""
    return {
        "id": it["id"],
        "kind": it["kind"],
        "kind_label": KIND_LABELS.get(it["kind"], it["kind"]),
        "domain": it["domain"],
        "domain_code": it["domain_code"],
        "number": it["number"],
        "title": it["title"],
        "label": label(it),
        "url": item_url(it["id"]),
    }


def label(it: dict[str, Any]) -> str:
    """A short human label: 儿童与健康 · 措施4."""
    kind = KIND_SHORT.get(it["kind"], KIND_LABELS.get(it["kind"], it["kind"]))
    num = f"{kind}{it['number']}" if it.get("number") else kind
    return f"{it['domain']} · {num}" if it.get("domain") else num


def owners(it: dict[str, Any]) -> dict[str, list[str]]:
    """Item-level lead and supporting departments (names, in rank order)."""
    return {
        "lead": [d["name"] for d in it["departments"] if d["role"] == "lead"],
        "co": [d["name"] for d in it["departments"] if d["role"] == "co"],
    }


def resolve_item(snap: Snapshot, item_id: str) -> dict[str, Any]:
    """The item with this id (or the unique item whose id ends with ':'+item_id); 404 with close ids."""
    it = snap.by_id.get(item_id)
    if it is None and ":" not in item_id:
        tail = [i for i in snap.items if i["id"].split(":", 1)[-1] == item_id]
        it = tail[0] if len(tail) == 1 else None
    if it is not None:
        return it
    keys = {i["id"].split(":", 1)[-1]: i for i in snap.items}
    close = difflib.get_close_matches(item_id.split(":", 1)[-1], list(keys), n=5, cutoff=0.5)
    hints = [{"label": f"{label(keys[k])} {keys[k]['title']}", "url": item_url(keys[k]["id"])} for k in close]
    raise NotFoundWithHints(f"找不到条目“{item_id}”。", hints)


def department_names(snap: Snapshot) -> set[str]:
    """Every department named on some item or clause."""
    names = {d["name"] for it in snap.items for d in it["departments"]}
    names |= {d["name"] for it in snap.items for c in it["clauses"] for d in c["departments"]}
    return names


def resolve_department(snap: Snapshot, name: str) -> str:
    """The canonical name for any alias (市卫健委, 卫健委, 益阳市卫生健康委员会…); 404 with the closest names."""
    from nlp import registry

    known = department_names(snap)
    if name in known:
        return name
    dep = registry.resolve(name)
    if dep is not None:
        return dep.canonical
    close = [n for n in registry.suggest(name) if n in known] or registry.suggest(name)
    close += [n for n in difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.4) if n not in close]
    hints = [{"label": n, "url": dept_url(n)} for n in close[:5]]
    raise NotFoundWithHints(registry.unknown_message(name), hints)


def involvement_of(snap: Snapshot, name: str) -> list[dict[str, Any]]:
    """{"item", "role", "tag", "clauses"} for every item where the department is tagged (item or clause level)."""
    out = []
    for it in snap.items:
        tag = next((d for d in it["departments"] if d["name"] == name), None)
        clause_tags = [(c["index"], d) for c in it["clauses"] for d in c["departments"] if d["name"] == name]
        if tag is None and not clause_tags:
            continue
        role = tag["role"] if tag else ("lead" if any(d["role"] == "lead" for _, d in clause_tags) else "co")
        out.append({"item": it, "role": role, "tag": tag, "clauses": sorted({i for i, _ in clause_tags})})
    return out
