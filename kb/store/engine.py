"""Which engine holds the durable store: SQLite in the data dir (default) or PostgreSQL at KB_DATABASE_URL."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # psycopg is imported only when PostgreSQL is used: every SQLite command would pay ~1 s for it
    from kb.store import pg

PG_MIGRATIONS = Path(__file__).with_name("migrations") / "pg"
SCHEMES = ("postgresql://", "postgres://")
_migrated: set[str] = set()
_lock = threading.Lock()
MIGRATION_LOCK = 7_230_190  # pg_advisory_xact_lock key: one process applies migrations at a time


def database_url() -> str | None:
    """KB_DATABASE_URL when it names a PostgreSQL server, None for the embedded SQLite default."""
    url = os.environ.get("KB_DATABASE_URL", "").strip()
    if not url or url.startswith("sqlite:"):
        return None
    if not url.startswith(SCHEMES):
        raise ValueError(f"KB_DATABASE_URL 只支持 postgresql://… (unsupported database URL: {url.split(':', 1)[0]}:…)")
    return url


def engine() -> str:
    """'postgresql' or 'sqlite': the engine of the durable store in this process."""
    return "postgresql" if database_url() else "sqlite"


def pg_migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migrations/pg/NNN_name.sql, in order: one per SQLite migration."""
    out = []
    for f in sorted(PG_MIGRATIONS.glob("[0-9][0-9][0-9]_*.sql")):
        out.append((int(f.name[:3]), f.stem[4:], f.read_text(encoding="utf-8")))
    return out


def migrate_pg(conn: pg.Connection) -> int:
    """Apply pending PostgreSQL migrations, all under one advisory lock, each in its own transaction.

    A streaming replica is read-only and follows its primary's schema: nothing to apply there.
    """
    from kb.store import pg

    if conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
        return max([v for v, _n, _s in pg_migrations()] or [0])
    conn.execute("BEGIN")
    conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))  # IF NOT EXISTS alone races on the catalog
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
        "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"
    )
    conn.execute("COMMIT")
    for version, name, sql in pg_migrations():
        conn.execute("BEGIN")
        try:
            conn.execute("SELECT pg_advisory_xact_lock(?)", (MIGRATION_LOCK,))  # other app servers wait here
            if conn.execute("SELECT 1 FROM schema_migrations WHERE version = ?", (version,)).fetchone():
                conn.execute("ROLLBACK")
                continue
            conn.executescript(sql)  # PostgreSQL DDL is transactional: a failed migration leaves nothing behind
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, name))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
    pg.forget_schema(conn.conninfo)
    return max([v for v, _n, _s in pg_migrations()] or [0])


def pg_connection(url: str | None = None) -> pg.Connection:
    """A connection to the PostgreSQL durable store with its migrations applied (explicit transactions)."""
    from kb.store import pg

    url = url or database_url()
    if not url:
        raise ValueError("KB_DATABASE_URL is not set")
    conn = pg.Connection(url)
    if url not in _migrated:
        with _lock:
            migrate_pg(conn)
            _migrated.add(url)
    return conn


def forget_migrated(url: str) -> None:
    """The database at url was replaced: check its migrations again on the next connection."""
    with _lock:
        _migrated.discard(url)


def durable_identity() -> tuple | None:
    """What identifies the durable store now (caches key on it): the database URL, or the SQLite file and its
    inode (a restore replaces the file); None when no SQLite store exists yet."""
    url = database_url()
    if url:
        return ("postgresql", url)
    from kb import paths

    path = paths.reviews_db_path()
    try:
        return (str(path), os.stat(path).st_ino)
    except FileNotFoundError:
        return None
