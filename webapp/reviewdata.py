"""Review data for the pages, read through kb.reviews (audit log, reviews of an item, form choices)."""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for

from kb import departments
from kb.labels import ACTION, ROLE
from kb.reviews import statecache
from kb.store import engine
from webapp.lookup import Snapshot, brief, department_names, item_url, label
from webapp.permissions import ADMIN


def _has_reviews() -> bool:
    """Reviews exist and can be read (when the durable DB is unreadable, pages show the KB without them)."""
    from webapp.lookup import snapshot

    return engine.durable_identity() is not None and not snapshot().degraded


def _title(ref: str) -> str:
    """An item id as people read it: 政策措施3 加强……; the bare id when the KB no longer has it."""
    from webapp.lookup import snapshot

    it = snapshot().by_id.get(ref) if ref else None
    if it is None:
        return ref.split(":")[-1]
    return f"{label(it)} {it.get('title') or ''}".strip()


def describe(e: dict[str, Any], entries: dict[int, dict[str, Any]] | None = None) -> str:
    """The change in words: 添加 市卫健委 为配合单位; an undo names what it took back."""
    after, before = e.get("after") or {}, e.get("before") or {}
    target, role = e.get("target") or "", ROLE.get((after or before).get("role") or "", "")
    action = e["action"]
    kind = action.split(".")[0]
    if action == "undo":
        orig = (entries or {}).get(e.get("undoes") or -1)
        return f"撤销:{describe(orig)}" if orig else f"撤销记录 #{e.get('undoes')}"
    if kind == "assignment":
        verb = {"add": "添加", "accept": "确认", "reject": "删除", "role": "改定"}.get(action.split(".")[-1], "")
        if action.endswith("reject"):
            return f"删除 {target} 的职责"
        return f"{verb} {target} 为{role or '责任'}单位"
    if kind == "link":
        return f"{ACTION.get(action, action)}:{_title(target)}"
    return ACTION.get(action, action)


def _undone(e: dict[str, Any], by_id: dict[int, dict[str, Any]]) -> bool:
    """Whether an entry's change is taken back now: undone by an undo that was not itself undone (恢复)."""
    seen: set[int] = set()
    undo_id = e.get("undone_by")
    state = False
    while undo_id and undo_id not in seen:  # undo → 恢复 → undo …: each level flips the state
        seen.add(undo_id)
        state = not state
        undo_id = (by_id.get(undo_id) or {}).get("undone_by")
    return state


def entry_view(e: dict[str, Any], entries: dict[int, dict[str, Any]] | None = None) -> dict[str, Any]:
    """An audit entry as the pages show it: the change in words, the item's title, local time, undo/redo state."""
    from webapp.timefmt import local_time

    after, before = e.get("after") or {}, e.get("before") or {}
    ref = after or before
    role = ref.get("role")
    target = e.get("target") or ""
    is_undo = e["action"] == "undo"
    undone = _undone(e, entries or {})
    out = {
        "id": e["id"],
        "at": e["at"],
        "at_local": local_time(e["at"]),
        "summary": describe(e, entries),
        "item_title": _title(e.get("item") or "") if e.get("item") else "",
        "value": _value(ref),
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
        "undone_by": e.get("undone_by") if undone else None,
        # 撤销 takes back one change once; an undo entry is never 撤销-ed (that would re-apply the change):
        # the row it undid offers 恢复 instead, as its own labelled action
        "undoable": e.get("review_id") is not None and not undone and not e.get("origin") and not is_undo,
        "redoable": undone and not is_undo and not e.get("origin"),
        "is_undo": is_undo,
    }
    if e.get("kind") == "assignment" and target:
        out["target_url"] = url_for("departments.department_page", name=target)
    elif e.get("kind") == "link" and target:
        out["target_url"] = item_url(target)
    return out


def _value(ref: dict[str, Any]) -> str:
    """The value a change set, when it has one (an observation's figure, a note's first words)."""
    if ref.get("value") is not None:
        return f"{ref['value']}{ref.get('unit') or ''}"
    body = ref.get("body") or ""
    return body[:40] + ("…" if len(body) > 40 else "")


def audit(
    limit: int | None = None, actor: str | None = None, item: str | None = None, since: str | None = None
) -> list[dict[str, Any]]:
    """Audit entries, newest first; the departments' progress-report events only for an administrator (a reporter
    reads its own department's reports on the progress pages, nobody reads the others' here)."""
    if not _has_reviews():
        return []
    from kb.reviews.history import audit_log, related_entries

    admin = bool(g.get("user")) and g.user["role"] == ADMIN
    rows = audit_log(since=since, actor=actor, item=item, limit=limit, progress=admin)
    by_id = related_entries(rows)  # undo chains may reach outside the filtered rows: read those by id
    return [entry_view(e, by_id) for e in reversed(rows)]


def entry(audit_id: int) -> dict[str, Any] | None:
    """One audit entry as the pages show it (undoable / redoable now), or None."""
    if not _has_reviews():
        return None
    from kb.reviews.history import related_entries

    by_id = related_entries(ids=[audit_id]) if 0 < audit_id < 2**63 else {}
    return entry_view(by_id[audit_id], by_id) if audit_id in by_id else None


def latest(n: int) -> list[dict[str, Any]]:
    """The n latest audit entries (home page)."""
    return audit(limit=n)


# An item page shows this many of the item's latest audit entries and links to the rest in the audit log: a
# much-reviewed item's page (55 rows at 10,000 reviews in bench/load_bench.py) otherwise grows with its log.
HISTORY_ROWS = 20


def for_item(it: dict[str, Any]) -> dict[str, Any]:
    """The item's notes (rendered Markdown), its latest audit entries and whether older ones exist."""
    from kb.reviews import render_note

    # rendered when written (kb.reviews.markup); only rows from before that are rendered here
    notes = [{**n, "html": n.get("html") or render_note(n["body"])} for n in it.get("notes") or []]
    rows = audit(item=it["id"], limit=HISTORY_ROWS + 1) if _has_reviews() else []
    more = url_for("review.audit_page", item=it["id"]) if len(rows) > HISTORY_ROWS else None
    return {"notes": notes, "history": rows[:HISTORY_ROWS], "history_more": more}


def form_options(snap: Snapshot, it: dict[str, Any]) -> dict[str, Any]:
    """What the review forms offer: departments to add, goals to link, repairs to decide."""
    tagged = {d["name"] for d in it["departments"]}
    goals = _goal_briefs(snap, it["plan"])
    known = department_names(snap)
    return {
        "add_departments": sorted(known - tagged) + _registry_extra(tagged | known),
        "goals": [g for g in goals if g["id"] not in it["serves"]] if it["kind"] != "goal" else [],
        "roles": [{"value": k, "label": v} for k, v in ROLE.items()],
        "label": label(it),
    }


def _goal_briefs(snap: Snapshot, plan: str) -> list[dict[str, Any]]:
    """The plan's goals as links (kb.reviews.statecache, once per build: reviews change no goal's id or title;
    per URL root, as the links hold it). Read-only."""
    return statecache.cached(
        snap,
        ("goal_briefs", plan, request.script_root),
        lambda: [brief(g) for g in snap.items if g["kind"] == "goal" and g["plan"] == plan],
        scope="build",
    )


def _registry_extra(known: set[str]) -> list[str]:
    """Registry departments not yet tagged anywhere (a reviewer may still assign them)."""
    return sorted(d.canonical for d in departments.all_departments() if d.canonical not in known)
