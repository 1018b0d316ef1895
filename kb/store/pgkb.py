"""The derived KB on PostgreSQL: a build is copied into a new schema, then swapped in by renames in one transaction.

Readers name the live schema `kb_live` (search_path); until the swap commits they read the previous build, and a
statement started before it finishes on the build it began with (MVCC). The build itself is written by
kb.build as an SQLite file first (the embedded engine's artefact); this publishes exactly that file.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import psycopg

from kb.store import pg
from kb.store.engine import database_url

LIVE = "kb_live"
PREVIOUS = "kb_prev_"  # renamed-out builds, newest kept for a rollback by rename
BUILDING = "kb_new_"
KEEP_PREVIOUS = 1
SWAP_LOCK = 7_230_191  # pg_advisory_xact_lock key: one swap at a time
TYPES = {"INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION", "TEXT": "TEXT", "BLOB": "BYTEA", "": "TEXT"}
INDEX = re.compile(r"CREATE\s+(UNIQUE\s+)?INDEX\s+(?:IF NOT EXISTS\s+)?\w+\s+ON\s+(\w+)\s*\((.*)\)\s*$", re.I | re.S)


def _tables(src: sqlite3.Connection) -> list[str]:
    return [
        r[0] for r in src.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")
    ]


def _create(src: sqlite3.Connection, dst: psycopg.Connection, schema: str, table: str) -> list[str]:
    """CREATE TABLE schema.table like the SQLite one (types by affinity, same primary key); its column names."""
    cols = src.execute(f'PRAGMA table_info("{table}")').fetchall()
    defs = [f'"{c[1]}" {TYPES.get(str(c[2]).upper(), "TEXT")}' for c in cols]
    pk = [f'"{c[1]}"' for c in sorted(cols, key=lambda c: c[5]) if c[5]]
    if pk:
        defs.append(f"PRIMARY KEY ({', '.join(pk)})")
    dst.execute(f'CREATE TABLE {schema}."{table}" ({", ".join(defs)})')
    return [c[1] for c in cols]


def publish(db_path: Path, url: str | None = None) -> str:
    """Copy the build at db_path into a new schema and make it `kb_live` atomically; returns the schema it had."""
    url = url or database_url()
    if not url:
        raise ValueError("KB_DATABASE_URL is not set")
    name = f"{BUILDING}{time.strftime('%Y%m%d%H%M%S')}_{time.monotonic_ns() % 10**6:06d}"
    src = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        with psycopg.connect(url) as dst:  # one transaction for the copy: a failed build leaves no half schema
            dst.execute("SELECT pg_advisory_xact_lock(%s)", (SWAP_LOCK + 1,))  # one publish at a time (extensions)
            dst.execute(f"CREATE SCHEMA {name}")
            for table in _tables(src):
                cols = _create(src, dst, name, table)
                quoted = ", ".join(f'"{c}"' for c in cols)
                with dst.cursor().copy(f'COPY {name}."{table}" ({quoted}) FROM STDIN') as copy:
                    for row in src.execute(f'SELECT {quoted} FROM "{table}"'):
                        copy.write_row(row)
            for (sql,) in src.execute("SELECT sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"):
                m = INDEX.match(sql.strip().rstrip(";"))
                if m:
                    dst.execute(f'CREATE {m.group(1) or ""}INDEX ON {name}."{m.group(2)}" ({m.group(3)})')
            from kb.search import pg as pgsearch  # here: kb.search reads the store, not the other way round

            index = Path(db_path).parent / "index"  # the build's search index, beside it
            if index.is_dir():  # a bare KB file (no index) is published without one: PG search then answers 503
                pgsearch.write(dst, name, index)
            dst.execute("ANALYZE")
    finally:
        src.close()
    swap(name, url)
    return name


def swap(name: str, url: str) -> None:
    """kb_live → kb_prev_…, name → kb_live, in one transaction; then drop all but the newest previous build."""
    stamp = name[len(BUILDING) :]
    with psycopg.connect(url) as conn:
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (SWAP_LOCK,))
        if _exists(conn, LIVE):
            conn.execute(f"ALTER SCHEMA {LIVE} RENAME TO {PREVIOUS}{stamp}")
        conn.execute(f"ALTER SCHEMA {name} RENAME TO {LIVE}")
    with psycopg.connect(url, autocommit=True) as conn:
        old = sorted(
            r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (PREVIOUS + "%",))
        )
        for schema in old[: max(0, len(old) - KEEP_PREVIOUS)]:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")  # waits for readers still on it, then frees the space
        from kb.search import pg as pgsearch

        pgsearch.drop_unused(conn)  # the search index of each dropped build


def has_live(url: str | None = None) -> bool:
    """True when the database holds a live KB schema."""
    with psycopg.connect(url or database_url() or "") as conn:
        return _exists(conn, LIVE)


def _exists(conn: psycopg.Connection, schema: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is not None


def connect(url: str | None = None) -> pg.Connection:
    """A read connection whose unqualified names resolve to the live build (the store.KB read API runs on it)."""
    url = url or database_url()
    if not url:
        raise ValueError("KB_DATABASE_URL is not set")
    conn = pg.Connection(url)
    conn.execute(f"SET search_path TO {LIVE}")
    return conn
