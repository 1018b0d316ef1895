"""The reviews' write core: the live build's items and departments, the current row of a key, one audited write."""

from __future__ import annotations

import getpass
import json
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from kb import departments, paths
from kb.errors import KBError
from kb.lookup import resolve_id
from kb.reviews.audit import ReviewError, now, transaction, write_change
from kb.reviews.overlay import resolve_row
from kb.reviews.snapshot import live_universe
from kb.store.db import kb_connection

_local = threading.local()
UNCHANGED = "此项已是这一状态，没有需要保存的修改。"


def default_actor() -> str:
    """The OS user, for command-line reviews without --by."""
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some containers
        return "unknown"


class Unchanged(ReviewError):
    """A review that would change nothing (the same decision again): refused, and no audit entry written."""


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
        if before and all(fields.get(k) == before.get(k) for k in ("decision", "role", "body")):
            # an audit entry for nothing would show a change in the log that never was
            raise Unchanged(UNCHANGED, "unchanged")
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
