"""The derived KB on PostgreSQL: published into a new schema, swapped in atomically, read through store.KB."""

from __future__ import annotations

import shutil
import sqlite3
import threading

from kb.store import KB, pgkb
from kb.store.db import connect


def _live_db(built_kb):
    return (built_kb / "current").resolve() / "kb.sqlite"


def test_published_kb_reads_the_same_as_sqlite(built_kb, pg_url):
    pgkb.publish(_live_db(built_kb), pg_url)
    with KB(connect(_live_db(built_kb), readonly=True)) as lite, KB(pgkb.connect(pg_url)) as pgk:
        assert pgk.plans() == lite.plans()
        plan = lite.plans()[0]["id"]
        assert pgk.plan(plan) == lite.plan(plan)
        assert pgk.items() == lite.items()
        assert pgk.repairs(plan) == lite.repairs(plan)
        assert pgk.headings(plan) == lite.headings(plan)
        some = lite.items()[5]["id"]
        assert pgk.item(some) == lite.item(some)


def test_swap_is_atomic_and_the_previous_build_serves_meanwhile(built_kb, pg_url, tmp_path):
    full = _live_db(built_kb)
    smaller = tmp_path / "smaller.sqlite"
    shutil.copy(full, smaller)
    with sqlite3.connect(smaller) as c:
        c.execute("PRAGMA foreign_keys = OFF")
        c.execute("DELETE FROM items WHERE rowid % 2 = 0")
    counts = {p: sqlite3.connect(p).execute("SELECT count(*) FROM items").fetchone()[0] for p in (full, smaller)}
    pgkb.publish(full, pg_url)
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        conn = pgkb.connect(pg_url)
        try:
            while not stop.is_set():
                seen.append(conn.execute("SELECT count(*) FROM items").fetchone()[0])
        except BaseException as exc:
            errors.append(exc)
        finally:
            conn.close()

    reader = threading.Thread(target=read)
    reader.start()
    try:
        pgkb.publish(smaller, pg_url)
        pgkb.publish(full, pg_url)
        pgkb.publish(smaller, pg_url)
    finally:
        stop.set()
        reader.join()
    assert errors == []
    assert set(seen) <= {counts[full], counts[smaller]} and seen  # always a whole build, never none or half
    conn = pgkb.connect(pg_url)
    try:
        assert conn.execute("SELECT count(*) FROM items").fetchone()[0] == counts[smaller]
        schemas = [
            r[0]
            for r in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'kb\\_%' AND nspname NOT LIKE 'kb\\_search\\_%'"
            )
        ]
    finally:
        conn.close()
    assert sorted(s.split("_")[1] for s in schemas) == ["live", "prev"]  # one previous build kept for rollback
