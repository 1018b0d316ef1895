"""Search on PostgreSQL: jieba-tokenised text in `simple` tsvectors (GIN) and pg_trgm over the normalised text.

Documents are written beside the derived KB when a build is published (kb.store.pgkb); queries are read by the same
parser as the default engine (kb.search.query: synonyms, department words, exclusions), each concept scored as
idf × ts_rank over its forms, weighted by the coverage of the concepts the text holds whole, as kb.search.ranking
does. Experimental (#23): its nDCG@10 beside the default engine is measured by tests/pg/test_pg_search.py.
"""

from __future__ import annotations

import math
import sqlite3
from typing import Any

from kb.search.analysis import normalise, search_tokens
from kb.search.query import parse
from kb.search.spelling import Speller

WEIGHTS = "{0.2, 0.4, 0.7, 1.0}"  # D clauses, C departments, B text, A title (ts_rank's order is D, C, B, A)
RESULTS = 300


def _tokens(text: str) -> str:
    """The words of text as the default index reads them (jieba search mode, simplified, stop words dropped)."""
    return " ".join(t for t, _s, _e in search_tokens(text))


def documents(src: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """(id, plan, kind, domain, position, title/text/department/clause words, hay, leads, cos) per item."""
    src.row_factory = sqlite3.Row
    clauses: dict[str, list[str]] = {}
    for r in src.execute("SELECT item, text FROM clauses ORDER BY item, idx"):
        clauses.setdefault(r["item"], []).append(r["text"])
    depts: dict[str, list[str]] = {}
    roles: dict[tuple[str, str], list[str]] = {}
    for r in src.execute("SELECT item, name, role FROM assignments ORDER BY item, rank"):
        depts.setdefault(r["item"], []).append(r["name"])
        roles.setdefault((r["item"], r["role"]), []).append(r["name"])
    out = []
    for n, r in enumerate(src.execute("SELECT id, plan, kind, domain, title, text FROM items ORDER BY plan, position")):
        cl = " ".join(clauses.get(r["id"], []))
        dp = " ".join(depts.get(r["id"], []))
        hay = normalise(f"{r['title']} {r['text']} {cl}")
        out.append(
            (
                r["id"],
                r["plan"],
                r["kind"],
                r["domain"],
                n,
                _tokens(r["title"]),
                _tokens(r["text"]),
                _tokens(dp),
                _tokens(cl),
                hay,
                "|".join(roles.get((r["id"], "lead"), [])),
                "|".join(roles.get((r["id"], "co"), [])),
            )
        )
    return out


def write(dst: Any, schema: str, src: sqlite3.Connection) -> None:
    """search_docs in schema (psycopg connection inside the publishing transaction): tsvector + GIN, trigram GIN."""
    dst.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    dst.execute(
        f"CREATE TABLE {schema}.search_docs (id TEXT PRIMARY KEY, plan TEXT, kind TEXT, domain TEXT, pos INTEGER, "
        "title TEXT, body TEXT, depts TEXT, clauses TEXT, hay TEXT, leads TEXT, cos TEXT, tsv TSVECTOR)"
    )
    with dst.cursor().copy(
        f"COPY {schema}.search_docs (id, plan, kind, domain, pos, title, body, depts, clauses, hay, leads, cos) "
        "FROM STDIN"
    ) as copy:
        for row in documents(src):
            copy.write_row(row)
    dst.execute(
        f"UPDATE {schema}.search_docs SET tsv = setweight(to_tsvector('simple', title), 'A') || "
        "setweight(to_tsvector('simple', body), 'B') || setweight(to_tsvector('simple', depts), 'C') || "
        "setweight(to_tsvector('simple', clauses), 'D')"
    )
    dst.execute(f"CREATE INDEX ON {schema}.search_docs USING GIN (tsv)")
    dst.execute(f"CREATE INDEX ON {schema}.search_docs USING GIN (hay gin_trgm_ops)")


def _department_factor(pq: Any) -> tuple[str, list[str]]:
    """SQL factor for departments typed in the query, as kb.search.ranking weighs them (lead > co; the asked role)."""
    from kb.search.ranking import DEPT_CO, DEPT_LEAD, ROLE_ASKED, ROLE_OTHER

    terms, args = [], []
    for canon, _typed, stem in pq.depts:
        lead, co = DEPT_LEAD[1 if stem else 0], DEPT_CO[1 if stem else 0]
        if pq.role == "lead":
            lead, co = lead * ROLE_ASKED, co * ROLE_OTHER
        elif pq.role == "co":
            lead, co = lead * ROLE_OTHER, co * ROLE_ASKED
        terms.append(
            f"(CASE WHEN ('|' || leads || '|') LIKE ? THEN {lead} WHEN ('|' || cos || '|') LIKE ? THEN {co} ELSE 1 END)"
        )
        args += [f"%|{canon}|%", f"%|{canon}|%"]
    return (" * ".join(terms) if terms else "1"), args


def _lexeme(t: str) -> str:
    return "'" + t.replace("'", "''").replace("\\", "\\\\") + "'"


def _form_query(form: str) -> str | None:
    """A form's tsquery: its words all present (jieba search mode yields overlapping sub-words, so no <->)."""
    words = list(dict.fromkeys(t for t, _s, _e in search_tokens(form)))
    return " & ".join(_lexeme(w) for w in words) if words else None


_spellers: dict[tuple[str, str], Speller] = {}
WEAK_COVERAGE = 0.75  # as kb.search: below this the best hit lacks a query word, so a typo is likely


def speller(conn: Any) -> Speller:
    """kb.search.spelling's Speller over the published build's words (ts_stat: word, documents), once per build."""
    built = conn.execute("SELECT value FROM meta WHERE key = 'built_at'").fetchone()
    key = (getattr(conn, "conninfo", ""), built[0] if built else "")
    if key not in _spellers:
        rows = conn.execute(
            "SELECT word, ndoc FROM ts_stat('SELECT setweight(tsv, ''A'') FROM search_docs')"
        ).fetchall()
        df = {r[0]: int(r[1]) for r in rows}
        _spellers.clear()
        _spellers[key] = Speller(sorted(df), lambda w: df.get(w, 0))
    return _spellers[key]


def search(conn: Any, q: str, limit: int = 10, kind: str | None = None, plan: str | None = None) -> list[dict]:
    """Ranked items for q on a kb_live connection (kb.store.pgkb.connect): [{"id", "score", "coverage"}]; a query
    whose best hit lacks a word is run corrected (one edit or the same pinyin) when that finds it better."""
    pq = parse(q, {"kind": kind, "plan": plan})
    found = _ranked(conn, pq, limit)
    if pq.chunks and (not found or found[0]["coverage"] < WEAK_COVERAGE):
        sp, text = speller(conn), normalise(pq.text)
        for chunk in pq.chunks:
            fixed = sp.correct(chunk)
            if fixed and fixed != chunk:
                text = text.replace(chunk, fixed)
        if text != normalise(pq.text):
            again = _ranked(conn, parse(text, {"kind": kind, "plan": plan}), limit)
            if again and (not found or again[0]["coverage"] > found[0]["coverage"]):
                return again
    return found


def _ranked(conn: Any, pq: Any, limit: int) -> list[dict]:
    """The ranked rows of one parsed query."""
    concepts = []
    for c in pq.concepts:
        forms = [f for f in (_form_query(s) for s in c.strings) if f]
        if forms:
            concepts.append((" | ".join(f"({f})" for f in forms), [normalise(s) for s in c.strings]))
    if not concepts:
        return []
    n_docs = max(1, conn.execute("SELECT count(*) FROM search_docs").fetchone()[0])
    parts, args, cov, cov_args = [], [], [], []
    for tsq, forms in concepts:
        df = conn.execute("SELECT count(*) FROM search_docs WHERE tsv @@ to_tsquery('simple', ?)", (tsq,)).fetchone()[0]
        idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        parts.append(f"{idf:.6f} * ts_rank(?::float4[], tsv, to_tsquery('simple', ?), 1)")
        args += [WEIGHTS, tsq]
        cov.append("(CASE WHEN hay LIKE ANY(?) THEN 1.0 ELSE 0.0 END)")
        cov_args.append([f"%{f}%" for f in forms])
    where_tsq = " | ".join(f"({t})" for t, _f in concepts)
    likes = [f"%{f}%" for _t, forms in concepts for f in forms]
    filters, fargs = "", []
    for col, val in (("kind", pq.filters.get("kind")), ("plan", pq.filters.get("plan"))):
        if val:
            filters += f" AND {col} = ?"
            fargs.append(val)
    for x in pq.excluded:
        filters += " AND hay NOT LIKE ?"
        fargs.append(f"%{normalise(x)}%")
    boost, bargs = _department_factor(pq)
    sql = (
        f"SELECT id, score * (0.15 + 0.85 * cov * cov) * {boost} AS score, cov FROM ("
        f"SELECT id, pos, leads, cos, ({' + '.join(parts)}) AS score, ({' + '.join(cov)}) / {len(concepts)} AS cov "
        f"FROM search_docs WHERE (tsv @@ to_tsquery('simple', ?) OR hay LIKE ANY(?)){filters}) s "
        f"ORDER BY 2 DESC, pos LIMIT ?"
    )
    params = (*bargs, *args, *cov_args, where_tsq, likes, *fargs, min(limit, RESULTS))
    rows = conn.execute(sql, params).fetchall()
    return [{"id": r[0], "score": float(r[1]), "coverage": float(r[2])} for r in rows]
