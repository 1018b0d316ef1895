"""Department assignment reviews: confirm, reject, add a department on an item, or change its role."""

from __future__ import annotations

import sqlite3

from kb.reviews.anchoring import item_anchor
from kb.reviews.audit import ReviewError, read
from kb.reviews.core import Unchanged, _canonical_department, _current, _item, _kb, _record

ROLES = ("lead", "co")


def _inferred_departments(conn: sqlite3.Connection, item_id: str) -> dict[str, str]:
    """Item-level departments the tagger gave (name → role)."""
    rows = conn.execute(
        "SELECT name, role FROM assignments WHERE item = ? AND clause IS NULL ORDER BY rank", (item_id,)
    )
    return {r["name"]: r["role"] for r in rows}


def _assignment(item_ref: str, department: str, need_present: bool) -> tuple[dict, str, dict[str, str]]:
    conn = _kb()
    item = _item(conn, item_ref)
    name = _canonical_department(conn, department)
    inferred = _inferred_departments(conn, item["id"])
    if need_present:
        _present(item, name, inferred)
    return item, name, inferred


def _present(item: dict, name: str, inferred: dict[str, str]) -> str:
    """The body's role on the item now; ReviewError where it has none (never tagged, or removed by a reviewer)."""
    role = present_role(item, name, inferred)
    if role is None:
        # said for a removal, a role change and a reassign alike: what is wrong, not one of their remedies
        raise ReviewError(f"{name} 目前不是该条目的责任部门。", "not_on_item")
    return role


def held(item: str, department: str) -> tuple[str, str]:
    """(registry name, role) of a body on an item now; ReviewError where the item, the body or the tag is unknown."""
    it, name, inferred = _assignment(item, department, need_present=False)
    return name, _present(it, name, inferred)


def canonical_department(name: str) -> str:
    """The registry name of a body (any alias); ReviewError, with suggestions, for a name the registry lacks."""
    return _canonical_department(_kb(), name)


def present_role(item: dict, name: str, inferred: dict[str, str]) -> str | None:
    """The role the body has on the item now (the tagger's, as reviewed), or None where it has none or a reviewer
    removed it. A body named only in clauses is a duty too (kb.duties: it leads if a clause names it as lead, else
    it supports), so it counts as present with that role."""
    row = read(lambda c: _current(c, "assignment", item["plan"], item["id"], name))
    if row is not None:
        return None if row["decision"] == "reject" else row.get("role") or inferred.get(name) or "co"
    if name in inferred:
        return inferred[name]
    roles = {
        r[0]
        for r in _kb().execute(
            "SELECT role FROM assignments WHERE item = ? AND clause IS NOT NULL AND name = ?", (item["id"], name)
        )
    }
    return ("lead" if "lead" in roles else "co") if roles else None


def accept_assignment(item: str, department: str, by: str, reason: str = "", role: str | None = None) -> int:
    """Confirm a department on an item (optionally fixing its role); returns the audit id."""
    _check_role(role, optional=True)
    it, name, inferred = _assignment(item, department, need_present=False)
    held = _present(it, name, inferred)  # a body named only in clauses keeps the role its clauses give it

    def change(row):
        keep = row["decision"] if row and row["decision"] == "add" else "accept"
        return {"decision": keep, "role": role or (row or {}).get("role") or inferred.get(name) or held}

    return _record("assignment", it["plan"], it["id"], name, "assignment.accept", by, reason, change, item_anchor(it))


def reject_assignment(item: str, department: str, by: str, reason: str = "") -> int:
    """Remove a wrongly tagged department from an item."""
    it, name, _ = _assignment(item, department, need_present=True)
    return _record(
        "assignment",
        it["plan"],
        it["id"],
        name,
        "assignment.reject",
        by,
        reason,
        lambda row: {"decision": "reject", "role": (row or {}).get("role")},
        item_anchor(it),
    )


def set_role(item: str, department: str, role: str, by: str, reason: str = "") -> int:
    """Change a department's role on an item (lead ↔ co); this also confirms it."""
    _check_role(role)
    it, name, _ = _assignment(item, department, need_present=True)

    def change(row):
        return {"decision": "add" if row and row["decision"] == "add" else "accept", "role": role}

    return _record("assignment", it["plan"], it["id"], name, "assignment.role", by, reason, change, item_anchor(it))


def add_assignment(item: str, department: str, by: str, reason: str = "", role: str | None = None) -> int:
    """Add a department the tagger missed (role co unless given). One already on the item gets the stronger of its
    role and the one asked for: adding the lead again as co must not take the item's lead away, and naming a partner
    lead (the queue's 指定牵头, a lead's 改派 onto it) must not leave it 配合 and the item unled; set_role demotes."""
    _check_role(role, optional=True)
    it, name, inferred = _assignment(item, department, need_present=False)
    held = present_role(it, name, inferred)

    def change(row):
        decision = "accept" if name in inferred else "add"
        kept = "lead" if "lead" in (held, role) else held or role or inferred.get(name) or "co"
        return {"decision": decision, "role": kept}

    try:
        return _record("assignment", it["plan"], it["id"], name, "assignment.add", by, reason, change, item_anchor(it))
    except Unchanged:
        if held == "lead" and role != "lead":  # 此项已是这一状态 alone did not say the co asked for was not applied
            raise Unchanged(f"{kept_lead_message(name)}此项无需保存。", "unchanged") from None
        raise


def kept_lead(item: str, department: str, role: str | None) -> str:
    """What an add of a body as co (or with no role) will say, read before it: the body leads the item now, so the
    add confirms it as 牵头 and leaves the co asked for unapplied (an add never demotes; set_role does), and the
    answer must say so; "" where the add does what was asked. Afterwards the body leads either way."""
    if role not in (None, "co"):
        return ""
    it, name, inferred = _assignment(item, department, need_present=False)
    return kept_lead_message(name) if present_role(it, name, inferred) == "lead" else ""


def kept_lead_message(name: str) -> str:
    return f"{name} 已是该条目的牵头单位，添加不会降低其职责，仍为牵头；如要改为配合，请使用“改为配合”。"


def _check_role(role: str | None, optional: bool = False) -> None:
    if role is None and optional:
        return
    if role not in ROLES:
        raise ReviewError(f"职责只能是牵头或配合，不能是“{role or ''}”。", "bad_role", {"allowed": list(ROLES)})
