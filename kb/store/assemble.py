"""A build's SQLite file from per-plan files (kb.build_cache entries): assembled whole, or by extending a copy of the
live build's file when only plans at the end of the plan order changed (`kb add` of one plan copies one or two)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

from kb.store.db import connect
from kb.store.write import SCHEMA, SCHEMA_VERSION, write_departments

# Per-plan tables of a cache entry, parents first; INSERT OR IGNORE where write_kb ignores duplicates too.
PLAN_TABLES = ("plans", "headings", "items", "clauses", "repairs", "assignments", "item_review", "indicators", "links")
IGNORING = ("repairs", "links")
_ITEMS_OF = "IN (SELECT id FROM items WHERE plan IN temp.gone)"
# Per table, which of its rows belong to the plans listed in temp.gone.
_OF_GONE = {
    "plans": "id IN temp.gone",
    "headings": "plan IN temp.gone",
    "items": "plan IN temp.gone",
    "clauses": f"item {_ITEMS_OF}",
    "repairs": "plan IN temp.gone",
    "assignments": f"item {_ITEMS_OF}",
    "item_review": f"item {_ITEMS_OF}",
    "indicators": f"item {_ITEMS_OF}",
    "links": f"measure {_ITEMS_OF}",
}


def _open(db_path: Path):
    """A connection for writing a build's file aside: no foreign key checks (kb.store.write checked the fragments'
    references) and no per-commit fsync of a file nobody reads yet (_close syncs it once)."""
    conn = connect(db_path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("PRAGMA synchronous = OFF")
    return conn


def _copy(conn, fragments: Iterable[Path], first_position: int) -> None:
    """Append each fragment's rows, table by table inside SQLite, its plan at the next position."""
    for pos, frag in enumerate(fragments, first_position):
        conn.execute("ATTACH DATABASE ? AS frag", (f"file:{frag}?mode=ro",))
        with conn:
            for t in PLAN_TABLES:
                conn.execute(f"INSERT {'OR IGNORE ' if t in IGNORING else ''}INTO main.{t} SELECT * FROM frag.{t}")
            conn.execute("UPDATE main.plans SET position = ? WHERE id IN (SELECT id FROM frag.plans)", (pos,))
        conn.execute("DETACH DATABASE frag")


def _close(conn, db_path: Path) -> None:
    conn.execute("ANALYZE")  # the planner's statistics, which PRAGMA optimize gathered when inserts used the indexes
    conn.close()
    with open(db_path, "rb+") as f:
        os.fsync(f.fileno())


def assemble_kb(db_path: Path, fragments: Iterable[Path]) -> None:
    """The build's SQLite file from per-plan files, copied table by table; the secondary indexes are created once
    after every row is in (not row by row)."""
    conn = _open(db_path)
    lines = [ln for ln in SCHEMA.read_text(encoding="utf-8").splitlines() if not ln.lstrip().startswith("--")]
    statements = [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
    indexes = [s for s in statements if s.upper().startswith("CREATE INDEX")]
    conn.executescript(";\n".join(s for s in statements if s not in indexes) + ";")
    with conn:
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("schema_version", SCHEMA_VERSION), ("built_at", time.strftime("%Y-%m-%dT%H:%M:%S"))],
        )
        write_departments(conn)
    _copy(conn, fragments, 0)
    with conn:
        for statement in indexes:
            conn.execute(statement)
    _close(conn, db_path)


def extend_kb(db_path: Path, live_db: Path, gone: list[str], fragments: Iterable[Path], first_position: int) -> None:
    """The live build's file copied, the rows of the plans gone deleted, the fragments' rows appended from
    first_position: what assemble_kb writes, row ids included, when the live file was assembled by the same code
    and the plans gone are its last ones in plan order (rows are numbered in the order they are inserted)."""
    shutil.copyfile(live_db, db_path)
    conn = _open(db_path)
    with conn:
        conn.execute("CREATE TEMP TABLE gone (id TEXT PRIMARY KEY)")
        conn.executemany("INSERT INTO temp.gone VALUES (?)", [(g,) for g in gone])
        for t in reversed(PLAN_TABLES):  # children first, while their items are still there
            conn.execute(f"DELETE FROM main.{t} WHERE {_OF_GONE[t]}")
        conn.execute("DROP TABLE temp.gone")
        conn.execute("UPDATE meta SET value = ? WHERE key = 'built_at'", (time.strftime("%Y-%m-%dT%H:%M:%S"),))
    _copy(conn, fragments, first_position)
    _close(conn, db_path)
