"""The durable database (reviews, audit log, users, observations): WAL mode, versioned migrations."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from kb import paths
from kb.store import engine
from kb.store.db import connect

MIGRATIONS = Path(__file__).with_name("migrations")
_migrated: set[str] = set()
_lock = threading.Lock()
_threads = threading.local()  # this thread's write connection to the SQLite store: (path, inode), connection
T = TypeVar("T")


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every kb/migrations/NNN_name.sql, in order."""
    out = []
    for f in sorted(MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql")):
        out.append((int(f.name[:3]), f.stem[4:], f.read_text(encoding="utf-8")))
    return out


def migrate(conn: sqlite3.Connection) -> int:
    """Apply pending migrations, each in its own transaction; returns the schema version."""
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
    )
    done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
    for version, name, sql in migrations():
        if version in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if version in {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}:
                conn.execute("ROLLBACK")  # another process applied it meanwhile
                continue
            for statement in _statements(sql):
                conn.execute(statement)
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, name))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:  # a failed BEGIN/COMMIT leaves none; "cannot rollback" would hide the cause
                conn.execute("ROLLBACK")
            raise
    return max([v for v, _n, _s in migrations()] or [0])


def _statements(sql: str) -> list[str]:
    """Split a migration file into complete statements (executescript would commit on its own)."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    return out


def forget_migrated(path: Path) -> None:
    """The file at path was replaced (restore): check its migrations again on the next connection."""
    with _lock:
        _migrated.discard(str(path.resolve()))


def private(path: Path) -> None:
    """Make the database and its -wal/-shm files owner-only (0600: they hold password hashes).

    Only chmod, never open(): closing any other descriptor of an SQLite file drops the POSIX locks that this
    process's connections hold on it.
    """
    for f in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            if f.stat().st_mode & 0o077:
                os.chmod(f, 0o600)
        except OSError:
            pass  # not there (yet), or a read-only data dir: the connection reports the real cause


def durable_connection(path: Path | None = None) -> sqlite3.Connection:
    """A connection to reviews.sqlite in WAL mode with migrations applied (autocommit; use BEGIN IMMEDIATE).

    With KB_DATABASE_URL=postgresql://… (and no explicit path) the same interface on PostgreSQL (kb/store/pg.py).
    """
    if path is None and engine.database_url():
        return engine.pg_connection()  # type: ignore[return-value]  # the sqlite3 surface the store uses
    path = path or paths.reviews_db_path()
    conn = connect(path)
    conn.isolation_level = None  # explicit transactions: BEGIN IMMEDIATE avoids lock upgrades failing
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    private(path)
    key = str(path.resolve())
    if key not in _migrated:
        with _lock:
            migrate(conn)
            _migrated.add(key)
    return conn


def transaction(fn: Callable[[sqlite3.Connection], T], conn: sqlite3.Connection | None = None) -> T:
    """fn in one BEGIN IMMEDIATE transaction on the durable DB (writers queue on the busy timeout).

    On `conn` when given (joining its transaction if it already holds one), else on this thread's write connection
    (SQLite) or a fresh connection closed after (PostgreSQL: one per transaction, not one per thread on the server).
    """
    own = conn is None
    kept = False
    if conn is None:
        c, kept = _writer()
    else:
        c = conn
    try:
        if not own and c.in_transaction:
            return fn(c)
        c.execute("BEGIN IMMEDIATE")
        try:
            out = fn(c)
            c.execute("COMMIT")
            return out
        except BaseException:
            if c.in_transaction:  # keep the real error, not "cannot rollback - no transaction is active"
                c.execute("ROLLBACK")
            raise
    except sqlite3.Error:
        if kept:  # a connection that failed (disk, lock, a file replaced under it) is not reused
            forget_writer()
        raise
    finally:
        if own and not kept:
            c.close()


def _writer() -> tuple[sqlite3.Connection, bool]:
    """(connection, kept for this thread): opening one per write cost a connection, its pragmas and a
    journal-mode switch per review (issue 14). Same settings as any durable connection (WAL, synchronous=NORMAL,
    busy timeout); a separate connection from the thread's reader, so a read inside a write never sees the write
    before it commits. Reopened when another file is in use (a restore replaces it, another data dir)."""
    if engine.database_url():
        return durable_connection(), False
    path = paths.reviews_db_path()
    held = getattr(_threads, "writer", None)
    try:
        key: tuple | None = (str(path), os.stat(path).st_ino)
    except FileNotFoundError:
        key = None
    if held is not None and key is not None and held[0] == key:
        return held[1], True
    forget_writer()
    conn = durable_connection(path)
    _threads.writer = ((str(path), os.stat(path).st_ino), conn)
    return conn, True


def forget_writer() -> None:
    """Close and drop this thread's write connection (after an error, or when tests swap or damage files)."""
    held = getattr(_threads, "writer", None)
    _threads.writer = None
    if held is not None:
        try:
            held[1].close()
        except sqlite3.Error:
            pass  # closing a broken connection: nothing more to lose
