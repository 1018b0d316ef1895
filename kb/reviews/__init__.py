"""Review workflow: reviewers confirm or correct tags, links, repairs and notes; every change is audited."""

from __future__ import annotations

import getpass
import json
import secrets
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from kb import departments, paths
from kb.errors import KBError
from kb.lookup import resolve_id
from kb.reviews.anchoring import item_anchor, repair_context
from kb.reviews.audit import (  # noqa: F401 (re-exported: the reviews API)
    ReviewError,
    audit_log,
    export_reviews,
    import_reviews,
    now,
    read,
    transaction,
    undo,
    write_change,
)
from kb.reviews.markup import check_note, render_note
from kb.reviews.overlay import list_reviews, orphans, reanchor, repair_decisions, resolve_row  # noqa: F401
from kb.reviews.snapshot import live_universe, reviewed_item, reviewed_items  # noqa: F401
from kb.store.db import kb_connection

_local = threading.local()

ROLES = ("lead", "co")


def default_actor() -> str:
    """The OS user, for command-line reviews without --by."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


# -- the live build: items, departments, repairs ---------------------------------------------------
def _kb() -> sqlite3.Connection:
    """This thread's read-only connection to the live build's database, opened once per build (each build is a
    folder of its own; a connection per write cost an open and a schema read per review); NoKnowledgeBase before
    any build."""
    path = paths.kb_db_path()
    held = getattr(_local, "kb", None)
    if held is not None and held[0] == path:
        return held[1]
    _local.kb = None
    if held is not None:
        held[1].close()
    conn = kb_connection()
    _local.kb = (path, conn)
    return conn


def _item(conn: sqlite3.Connection, ref: str) -> dict[str, Any]:
    """An item of the live build by full or short id (kb.lookup); ReviewError when none or several match."""
    cols = "id, plan, kind, domain, domain_code, fingerprint, text, title"
    row = conn.execute(f"SELECT {cols} FROM items WHERE id = ?", (ref,)).fetchone()
    if row is not None:  # a full id (what the pages send): by the primary key, not a scan for short ids
        return dict(row)
    ids = [r[0] for r in conn.execute("SELECT id FROM items WHERE id = ? OR id LIKE '%:' || ?", (ref, ref))]
    try:
        found = resolve_id(ids, ref)
    except KBError as exc:
        raise ReviewError(exc.message) from None
    return dict(conn.execute(f"SELECT {cols} FROM items WHERE id = ?", (found,)).fetchone())


def _canonical_department(conn: sqlite3.Connection, name: str) -> str:
    """Registry name for any alias or prefixed form; departments already tagged in the KB are accepted as is."""
    name = (name or "").strip()
    if conn.execute("SELECT 1 FROM assignments WHERE name = ? LIMIT 1", (name,)).fetchone():
        return name
    dep = departments.resolve(name)
    if dep is None:
        raise ReviewError(departments.unknown_message(name))
    return dep.canonical


def _inferred_departments(conn: sqlite3.Connection, item_id: str) -> dict[str, str]:
    """Item-level departments the tagger gave (name → role)."""
    rows = conn.execute(
        "SELECT name, role FROM assignments WHERE item = ? AND clause IS NULL ORDER BY rank", (item_id,)
    )
    return {r["name"]: r["role"] for r in rows}


# -- writing: one short BEGIN IMMEDIATE transaction per change ---------------------------------------
def _current(conn: sqlite3.Connection, kind: str, plan: str, item: str, target: str) -> dict[str, Any] | None:
    """The review row for (kind, plan, item, target): exact key, else one whose anchor re-resolves there (newest
    change first). Read by the key's index, so a write costs the same with 10 or 10,000 reviews stored: notes have
    keys of their own (no other row is one), a department review's target is the department's name (only rows of
    that name can re-resolve to it); link and repair rows, whose goal or repair may have moved too, are resolved
    one by one."""
    exact = conn.execute(
        "SELECT * FROM reviews WHERE kind = ? AND plan = ? AND item = ? AND target = ?", (kind, plan, item, target)
    ).fetchone()
    if exact is not None or kind == "note":
        return dict(exact) if exact is not None else None
    sql, args = "SELECT * FROM reviews WHERE kind = ? AND plan = ?", [kind, plan]
    if kind == "assignment":
        sql, args = sql + " AND target = ?", [*args, target]
    rows = [dict(r) for r in conn.execute(sql + " ORDER BY updated_at DESC", args)]
    uni = live_universe()
    for r in rows:
        if uni is not None and resolve_row(uni, r)[:2] == (item, target):
            return r
    return None


def _record(
    kind: str,
    plan: str,
    item: str,
    target: str,
    action: str,
    actor: str,
    reason: str,
    change: Callable[[dict | None], dict | None],
    anchor: dict[str, Any],
) -> int:
    """Read the current row, let change() decide the new one, write both and the audit entry; the audit id."""

    def run(conn: sqlite3.Connection) -> int:
        before = _current(conn, kind, plan, item, target)
        fields = change(dict(before) if before else None)
        if fields is None:
            return write_change(conn, action, before, None, actor, reason)
        stamp = now()
        after = {
            "kind": kind,
            "plan": plan,
            "item": item,
            "target": target,
            "decision": fields["decision"],
            "role": fields.get("role"),
            "body": fields.get("body"),
            "body_html": fields.get("body_html"),
            "anchor": json.dumps(anchor, ensure_ascii=False),
            "actor": actor,
            "reason": reason or "",
            "created_at": (before or {}).get("created_at") or stamp,
            "updated_at": stamp,
        }
        if before:
            after["id"] = before["id"]
        return write_change(conn, action, before, after, actor, reason)

    return transaction(run)


# -- department assignments -----------------------------------------------------------------------
def _assignment(item_ref: str, department: str, need_present: bool) -> tuple[dict, str, dict[str, str]]:
    conn = _kb()
    item = _item(conn, item_ref)
    name = _canonical_department(conn, department)
    inferred = _inferred_departments(conn, item["id"])
    # A department named only in one clause is a duty too (the pages list it), so it can be reviewed.
    in_clauses = (
        conn.execute(
            "SELECT 1 FROM assignments WHERE item = ? AND clause IS NOT NULL AND name = ?", (item["id"], name)
        ).fetchone()
        is not None
    )
    if (
        need_present
        and name not in inferred
        and not in_clauses
        and read(lambda c: _current(c, "assignment", item["plan"], item["id"], name)) is None
    ):
        raise ReviewError(f"{name} 不在条目 {item['id']} 的责任部门中; 用 add 添加")
    return item, name, inferred


def accept_assignment(item: str, department: str, by: str, reason: str = "", role: str | None = None) -> int:
    """Confirm a department on an item (optionally fixing its role); returns the audit id."""
    _check_role(role, optional=True)
    it, name, inferred = _assignment(item, department, need_present=True)

    def change(row):
        keep = row["decision"] if row and row["decision"] == "add" else "accept"
        return {"decision": keep, "role": role or (row or {}).get("role") or inferred.get(name)}

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
    """Add a department the tagger missed (role co unless given; one already tagged keeps its role)."""
    _check_role(role, optional=True)
    it, name, inferred = _assignment(item, department, need_present=False)

    def change(row):
        decision = "accept" if name in inferred else "add"
        return {"decision": decision, "role": role or (row or {}).get("role") or inferred.get(name) or "co"}

    return _record("assignment", it["plan"], it["id"], name, "assignment.add", by, reason, change, item_anchor(it))


def _check_role(role: str | None, optional: bool = False) -> None:
    if role is None and optional:
        return
    if role not in ROLES:
        raise ReviewError(f"角色必须是 lead(牵头) 或 co(配合), 而不是 {role!r}")


# -- measure → goal links -------------------------------------------------------------------------
def _link(measure: str, goal: str) -> tuple[dict, dict, bool]:
    conn = _kb()
    m, g = _item(conn, measure), _item(conn, goal)
    linked = conn.execute("SELECT 1 FROM links WHERE measure = ? AND goal = ?", (m["id"], g["id"])).fetchone()
    if g["kind"] != "goal":
        raise ReviewError(f"{g['id']} 不是主要目标 (kind={g['kind']})")
    if m["plan"] != g["plan"]:
        raise ReviewError("措施与目标必须属于同一规划")
    return m, g, linked is not None


def _link_anchor(m: dict, g: dict) -> dict[str, Any]:
    return {**item_anchor(m), "goal": item_anchor(g)}


def confirm_link(measure: str, goal: str, by: str, reason: str = "") -> int:
    """Confirm an inferred measure → goal link."""
    m, g, linked = _link(measure, goal)
    if not linked:
        row = read(lambda c: _current(c, "link", m["plan"], m["id"], g["id"]))
        if not row or row["decision"] == "remove":
            raise ReviewError(f"{m['id']} 与 {g['id']} 之间没有关联; 用 link add 添加")
    return _record(
        "link",
        m["plan"],
        m["id"],
        g["id"],
        "link.confirm",
        by,
        reason,
        lambda row: {"decision": "add" if row and row["decision"] == "add" else "confirm"},
        _link_anchor(m, g),
    )


def add_link(measure: str, goal: str, by: str, reason: str = "") -> int:
    """Add a goal the measure serves."""
    m, g, linked = _link(measure, goal)
    return _record(
        "link",
        m["plan"],
        m["id"],
        g["id"],
        "link.add",
        by,
        reason,
        lambda row: {"decision": "confirm" if linked else "add"},
        _link_anchor(m, g),
    )


def remove_link(measure: str, goal: str, by: str, reason: str = "") -> int:
    """Remove a goal from what the measure serves."""
    m, g, _ = _link(measure, goal)
    return _record(
        "link",
        m["plan"],
        m["id"],
        g["id"],
        "link.remove",
        by,
        reason,
        lambda row: {"decision": "remove"},
        _link_anchor(m, g),
    )


# -- repairs --------------------------------------------------------------------------------------
def _repair(repair_id: str, plan: str | None) -> dict[str, Any]:
    conn = _kb()
    sql, args = 'SELECT id, plan, start, "end", before, after, rule, applied FROM repairs WHERE id = ?', [repair_id]
    if plan:
        sql, args = sql + " AND plan = ?", [*args, plan]
    rows = [dict(r) for r in conn.execute(sql, args)]
    if len(rows) != 1:
        raise ReviewError(f"找不到修复 {repair_id}" if not rows else f"修复 {repair_id} 不唯一, 请指定 --plan")
    raw = conn.execute("SELECT raw_text FROM plans WHERE id = ?", (rows[0]["plan"],)).fetchone()[0]
    r = rows[0]
    r["anchor"] = {
        "plan": r["plan"],
        "rule": r["rule"],
        "before": r["before"],
        "after": r["after"],
        "context": repair_context(raw, r["start"], r["end"]),
    }
    return r


def accept_repair(repair_id: str, by: str, reason: str = "", plan: str | None = None) -> int:
    """Accept a repair: applied in the repaired text from the next build on."""
    r = _repair(repair_id, plan)
    return _record(
        "repair", r["plan"], "", r["id"], "repair.accept", by, reason, lambda row: {"decision": "accept"}, r["anchor"]
    )


def reject_repair(repair_id: str, by: str, reason: str = "", plan: str | None = None) -> int:
    """Reject a repair: left out of the repaired text from the next build on."""
    r = _repair(repair_id, plan)
    return _record(
        "repair", r["plan"], "", r["id"], "repair.reject", by, reason, lambda row: {"decision": "reject"}, r["anchor"]
    )


# -- notes ----------------------------------------------------------------------------------------
def _note_body(body: str) -> tuple[str, str]:
    """(Markdown, its sanitised HTML) of a note within the length cap; ReviewError otherwise."""
    try:
        return check_note(body), render_note(body)
    except ValueError as exc:
        raise ReviewError(str(exc)) from exc


def add_note(item: str, body: str, by: str, reason: str = "") -> tuple[str, int]:
    """Attach a Markdown note to an item (rendered once, here); returns (note id, audit id)."""
    body, body_html = _note_body(body)
    conn = _kb()
    it = _item(conn, item)
    key = "n" + secrets.token_hex(5)
    aid = _record(
        "note",
        it["plan"],
        it["id"],
        key,
        "note.add",
        by,
        reason,
        lambda row: {"decision": "note", "body": body, "body_html": body_html},
        item_anchor(it),
    )
    return key, aid


def _note(conn: sqlite3.Connection, note_id: str, by: str, item: str | None, moderator: bool) -> dict[str, Any]:
    """The note row a reviewer may change: their own (admins: anyone's), on the item it is said to be on."""
    row = conn.execute("SELECT * FROM reviews WHERE kind = 'note' AND target = ?", (note_id,)).fetchone()
    if row is None:
        raise ReviewError(f"找不到备注 {note_id}")
    note = dict(row)
    if item is not None and note["item"] != item:
        uni = live_universe()
        if uni is None or resolve_row(uni, note)[0] != item:
            raise ReviewError(f"备注 {note_id} 不属于条目 {item}")
    if not moderator and note["actor"] != by:
        raise ReviewError(f"只能修改自己的备注(此备注由 {note['actor']} 添加)")
    return note


def edit_note(
    note_id: str, body: str, by: str, reason: str = "", item: str | None = None, moderator: bool = False
) -> int:
    """Replace a note's Markdown (the author, or a moderator: the note stays its author's)."""
    body, body_html = _note_body(body)

    def run(conn):
        before = _note(conn, note_id, by, item, moderator)
        after = {**before, "body": body, "body_html": body_html, "reason": reason or "", "updated_at": now()}
        return write_change(conn, "note.edit", before, after, by, reason)

    return transaction(run)


def remove_note(note_id: str, by: str, reason: str = "", item: str | None = None, moderator: bool = False) -> int:
    """Delete a note (the audit log keeps it; undo brings it back); the author's or, for a moderator, any."""
    return transaction(
        lambda conn: write_change(conn, "note.remove", _note(conn, note_id, by, item, moderator), None, by, reason)
    )
