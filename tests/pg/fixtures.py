"""Pytest fixtures over one real PostgreSQL server per session: a fresh database per test, migrated from a template."""

from __future__ import annotations

import itertools
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from pg import server as pgserver

TEMPLATE = "kb_template"
SEARCH_TEMPLATE = "kb_search_template"
_count = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[pgserver.PgServer]:
    """One PostgreSQL server for the session, started in a temp dir and stopped by PID at the end."""
    if not pgserver.available():
        if os.environ.get("KB_TEST_PG") == "required":  # scripts/test.sh installed it: missing is a failure
            pytest.fail("PostgreSQL server programs not found although scripts/test.sh should have installed them")
        pytest.skip("PostgreSQL is not installed (scripts/pg_server.sh installs it)")
    srv = pgserver.start_server()  # its own /tmp dir: pytest's are root-only, the server runs as `postgres`
    try:
        _make_template(srv)
        yield srv
    finally:
        pgserver.remove(srv)


def _make_template(srv: pgserver.PgServer) -> None:
    """kb_template: a database with every durable migration applied, cloned per test (fast, and no test waits)."""
    import psycopg

    from kb.store import engine

    with psycopg.connect(srv.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {TEMPLATE}")
    engine.pg_connection(srv.url(TEMPLATE)).close()
    engine.forget_migrated(srv.url(TEMPLATE))


def new_database(srv: pgserver.PgServer, template: str = TEMPLATE) -> str:
    """A fresh, migrated database on srv (a copy of template); returns its URL."""
    import psycopg

    name = f"t{os.getpid()}_{next(_count)}"
    with psycopg.connect(srv.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    return srv.url(name)


@pytest.fixture(scope="session")
def pg_search_template(pg_server: pgserver.PgServer, built_kb) -> str:
    """kb_search_template: kb_template with the session's build published into it (kb.store.pgkb, as `kb build`
    does with KB_DATABASE_URL set), so a test over that build searches it on PostgreSQL."""
    import psycopg

    from kb.store import pgkb

    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {SEARCH_TEMPLATE} TEMPLATE {TEMPLATE}")
    pgkb.publish((built_kb / "current").resolve() / "kb.sqlite", pg_server.url(SEARCH_TEMPLATE))
    return SEARCH_TEMPLATE


@pytest.fixture
def pg_search_url(
    pg_server: pgserver.PgServer, pg_search_template: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """KB_DATABASE_URL set to a fresh database holding the session's build, and KB_SEARCH_ENGINE=pg: the durable
    store and the search both on PostgreSQL for this test (a test's own build is published by kb build, or by
    search_fixture.write_build)."""
    url = new_database(pg_server, pg_search_template)
    monkeypatch.setenv("KB_DATABASE_URL", url)
    monkeypatch.setenv("KB_SEARCH_ENGINE", "pg")
    yield url
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)
    drop_database(pg_server, url)


def drop_database(srv: pgserver.PgServer, url: str) -> None:
    """Drop the database at url (connections still open are ended)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(srv.url(), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def pg_url(pg_server: pgserver.PgServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """KB_DATABASE_URL set to a fresh PostgreSQL database for this test."""
    url = new_database(pg_server)
    monkeypatch.setenv("KB_DATABASE_URL", url)
    yield url
    monkeypatch.delenv("KB_DATABASE_URL", raising=False)
    drop_database(pg_server, url)


@pytest.fixture(autouse=True)
def _engine(request: pytest.FixtureRequest) -> None:
    """KB_TEST_ENGINE=postgresql runs every test with its durable store and its search on PostgreSQL
    (scripts/test.sh does so); KB_TEST_SEARCH=whoosh keeps the search on the build folder's index."""
    if os.environ.get("KB_TEST_ENGINE") == "postgresql" and "sqlite_only" not in request.keywords:
        search = os.environ.get("KB_TEST_SEARCH", "pg")
        request.getfixturevalue("pg_search_url" if search == "pg" else "pg_url")


def publish_if_other(build_dir: Path) -> None:
    """With the search on PostgreSQL (KB_SEARCH_ENGINE=pg and KB_DATABASE_URL), make build_dir's build the database's
    live one when the database holds another, as `kb build` would have published it (a test serving a build of its
    own, made before this test's database existed)."""
    from kb.store import pgkb
    from kb.store.engine import database_url

    url = database_url()
    if os.environ.get("KB_SEARCH_ENGINE") != "pg" or not url:
        return
    db = Path(build_dir) / "kb.sqlite"
    ask = "SELECT (SELECT value FROM meta WHERE key = 'built_at'), (SELECT count(*) FROM items)"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as src:
        local = tuple(src.execute(ask).fetchone())
    live = None
    if pgkb.has_live(url):
        conn = pgkb.connect(url)
        try:
            live = tuple(conn.execute(ask).fetchone())
        finally:
            conn.close()
    if live != local:
        pgkb.publish(db, url)
