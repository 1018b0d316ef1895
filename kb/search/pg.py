"""Search on PostgreSQL: the default engine's index published into the database, ranked by the same code.

A build's search index (the BM25F postings kb.search.arrays derives from the whoosh index, the per-item arrays and
each item's normalised text) is written into its own schema `kb_search_<stamp>` when kb.store.pgkb publishes the
build; the live KB schema names it in `search_meta`. PostgreSQL then finds a query's candidates (the postings of its
terms, by primary key; the texts of the candidates) and kb.search.ranking scores them with the default engine's
model (the same parser, fields, boosts, coverage, phrases, filters and facets), so the two engines rank alike by
construction. Fragments (托位) are found as the default engine finds them, through the bigram postings; a trigram
index would be a second way to find them, with other results.
"""

from __future__ import annotations

import io
import json
import threading
import weakref
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from kb.search.arrays import derived
from kb.search.engine import NO_INDEX, Engine, StaleBuild
from kb.search.hay import Hay
from kb.search.query import SearchError

SEARCH = "kb_search_"  # schema prefix of a build's search tables (never renamed, so a reader stays on its build)
HAY_CACHE = 50_000  # item texts kept per engine (a candidate set is up to 300; ~0.5 kB each)


def write(dst: psycopg.Connection, kb_schema: str, index_dir: Path) -> str:
    """Write the index of the build at index_dir into a new search schema and name it in kb_schema.search_meta
    (inside the publishing transaction); returns the search schema."""
    src = derived(index_dir)
    schema = SEARCH + kb_schema.split("_", 2)[-1]
    meta = json.loads((src / "meta.json").read_text(encoding="utf-8"))
    terms = meta.pop("terms")
    dst.execute(f"CREATE SCHEMA {schema}")
    dst.execute(
        f"CREATE TABLE {schema}.terms (field TEXT, term TEXT, df INTEGER, docs BYTEA, weights BYTEA, "
        "PRIMARY KEY (field, term))"
    )
    dst.execute(f"CREATE TABLE {schema}.hay (row INTEGER PRIMARY KEY, hay TEXT)")
    dst.execute(f"CREATE TABLE {schema}.blobs (key TEXT PRIMARY KEY, value BYTEA)")
    docs = np.load(src / "post_docs.npy", mmap_mode="r")
    weights = np.load(src / "post_weights.npy", mmap_mode="r")
    with dst.cursor().copy(f"COPY {schema}.terms (field, term, df, docs, weights) FROM STDIN (FORMAT BINARY)") as cp:
        cp.set_types(["text", "text", "int4", "bytea", "bytea"])
        for field, spans in terms.items():
            for term, (a, b) in spans.items():
                cp.write_row(
                    (field, term, b - a, np.ascontiguousarray(docs[a:b], "<i4").tobytes(), weights[a:b].tobytes())
                )
    ptr = np.load(index_dir / "hay_ptr.npy").astype(np.int64)
    blob = (index_dir / "hay.bin").read_bytes() if ptr[-1] else b""
    with dst.cursor().copy(f"COPY {schema}.hay (row, hay) FROM STDIN") as cp:
        for k in range(len(ptr) - 1):
            cp.write_row((k, blob[ptr[k] : ptr[k + 1]].decode("utf-8")))
    items = (src / "items.npz").read_bytes()
    vocab = (src / "vocab.json").read_bytes()
    for key, value in (("meta", json.dumps(meta, ensure_ascii=False).encode()), ("items", items), ("vocab", vocab)):
        dst.execute(f"INSERT INTO {schema}.blobs VALUES (%s, %s)", (key, value))
    dst.execute(f"CREATE TABLE {kb_schema}.search_meta (key TEXT PRIMARY KEY, value TEXT)")
    dst.execute(f"INSERT INTO {kb_schema}.search_meta VALUES ('schema', %s)", (schema,))
    return schema


def drop_unused(conn: psycopg.Connection) -> None:
    """Drop the search schemas no KB schema (live or kept previous) names any more (autocommit connection)."""
    kb_schemas = [
        r[0]
        for r in conn.execute(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
            "WHERE c.relname = 'search_meta' AND n.nspname NOT LIKE %s",
            (SEARCH + "%",),
        )
    ]
    used = {r[0] for s in kb_schemas for r in conn.execute(f"SELECT value FROM {s}.search_meta WHERE key = 'schema'")}
    for (name,) in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", (SEARCH + "%",)).fetchall():
        if name not in used:
            conn.execute(f"DROP SCHEMA {name} CASCADE")


def live_schema(conn: psycopg.Connection) -> str | None:
    """The search schema of the live build, None when the database holds no published search index."""
    try:
        row = conn.execute("SELECT value FROM kb_live.search_meta WHERE key = 'schema'").fetchone()
    except psycopg.errors.UndefinedTable:
        conn.rollback()
        return None
    return row[0] if row else None


def _close_all(conns: list[Any]) -> None:
    for conn in conns:
        conn.close()


class PgIndex:
    """kb.search.arrays.SearchIndex's reading surface over one published build: per-item arrays, the term table
    (document frequencies) and the vocabulary loaded once; postings and texts fetched per query."""

    def __init__(self, url: str, schema: str):
        self.url, self.schema = url, schema
        self._local = threading.local()
        self.opened: list[Any] = []  # every thread's connection, closed when the engine is retired or collected
        weakref.finalize(self, _close_all, self.opened)
        blobs: dict[str, bytes] = dict(self._conn().execute(f"SELECT key, value FROM {schema}.blobs").fetchall())
        meta = json.loads(bytes(blobs["meta"]))
        self.n_items, self.n_docs, self.ids = meta["n_items"], meta["n_docs"], meta["ids"]
        self.plans, self.kinds, self.domains, self.depts = meta["plans"], meta["kinds"], meta["domains"], meta["depts"]
        with np.load(io.BytesIO(bytes(blobs["items"]))) as z:
            self.arr = {k: z[k] for k in z.files}
        self._vocab = json.loads(bytes(blobs["vocab"]))
        self._df: dict[str, dict[str, int]] = {}
        for field, term, df in self._conn().execute(f"SELECT field, term, df FROM {schema}.terms"):
            self._df.setdefault(field, {})[term] = df
        self._hay: dict[int, str] = {}
        self._row: dict[str, int] | None = None

    def _conn(self) -> psycopg.Connection:
        """This thread's connection (psycopg connections are not shared between threads)."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed:
            conn = self._local.conn = psycopg.connect(self.url, autocommit=True)
            self.opened.append(conn)
        return conn

    def _query(self, sql: str, args: tuple) -> list[tuple]:
        try:
            return self._conn().execute(sql, args).fetchall()
        except (psycopg.errors.UndefinedTable, psycopg.errors.InvalidSchemaName, psycopg.OperationalError) as e:
            # the build was dropped after two newer ones were published, or this retired engine was closed
            raise StaleBuild(self.schema) from e

    def df(self, field: str, term: str) -> int:
        return self._df.get(field, {}).get(term, 0)

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray] | None:
        """(doc numbers, BM25F weights) of a term in a field, or None."""
        return self.postings_of([(field, term)]).get((field, term))

    def postings_of(self, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
        """The postings of every (field, term) the index holds, in one round trip."""
        keys = [k for k in keys if self.df(*k)]
        if not keys:
            return {}
        rows = self._query(
            f"SELECT t.field, t.term, t.docs, t.weights FROM {self.schema}.terms t "
            "JOIN unnest(%s::text[], %s::text[]) AS k(field, term) USING (field, term)",
            ([f for f, _ in keys], [t for _, t in keys]),
        )
        return {(f, t): (np.frombuffer(d, dtype="<i4"), np.frombuffer(w, dtype=np.float32)) for f, t, d, w in rows}

    def hays(self, rows: np.ndarray, drop_spaces: bool = False) -> Hay:
        """A Hay over these items' normalised texts (fetched now, those not cached, in one round trip)."""
        rows_l = [int(r) for r in rows]
        missing = [r for r in rows_l if r not in self._hay]
        if missing:
            got = dict(self._query(f"SELECT row, hay FROM {self.schema}.hay WHERE row = ANY(%s)", (missing,)))
            if len(self._hay) + len(got) > HAY_CACHE:
                self._hay = {}
            self._hay.update(got)
        texts = [self._hay.get(r, "").encode("utf-8") for r in rows_l]
        ptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum([len(t) for t in texts], out=ptr[1:])
        return Hay(np.frombuffer(b"".join(texts), dtype=np.uint8), ptr, np.arange(len(texts)), drop_spaces)

    def hay(self, i: int) -> str:
        """Normalised title, text, raw text and indicator names of item i."""
        if i not in self._hay:
            self.hays(np.array([i]))
        return self._hay.get(i, "")

    def row(self, item_id: str) -> int | None:
        if self._row is None:
            self._row = {iid: n for n, iid in enumerate(self.ids)}
        return self._row.get(item_id)

    def vocabulary(self) -> list[str]:
        return list(self._vocab)


class PgEngine(Engine):
    """The search engine over a build published into PostgreSQL; result rows read the items from the live KB."""

    def __init__(self, url: str, schema: str):
        self.url, self.pg_ix = url, PgIndex(url, schema)
        super().__init__(Path(schema), Path(schema), ix=self.pg_ix)

    def kb(self):
        """A per-thread store over the live KB schema (kb.store.pgkb)."""
        from kb.store import KB, pgkb

        kb = getattr(self._local, "kb", None)
        if kb is None:
            conn = pgkb.connect(self.url)
            self.pg_ix.opened.append(conn)
            kb = self._local.kb = KB(conn)  # type: ignore[arg-type]  # pg.Connection speaks sqlite3's surface
        return kb

    def close(self) -> None:
        """Close every thread's connections (an engine retired two builds ago: no search is still on it)."""
        _close_all(self.pg_ix.opened)


_engines: dict[tuple[str, str], PgEngine] = {}
_retired: list[PgEngine] = []  # the engine replaced last: searches begun on it may still be running
_lock = threading.Lock()
_probes: dict[str, psycopg.Connection] = {}  # one look-up connection per database, shared by threads (one query)
_probe_lock = threading.Lock()
PROBES = 4  # databases whose look-up connection is kept (e.g. one database per test: the oldest goes)


def _live(url: str) -> str | None:
    """The live build's search schema, looked up on the shared connection to url."""
    with _probe_lock:
        conn = _probes.get(url)
        if conn is None or conn.closed or conn.broken:
            conn = _probes[url] = psycopg.connect(url, autocommit=True)
            while len(_probes) > PROBES:
                _probes.pop(next(iter(_probes))).close()
        try:
            return live_schema(conn)
        except psycopg.OperationalError:
            _probes.pop(url).close()
            raise


def pg_engine(url: str) -> PgEngine:
    """The engine of the build live in the database at url now (one look-up per search), opened once per build."""
    try:
        schema = _live(url)
    except psycopg.OperationalError as e:
        raise SearchError("搜索数据库暂时无法连接,请稍后再试", status=503) from e
    if schema is None:
        raise SearchError(NO_INDEX, status=503)
    key = (url, schema)
    eng = _engines.get(key)
    if eng is None:
        with _lock:
            eng = _engines.get(key)
            if eng is None:
                eng = PgEngine(url, schema)
                while _retired:
                    _retired.pop().close()
                _retired.extend(_engines.values())
                _engines.clear()
                _engines[key] = eng
    return eng
