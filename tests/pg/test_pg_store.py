"""The durable store on a real PostgreSQL: dialect rewrites, migration parity, append-only logs, the engine switch."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from kb.store import engine, pg
from kb.store.durable import durable_connection, migrations


@pytest.mark.parametrize(
    "sqlite_sql,pg_sql",
    [
        ("SELECT * FROM reviews WHERE id = ?", "SELECT * FROM reviews WHERE id = %s"),
        ("SELECT '?' , ?", "SELECT '?' , %s"),  # a ? inside a literal stays
        ("SELECT x FROM t WHERE a LIKE '%a%' AND b = ?", "SELECT x FROM t WHERE a LIKE '%%a%%' AND b = %s"),
        ("SELECT id % 2 FROM t", "SELECT id %% 2 FROM t"),
        ("DELETE FROM sessions WHERE user = ?", 'DELETE FROM sessions WHERE "user" = %s'),
        ("SELECT s.user FROM sessions s", 'SELECT s."user" FROM sessions s'),
        ("SELECT 'user', username FROM t", "SELECT 'user', username FROM t"),  # literal and longer words untouched
        ('SELECT "user" FROM t', 'SELECT "user" FROM t'),
        ("INSERT OR IGNORE INTO t (a) VALUES (?)", "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING"),
        (
            "INSERT OR IGNORE INTO t (a) VALUES (?) RETURNING id",
            "INSERT INTO t (a) VALUES (%s) ON CONFLICT DO NOTHING RETURNING id",
        ),
        ("SELECT ifnull(a, 0) FROM t", "SELECT coalesce(a, 0) FROM t"),
        ("UPDATE u SET at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", f"UPDATE u SET at = {pg.NOW_PG}"),
    ],
)
def test_translate(sqlite_sql, pg_sql):
    assert pg.translate(sqlite_sql) == pg_sql


def test_insert_or_replace_is_refused():
    with pytest.raises(sqlite3.NotSupportedError):
        pg.translate("INSERT OR REPLACE INTO t VALUES (?)")


def test_every_sqlite_migration_has_its_postgresql_form():
    """Helpers add SQLite migrations in their own ranges; each needs a file of the same number and name in pg/."""
    assert [(v, n) for v, n, _s in migrations()] == [(v, n) for v, n, _s in engine.pg_migrations()]


@pytest.mark.parametrize(
    "url,expected",
    [
        ("", "sqlite"),
        ("sqlite:", "sqlite"),
        ("postgresql://kb@127.0.0.1:5432/kb", "postgresql"),
        ("postgres://kb@db/kb", "postgresql"),
        ("mysql://x", ValueError),
    ],
)
def test_engine_from_url(monkeypatch, url, expected):
    monkeypatch.setenv("KB_DATABASE_URL", url)
    if expected is ValueError:
        with pytest.raises(ValueError, match="postgresql"):
            engine.engine()
    else:
        assert engine.engine() == expected


def test_durable_connection_is_postgresql(pg_url, kb_data):
    conn = durable_connection()
    try:
        assert getattr(conn, "engine", "") == "postgresql"
        got = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
        assert [(r["version"], r[1]) for r in got] == [(v, n) for v, n, _s in migrations()]
        assert not (kb_data / "reviews.sqlite").exists()  # nothing went to the SQLite default
    finally:
        conn.close()


def _seed(conn) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("INSERT INTO audit (at, actor, action) VALUES ('2024-01-01T00:00:00Z', 'amy', 'note.add')")
    conn.execute(
        "INSERT INTO observation_log (actor, action, indicator, year) VALUES ('amy', 'set', 'health-t1', 2024)"
    )
    conn.execute(
        "INSERT INTO progress_events (at, department, kind) VALUES ('2024-01-01T00:00:00Z', '市卫健委', 'duty.added')"
    )
    conn.execute("COMMIT")


@pytest.mark.parametrize("table", ["audit", "observation_log", "progress_events"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET id = id", "DELETE FROM {t}", "TRUNCATE {t}"])
def test_append_only_logs_refuse_changes(pg_url, table, statement):
    conn = durable_connection()
    try:
        _seed(conn)
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(statement.format(t=table))
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 1
    finally:
        conn.close()


def test_lastrowid_rows_and_transactions(pg_url):
    conn = durable_connection()
    try:
        conn.execute("BEGIN IMMEDIATE")
        assert conn.in_transaction
        cur = conn.execute("INSERT INTO audit (at, actor, action) VALUES (?, ?, ?)", ("t", "amy", "x"))
        first = cur.lastrowid
        second = conn.execute("INSERT INTO audit (at, actor, action) VALUES (?, ?, ?)", ("t", "bob", "y")).lastrowid
        conn.execute("ROLLBACK")
        assert not conn.in_transaction and second == first + 1
        assert conn.execute("SELECT count(*) FROM audit").fetchone()[0] == 0  # rolled back
        with conn:  # sqlite3's context manager: commit on success
            conn.execute("BEGIN")
            conn.execute("INSERT INTO reviews_meta VALUES (?, ?)", ("k", "v"))
        row = conn.execute("SELECT key, value FROM reviews_meta WHERE key = ?", ("k",)).fetchone()
        assert dict(row) == {"key": "k", "value": "v"} and row[1] == "v" and row["key"] == "k"
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO reviews_meta VALUES (?, ?)", ("k", "again"))
        with pytest.raises(sqlite3.OperationalError):
            conn.execute("SELECT no_such_column FROM reviews_meta")
    finally:
        conn.close()


def test_app_servers_migrating_at_once_apply_each_migration_once(pg_server):
    """Several processes starting on an empty database: the advisory lock lets one apply each migration."""
    import psycopg
    from pg.fixtures import drop_database

    with psycopg.connect(pg_server.url(), autocommit=True) as c:
        c.execute("CREATE DATABASE empty_migrate")
    url = pg_server.url("empty_migrate")
    errors: list[BaseException] = []

    def start() -> None:
        try:
            engine.migrate_pg(pg.Connection(url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == []
        with psycopg.connect(url) as c:
            versions = [r[0] for r in c.execute("SELECT version FROM schema_migrations ORDER BY version")]
        assert versions == [v for v, _n, _s in migrations()]
    finally:
        drop_database(pg_server, url)
