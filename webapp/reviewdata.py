"""Review data for the pages, read through kb.reviews (audit log, reviews of an item, form choices)."""

from __future__ import annotations

from typing import Any

from flask import url_for

from kb import departments, paths
from kb.labels import ACTION, ROLE
from webapp.lookup import Snapshot, brief, department_names, item_url, label


def _has_reviews() -> bool:
    """Reviews exist and can be read (when the durable DB is unreadable, pages show the KB without them)."""
    from webapp.lookup import snapshot

    return paths.reviews_db_path().exists() and not snapshot().degraded


def entry_view(e: dict[str, Any]) -> dict[str, Any]:
    """An audit entry as the pages show it: labels, link to the item, what changed."""
    after, before = e.get("after") or {}, e.get("before") or {}
    ref = after or before
    role = ref.get("role")
    target = e.get("target") or ""
    out = {
        "id": e["id"],
        "at": e["at"],
        "actor": e["actor"],
        "action": e["action"],
        "action_label": ACTION.get(e["action"], e["action"]),
        "reason": e.get("reason") or "",
        "item": e.get("item") or "",
        "item_url": item_url(e["item"]) if e.get("item") else "",
        "target": target,
        "role": role,
        "role_label": ROLE.get(role or "", ""),
        "decision": ref.get("decision"),
        "undoes": e.get("undoes"),
        "undone_by": e.get("undone_by"),
        "undoable": e.get("review_id") is not None and not e.get("undone_by") and not e.get("origin"),
    }
    if e.get("kind") == "assignment" and target:
        out["target_url"] = url_for("departments.department_page", name=target)
    elif e.get("kind") == "link" and target:
        out["target_url"] = item_url(target)
    return out


def audit(
    limit: int | None = None, actor: str | None = None, item: str | None = None, since: str | None = None
) -> list[dict[str, Any]]:
    """Audit entries, newest first."""
    if not _has_reviews():
        return []
    from kb.reviews import audit_log

    return [entry_view(e) for e in reversed(audit_log(since=since, actor=actor, item=item, limit=limit))]


def latest(n: int) -> list[dict[str, Any]]:
    """The n latest audit entries (home page)."""
    return audit(limit=n)


def for_item(it: dict[str, Any]) -> dict[str, Any]:
    """The item's notes (rendered Markdown) and its audit history."""
    from kb.reviews import render_note

    # rendered when written (kb.reviews.markup); only rows from before that are rendered here
    notes = [{**n, "html": n.get("html") or render_note(n["body"])} for n in it.get("notes") or []]
    return {"notes": notes, "history": audit(item=it["id"]) if _has_reviews() else []}


def form_options(snap: Snapshot, it: dict[str, Any]) -> dict[str, Any]:
    """What the review forms offer: departments to add, goals to link, repairs to decide."""
    tagged = {d["name"] for d in it["departments"]}
    goals = [brief(g) for g in snap.items if g["kind"] == "goal" and g["plan"] == it["plan"]]
    known = department_names(snap)
    return {
        "add_departments": sorted(known - tagged) + _registry_extra(tagged | known),
        "goals": [g for g in goals if g["id"] not in it["serves"]] if it["kind"] != "goal" else [],
        "roles": [{"value": k, "label": v} for k, v in ROLE.items()],
        "label": label(it),
    }


def _registry_extra(known: set[str]) -> list[str]:
    """Registry departments not yet tagged anywhere (a reviewer may still assign them)."""
    return sorted(d.canonical for d in departments.all_departments() if d.canonical not in known)
