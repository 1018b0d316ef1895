"""The append-only audit log: the write primitive every review change goes through, undo, backup/restore."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from kb.store import engine
from kb.store.durable import durable_connection, forget_writer, transaction

_local = threading.local()
EXPORT_FORMAT = "plan-kb-reviews"
EXPORT_VERSION = 1
KINDS = ("assignment", "link", "repair", "note")
DECISIONS = ("accept", "reject", "add", "confirm", "remove", "note")
REVIEW_FIELDS = (
    "kind",
    "plan",
    "item",
    "target",
    "decision",
    "role",
    "body",
    "anchor",
    "actor",
    "reason",
    "created_at",
    "updated_at",
)


class ReviewError(ValueError):
    """Input a reviewer can fix (unknown item, department not on the item …); message for the user."""


def now() -> str:
    """UTC timestamp with milliseconds, sortable as text."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def write_change(
    conn: sqlite3.Connection,
    action: str,
    before: dict | None,
    after: dict | None,
    actor: str,
    reason: str,
    undoes: int | None = None,
) -> int:
    """Apply before → after to the reviews table and append the audit entry; call inside a transaction."""
    rid = (after or before or {}).get("id")
    if before is not None and after is None:
        conn.execute("DELETE FROM reviews WHERE id = ?", (before["id"],))
    elif after is not None:
        cols = [c for c in after if c != "id"]
        if before is None:
            args = [after[c] for c in cols]
            if after.get("id") is not None:
                cols, args = ["id", *cols], [after["id"], *args]
            cur = conn.execute(f"INSERT INTO reviews ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", args)
            rid = cur.lastrowid
            after = {**after, "id": rid}
        else:
            conn.execute(
                f"UPDATE reviews SET {', '.join(c + ' = ?' for c in cols)} WHERE id = ?",
                [after[c] for c in cols] + [before["id"]],
            )
            after = {**after, "id": before["id"]}
    ref = after or before or {}
    return append_entry(
        conn,
        actor=actor,
        action=action,
        kind=ref.get("kind"),
        plan=ref.get("plan"),
        item=ref.get("item"),
        target=ref.get("target"),
        before=before,
        after=after,
        reason=reason,
        review_id=rid,
        undoes=undoes,
    )


def append_entry(
    conn: sqlite3.Connection,
    *,
    actor: str,
    action: str,
    kind: str | None,
    plan: str | None,
    item: str | None,
    target: str | None,
    before: dict | None,
    after: dict | None,
    reason: str = "",
    review_id: int | None = None,
    undoes: int | None = None,
) -> int:
    """Append one entry to the audit log (any area: reviews, observations …); call inside a transaction."""
    cur = conn.execute(
        "INSERT INTO audit (at, actor, action, review_id, kind, plan, item, target, before, after, reason, undoes) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        (now(), actor, action, review_id, kind, plan, item, target, _json(before), _json(after), reason or "", undoes),
    )
    assert cur.lastrowid is not None  # an INSERT always has one
    return cur.lastrowid


def _json(row: dict | None) -> str | None:
    return json.dumps(row, ensure_ascii=False, sort_keys=True) if row is not None else None


def version() -> int:
    """The newest audit entry's id: changes whenever any review, undo or import is written (the log is append-only)."""
    return read(lambda conn: conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0])


def reader() -> tuple[tuple | None, sqlite3.Connection | None]:
    """(identity, this thread's read connection) of the durable store, opened once per thread (opening one costs
    a page more than its reads) and again when the file is replaced or another data dir is in use; (None, None)
    before any review."""
    key = engine.durable_identity()
    if key is None:
        return None, None
    held = getattr(_local, "conn", None)
    if held is None or held[0] != key:
        if held is not None:
            held[1].close()
        _local.conn = None
        _local.conn = held = (key, durable_connection(None if key[0] == "postgresql" else Path(key[0])))
    return held


def forget_reader() -> None:
    """Drop this thread's read connection, and its write connection (after an error on it, or when tests swap data
    dirs)."""
    forget_writer()
    _local.conn = None


def read(fn: Callable[[sqlite3.Connection], Any]) -> Any:
    """Run fn on this thread's durable read connection (autocommit: each statement reads the newest commit), or
    on a fresh one that creates the store when there is none yet."""
    _key, conn = reader()
    if conn is None:
        conn = durable_connection()
        try:
            return fn(conn)
        finally:
            conn.close()
    try:
        return fn(conn)
    except sqlite3.Error:
        forget_reader()
        raise


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
            raise ReviewError(f"#{audit_id} 是从其他数据库导入的历史记录, 不能撤销; 请撤销对应的 import 记录")
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
            what = f"已被 #{later['id']} ({later['action']}) 修改" if later else "已被修改"
            raise ReviewError(f"#{audit_id} 之后该记录{what}; 请先撤销较新的修改, 或使用 --force")
        if before is not None and cur is None:
            clash = conn.execute(
                "SELECT id FROM reviews WHERE kind = ? AND plan = ? AND item = ? AND target = ?",
                (before["kind"], before["plan"], before["item"], before["target"]),
            ).fetchone()
            if clash:
                raise ReviewError(f"无法恢复: 同一对象已有较新的审核 (review {clash['id']})")
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
    since: str | None = None, actor: str | None = None, item: str | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Audit entries in time order, with before/after parsed and which later entry undid each. Only the selected
    entries are read (by index: an item's history or the latest n cost the same with 10 or 10,000 entries)."""
    sql, args = "SELECT * FROM audit WHERE 1=1", list[Any]()
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


def export_reviews() -> dict[str, Any]:
    """Every review and the whole audit log as one JSON-ready dict (backup, or move to another machine)."""

    def run(conn):
        inst = conn.execute("SELECT value FROM reviews_meta WHERE key = 'instance'").fetchone()[0]
        reviews = [dict(r) for r in conn.execute("SELECT * FROM reviews ORDER BY id")]
        audit = [dict(r) for r in conn.execute("SELECT * FROM audit ORDER BY id")]
        return inst, reviews, audit

    inst, reviews, audit = read(run)
    for r in reviews:
        r["anchor"] = json.loads(r["anchor"] or "{}")
    for a in audit:
        a["before"] = json.loads(a["before"]) if a["before"] else None
        a["after"] = json.loads(a["after"]) if a["after"] else None
        a["origin"] = a["origin"] or f"{inst}#{a['id']}"
    return {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "instance": inst,
        "exported_at": now(),
        "reviews": reviews,
        "audit": audit,
    }


def _clean_review(r: Any, n: int) -> dict[str, Any]:
    """One imported review row, validated; anything malformed is refused with its position."""
    if not isinstance(r, dict):
        raise ReviewError(f"第 {n} 条审核不是对象")
    missing = [f for f in ("kind", "plan", "item", "target", "decision", "actor") if not isinstance(r.get(f), str)]
    if missing or r["kind"] not in KINDS or r["decision"] not in DECISIONS or r.get("role") not in (None, "lead", "co"):
        raise ReviewError(f"第 {n} 条审核格式错误 ({', '.join(missing) or r.get('kind')})")
    out = {f: r.get(f) for f in REVIEW_FIELDS}
    anchor = r.get("anchor") or {}
    out["anchor"] = anchor if isinstance(anchor, str) else json.dumps(anchor, ensure_ascii=False)
    out["reason"] = out["reason"] or ""
    out["created_at"] = out["created_at"] or now()
    out["updated_at"] = out["updated_at"] or out["created_at"]
    if out["kind"] == "note":  # rendered once here, like a note written on this instance
        from kb.reviews.markup import render_note

        out["body_html"] = render_note(str(out.get("body") or ""))
    return out


def import_reviews(data: Any, by: str, reason: str = "") -> dict[str, int]:
    """Merge an export: new reviews are added, newer versions win, history is appended once (by origin)."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise ReviewError(f"不是审核备份文件 (format 应为 {EXPORT_FORMAT})")
    if not isinstance(data.get("version"), int) or data["version"] > EXPORT_VERSION:
        raise ReviewError(f"不支持的备份版本 {data.get('version')!r}")
    incoming = [_clean_review(r, n) for n, r in enumerate(data.get("reviews") or [], 1)]
    history = [a for a in data.get("audit") or [] if isinstance(a, dict)]
    stats = {"added": 0, "updated": 0, "unchanged": 0, "history_added": 0, "history_skipped": 0}

    def run(conn: sqlite3.Connection) -> dict[str, int]:
        mine = conn.execute("SELECT value FROM reviews_meta WHERE key = 'instance'").fetchone()[0]
        for r in incoming:
            cur = conn.execute(
                "SELECT * FROM reviews WHERE kind = ? AND plan = ? AND item = ? AND target = ?",
                (r["kind"], r["plan"], r["item"], r["target"]),
            ).fetchone()
            cur = dict(cur) if cur else None
            if cur is None:
                write_change(conn, "import", None, r, by, reason)
                stats["added"] += 1
            elif any(cur[f] != r[f] for f in REVIEW_FIELDS) and r["updated_at"] > cur["updated_at"]:
                write_change(conn, "import", cur, {**r, "id": cur["id"]}, by, reason)
                stats["updated"] += 1
            else:
                stats["unchanged"] += 1
        for a in history:
            origin = str(a.get("origin") or f"{data.get('instance')}#{a.get('id')}")
            seen = conn.execute("SELECT 1 FROM audit WHERE origin = ?", (origin,)).fetchone()
            if origin.startswith(mine + "#") or seen:
                stats["history_skipped"] += 1
                continue
            conn.execute(
                "INSERT INTO audit (at, actor, action, kind, plan, item, target, before, after, reason, "
                "origin) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    str(a.get("at") or now()),
                    str(a.get("actor") or "?"),
                    str(a.get("action") or "?"),
                    a.get("kind"),
                    a.get("plan"),
                    a.get("item"),
                    a.get("target"),
                    _json(a.get("before")),
                    _json(a.get("after")),
                    str(a.get("reason") or ""),
                    origin,
                ),
            )
            stats["history_added"] += 1
        return stats

    return transaction(run)
