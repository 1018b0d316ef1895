"""PostgreSQL behind the sqlite3 connection surface the store already speaks (execute, rows by name, lastrowid).

The store's SQL is written once, in the SQLite dialect the embedded default runs; this module rewrites the few
constructs that differ (`?` placeholders, BEGIN IMMEDIATE, INSERT OR IGNORE, strftime('now'), the `user`
column, PRAGMAs, lastrowid) and maps psycopg's errors onto the sqlite3 exception classes every layer catches, so
reviews, audit, accounts, sessions, monitoring and progress run unchanged on either engine.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import psycopg
from psycopg import errors as pgerrors
from psycopg.pq import TransactionStatus

NOW_SQLITE = re.compile(r"strftime\('%Y-%m-%dT%H:%M:%fZ',\s*'now'\)")
NOW_PG = "to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
BEGIN = re.compile(r"^\s*BEGIN(\s+(IMMEDIATE|EXCLUSIVE|DEFERRED))?(\s+TRANSACTION)?\s*;?\s*$", re.I)
INSERT_OR = re.compile(r"^\s*INSERT\s+OR\s+(IGNORE|REPLACE)\s+INTO\s+", re.I)
INSERT_INTO = re.compile(r"^\s*INSERT\s+INTO\s+\"?(\w+)\"?", re.I)
PRAGMA = re.compile(r"^\s*PRAGMA\b", re.I)
# Tokens outside string literals and quoted identifiers: the only places a rewrite may touch.
TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?|%|\buser\b")

WRITER_LOCK = 7_230_192  # pg_advisory_xact_lock key of the durable store's writers (BEGIN IMMEDIATE)
_serial_lock = threading.Lock()
_serial_tables: dict[str, set[str]] = {}  # conninfo -> tables whose id is an identity column


def translate(sql: str) -> str:
    """The SQLite-dialect statement `sql` in PostgreSQL's dialect (placeholders as %s, literal % doubled)."""
    sql = NOW_SQLITE.sub(NOW_PG, sql)
    sql = sql.replace("ifnull(", "coalesce(").replace("IFNULL(", "coalesce(")
    ignore = INSERT_OR.match(sql)
    if ignore:
        if ignore.group(1).upper() == "REPLACE":
            raise sqlite3.NotSupportedError("INSERT OR REPLACE has no PostgreSQL form without a conflict target")
        sql = "INSERT INTO " + sql[ignore.end() :]

    def token(m: re.Match[str]) -> str:
        t = m.group(0)
        if t == "?":
            return "%s"
        if t == "%":
            return "%%"
        if t == "user":
            return '"user"'
        return t.replace("%", "%%") if t.startswith("'") else t

    sql = TOKENS.sub(token, sql)
    if ignore:
        sql = _before_returning(sql, " ON CONFLICT DO NOTHING")
    return sql


def _before_returning(sql: str, clause: str) -> str:
    """Insert `clause` before a trailing RETURNING (or at the end)."""
    m = re.search(r"\sRETURNING\s", sql, re.I)
    body = sql.rstrip().rstrip(";")
    return body[: m.start()] + clause + body[m.start() :] if m else body + clause


class Row(tuple):
    """A result row readable by position or column name, like sqlite3.Row (dict(row) works)."""

    _names: tuple[str, ...] = ()

    def __new__(cls, names: tuple[str, ...], values: Sequence[Any]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._names.index(key))
            except ValueError:
                raise IndexError(f"No item with that key: {key}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        """Column names, in order."""
        return list(self._names)


def _row_factory(cursor: psycopg.Cursor[Any]) -> Any:
    names = tuple(c.name for c in cursor.description or ())
    return lambda values: Row(names, values)


def _mapped(exc: psycopg.Error) -> sqlite3.Error:
    """The sqlite3 exception class the callers already handle for this PostgreSQL error."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, psycopg.IntegrityError | pgerrors.RaiseException):
        return sqlite3.IntegrityError(msg)
    if isinstance(exc, psycopg.OperationalError | pgerrors.LockNotAvailable | pgerrors.SerializationFailure):
        return sqlite3.OperationalError(msg)
    if isinstance(exc, psycopg.ProgrammingError | psycopg.DataError):
        return sqlite3.OperationalError(msg)
    return sqlite3.DatabaseError(msg)


class Cursor:
    """The result of one statement: fetchone/fetchall/iteration, rowcount, lastrowid, description."""

    def __init__(self, cur: psycopg.Cursor[Any] | None, lastrowid: int | None = None) -> None:
        self._cur = cur
        self.lastrowid = lastrowid
        self.rowcount = cur.rowcount if cur is not None else -1
        self.description = cur.description if cur is not None else None

    def fetchone(self) -> Any:
        """The next row, or None."""
        if self._cur is None or self._cur.description is None:
            return None
        return self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        """The remaining rows."""
        if self._cur is None or self._cur.description is None:
            return []
        return self._cur.fetchall()

    def fetchmany(self, size: int = 100) -> list[Any]:
        """Up to `size` rows."""
        if self._cur is None or self._cur.description is None:
            return []
        return self._cur.fetchmany(size)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.fetchall())

    def close(self) -> None:
        """Release the server-side result."""
        if self._cur is not None:
            self._cur.close()


class Connection:
    """A psycopg connection in autocommit mode driven by explicit BEGIN/COMMIT, like the store's sqlite3 ones."""

    isolation_level: str | None = None  # accepted and ignored: transactions are always explicit here
    row_factory: Any = None
    engine = "postgresql"

    def __init__(self, conninfo: str) -> None:
        self.conninfo = conninfo
        try:
            self._conn = psycopg.connect(conninfo, autocommit=True, row_factory=_row_factory)
        except psycopg.Error as exc:
            raise _mapped(exc) from exc

    @property
    def in_transaction(self) -> bool:
        """True inside BEGIN … COMMIT (also after a failed statement, until ROLLBACK)."""
        return self._conn.info.transaction_status != TransactionStatus.IDLE

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> Cursor:
        """Run one SQLite-dialect statement."""
        if PRAGMA.match(sql):
            return Cursor(None)  # journal mode, busy timeout, foreign keys: the server's concern here
        begin = BEGIN.match(sql)
        if begin:
            if self.in_transaction:
                raise sqlite3.OperationalError("cannot start a transaction within a transaction")
            if (begin.group(2) or "").upper() in ("IMMEDIATE", "EXCLUSIVE"):
                # SQLite's BEGIN IMMEDIATE takes the one write lock at the start, and the store's read-then-write
                # code relies on it: writers queue on one transaction-scoped advisory lock here, readers never wait.
                self._run("BEGIN ISOLATION LEVEL READ COMMITTED")
                return self._run(f"SELECT pg_advisory_xact_lock({WRITER_LOCK})")
            sql = "BEGIN ISOLATION LEVEL READ COMMITTED"
        text = translate(sql)
        lastrow = None
        insert = INSERT_INTO.match(text)
        wants_id = bool(insert) and " RETURNING " not in text.upper() and insert.group(1) in self._serial()  # type: ignore[union-attr]
        if wants_id:
            text = text.rstrip().rstrip(";") + " RETURNING id"
        try:
            cur = self._conn.execute(text, tuple(params) if not isinstance(params, dict) else params)
            if wants_id:
                got = cur.fetchone()
                lastrow = int(got[0]) if got else None
        except psycopg.Error as exc:
            raise _mapped(exc) from exc
        return Cursor(cur, lastrow)

    def _run(self, text: str) -> Cursor:
        """A statement already in PostgreSQL's dialect, without parameters."""
        try:
            return Cursor(self._conn.execute(text.encode()))
        except psycopg.Error as exc:
            raise _mapped(exc) from exc

    def executemany(self, sql: str, seq: Iterable[Sequence[Any]]) -> Cursor:
        """Run one statement for each parameter row."""
        text = translate(sql)
        try:
            with self._conn.cursor() as cur:
                cur.executemany(text, [tuple(p) for p in seq])
                return Cursor(None)
        except psycopg.Error as exc:
            raise _mapped(exc) from exc

    def executescript(self, sql: str) -> None:
        """Run several statements as written (PostgreSQL-dialect DDL: migrations)."""
        try:
            self._conn.execute(sql.encode())  # bytes: no placeholder parsing, several statements allowed
        except psycopg.Error as exc:
            raise _mapped(exc) from exc

    def _serial(self) -> set[str]:
        """Tables whose `id` the database assigns (INSERTs into them return it as lastrowid)."""
        with _serial_lock:
            known = _serial_tables.get(self.conninfo)
        if known is None:
            rows = self._conn.execute(
                "SELECT table_name FROM information_schema.columns WHERE column_name = 'id' "
                "AND table_schema = current_schema() AND (is_identity = 'YES' OR column_default LIKE 'nextval%%')"
            ).fetchall()
            known = {r[0] for r in rows}
            with _serial_lock:
                _serial_tables[self.conninfo] = known
        return known

    def commit(self) -> None:
        """Commit the open transaction, if any."""
        if self.in_transaction:
            self.execute("COMMIT")

    def rollback(self) -> None:
        """Roll back the open transaction, if any."""
        if self.in_transaction:
            self.execute("ROLLBACK")

    def close(self) -> None:
        """Close the connection (an open transaction is rolled back by the server)."""
        self._conn.close()

    def __del__(self) -> None:
        # A per-thread connection held by a cache ends with its thread or the process: close it quietly.
        conn = getattr(self, "_conn", None)
        if conn is not None and not conn.closed:
            conn.close()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, kind: Any, value: Any, tb: Any) -> None:
        # sqlite3's context manager: commit on success, roll back on error, never close.
        if kind is None:
            self.commit()
        else:
            self.rollback()


def forget_schema(conninfo: str) -> None:
    """Migrations changed the tables: read the identity columns again on the next INSERT."""
    with _serial_lock:
        _serial_tables.pop(conninfo, None)
