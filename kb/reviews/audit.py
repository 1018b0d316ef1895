"""The append-only audit log: the write primitive every review change goes through, and its read connection."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kb.store import engine
from kb.store.durable import durable_connection, forget_writer, transaction  # noqa: F401 (transaction: re-exported)

_local = threading.local()


class ReviewError(ValueError):
    """Input a reviewer can fix (unknown item, department not on the item …): the message in plain Chinese for the
    user, a machine-readable `code` and `details` (valid values, missing fields) for API clients."""

    def __init__(self, message: str, code: str = "", details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.details = details or {}

    def fields(self) -> dict[str, Any]:
        """The error's code and details as extra fields of the API's error body."""
        return {"code": self.code, **self.details} if self.code else dict(self.details)


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
