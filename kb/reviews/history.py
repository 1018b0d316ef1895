"""Reading and taking back the audit log: entries by time, actor or item with their undo chain, and undo."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from kb.labels import label
from kb.reviews.audit import ReviewError, read, transaction, write_change


def _same(row: dict | None, snapshot: dict | None) -> bool:
    """The row is as the snapshot recorded it (a column added since, absent from old entries, counts as NULL)."""
    if row is None or snapshot is None:
        return row is None and snapshot is None
    return all(row.get(k) == snapshot.get(k) for k in row.keys() | snapshot.keys())


def undo(audit_id: int, by: str, reason: str = "", force: bool = False) -> int:
    """Restore what audit entry audit_id changed to its state before; a new audit entry (itself undoable)."""
    if not 0 < audit_id < 2**63:  # SQLite integers are 64-bit: a larger id cannot exist
        raise ReviewError(f"没有审计记录 #{audit_id}")

    def run(conn: sqlite3.Connection) -> int:
        e = conn.execute("SELECT * FROM audit WHERE id = ?", (audit_id,)).fetchone()
        if e is None:
            raise ReviewError(f"没有审计记录 #{audit_id}")
        if e["origin"]:
            raise ReviewError(f"记录 #{audit_id} 是从其他数据库导入的历史，不能撤销；请撤销那次导入。", "imported")
        if e["review_id"] is None:
            raise ReviewError(f"#{audit_id} 没有可撤销的修改")
        before = json.loads(e["before"]) if e["before"] else None
        after = json.loads(e["after"]) if e["after"] else None
        cur = conn.execute("SELECT * FROM reviews WHERE id = ?", (e["review_id"],)).fetchone()
        cur = dict(cur) if cur else None
        if not force and not _same(cur, after):
            later = conn.execute(
                "SELECT id, action FROM audit WHERE review_id = ? AND id > ? ORDER BY id DESC LIMIT 1",
                (e["review_id"], audit_id),
            ).fetchone()
            what = f"已被记录 #{later['id']}（{label('action', later['action'])}）修改" if later else "已被修改"
            details = {"later": later["id"]} if later else {}
            raise ReviewError(f"记录 #{audit_id} 之后该项{what}，请先撤销较新的修改。", "changed_since", details)
        if before is not None and cur is None:
            clash = conn.execute(
                "SELECT id FROM reviews WHERE kind = ? AND plan = ? AND item = ? AND target = ?",
                (before["kind"], before["plan"], before["item"], before["target"]),
            ).fetchone()
            if clash:
                raise ReviewError("无法恢复：同一对象已有较新的审核。", "newer_review", {"review": clash["id"]})
        return write_change(conn, "undo", cur, before, by, reason, undoes=audit_id)

    return transaction(run)


def parse_since(text: str) -> str:
    """'7d', '12h', '30m', '2024-05-01' or an ISO time (local when no zone) → UTC timestamp text."""
    m = re.fullmatch(r"\s*(\d+)\s*([dhm])\s*", text or "")
    if m:
        unit = {"d": "days", "h": "hours", "m": "minutes"}[m.group(2)]
        when = datetime.now(UTC) - timedelta(**{unit: int(m.group(1))})
    else:
        try:
            when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ReviewError(f"无法识别的时间 {text!r} (例: 2024-05-01, 2024-05-01T09:00, 7d, 12h)") from exc
        if when.tzinfo is None:
            when = when.astimezone()
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def audit_log(
    since: str | None = None,
    actor: str | None = None,
    item: str | None = None,
    limit: int | None = None,
    progress: bool = True,
) -> list[dict[str, Any]]:
    """Audit entries in time order, with before/after parsed and which later entry undid each. Only the selected
    entries are read (by index: an item's history or the latest n cost the same with 10 or 10,000 entries).
    progress=False leaves out the departments' progress-report events (a department's own business, not a review)."""
    sql, args = "SELECT * FROM audit WHERE 1=1", list[Any]()
    if not progress:
        sql += " AND action NOT LIKE 'progress.%'"
    if since:
        sql, args = sql + " AND at >= ?", [*args, parse_since(since)]
    if actor:
        sql, args = sql + " AND actor = ?", [*args, actor]
    if item and ":" in item:  # a full id (plan:local) is stored as it is
        sql, args = sql + " AND item = ?", [*args, item]
    elif item:  # a short id: that local id in any plan
        sql, args = sql + " AND (item = ? OR item LIKE ?)", [*args, item, "%:" + item]
    if limit:
        sql, args = f"SELECT * FROM ({sql} ORDER BY at DESC, id DESC LIMIT ?) AS recent", [*args, limit]
    return read(lambda conn: _entries(conn, [dict(r) for r in conn.execute(sql + " ORDER BY at, id", args)]))


def related_entries(entries: Iterable[dict[str, Any]] = (), ids: Iterable[int] = ()) -> dict[int, dict[str, Any]]:
    """These entries (and those with these ids) with every entry their undo state and wording reach (the undo/恢复
    chain through `undone_by`, the entry an undo took back), by id: what describing them needs, read by id instead
    of the whole log."""
    held = {e["id"]: e for e in entries}

    def run(conn: sqlite3.Connection) -> dict[int, dict[str, Any]]:
        tried: set[int] = set()
        new = list(held.values())
        wanted = set(ids)
        while True:
            wanted |= {x for e in new for x in (e["undone_by"], e["undoes"]) if x is not None}
            wanted -= held.keys() | tried
            if not wanted:
                return held
            chunk = sorted(wanted)[:500]
            tried.update(chunk)
            rows = [
                dict(r) for r in conn.execute(f"SELECT * FROM audit WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            ]
            new = _entries(conn, rows)
            held.update((e["id"], e) for e in new)

    return read(run)


def _entries(conn: sqlite3.Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit rows with before/after parsed and undone_by (the latest entry undoing each), read by index."""
    undone: dict[int, int] = {}
    ids = [r["id"] for r in rows]
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        q = f"SELECT id, undoes FROM audit WHERE undoes IN ({','.join('?' * len(chunk))}) ORDER BY id"
        undone.update((u, x) for x, u in conn.execute(q, chunk))
    for r in rows:
        r["before"] = json.loads(r["before"]) if r["before"] else None
        r["after"] = json.loads(r["after"]) if r["after"] else None
        r["undone_by"] = undone.get(r["id"])
    return rows
