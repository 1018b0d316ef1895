"""A plan's rows in a new SQLite file: plans, headings, items, clauses, tags, indicators and links, as the analysis
made them (a per-plan cache entry of kb.build_cache; kb.build assembles a build from those files)."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb.store.db import connect

if TYPE_CHECKING:
    from nlp.model import Plan

SCHEMA = Path(__file__).parent / "schema.sql"
SCHEMA_VERSION = "2"  # 2: indicators.baseline_year


_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps(..., ensure_ascii=False) without a new encoder


def fingerprint(text: str) -> str:
    """Content fingerprint of an item's text, whitespace-insensitive."""
    return hashlib.sha1("".join(text.split()).encode()).hexdigest()[:16]


def write_kb(db_path: Path, plans: list[Plan], departments: bool = True, optimise: bool = True) -> None:
    """Write plans and everything derived from them into a new SQLite file (a plan's cache entry: no registry, and
    no planner statistics: it is read once, whole, and the assembled KB gathers its own)."""
    conn = connect(db_path)
    conn.execute("PRAGMA journal_mode = DELETE")  # a single file, so the swap moves everything
    # in one transaction: as separate statements each table and index was a commit of its own (9 ms CPU a file)
    conn.executescript("BEGIN;\n" + SCHEMA.read_text(encoding="utf-8") + "\nCOMMIT;")
    with conn:
        conn.execute("PRAGMA defer_foreign_keys = ON")  # links may point at goals written later
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("schema_version", SCHEMA_VERSION), ("built_at", time.strftime("%Y-%m-%dT%H:%M:%S"))],
        )
        for pos, plan in enumerate(plans):
            _write_plan(conn, plan, pos)
        if departments:
            write_departments(conn)
    if optimise:
        conn.execute("PRAGMA optimize")
    conn.close()


def _write_plan(conn, plan: Plan, pos: int) -> None:
    conn.execute(
        "INSERT INTO plans VALUES (?,?,?,?,?,?,?,?)",
        (
            plan.id,
            plan.title,
            plan.raw_text,
            plan.text,
            json.dumps(plan.meta, ensure_ascii=False),
            plan.encoding,
            json.dumps(plan.warnings, ensure_ascii=False),
            pos,
        ),
    )
    conn.executemany(
        "INSERT INTO headings VALUES (?,?,?,?,?,?,?)",
        [(plan.id, i, h.level, h.kind, h.text, h.raw_text, h.line) for i, h in enumerate(plan.headings)],
    )
    conn.executemany(
        "INSERT OR IGNORE INTO repairs VALUES (?,?,?,?,?,?,?,?,?,?)",
        [
            (r.id, plan.id, r.start, r.end, r.before, r.after, r.rule, r.kind, r.confidence, int(r.applied))
            for r in plan.repairs
        ],
    )
    # Each table's rows of every item in one executemany (a statement per item and table was a fifth of the write).
    items, clauses, assignments, reviews, indicators, links = [], [], [], [], [], []
    for it in plan.items:
        items.append(
            (
                it.id,
                plan.id,
                it.kind,
                it.domain,
                it.domain_code,
                it.number,
                it.title,
                it.text,
                it.raw_text,
                it.line,
                it.raw_start,
                it.raw_end,
                it.section,
                it.block,
                it.position,
                fingerprint(it.text),
                _json(it.target_groups),
            )
        )
        clauses += [(c.id, it.id, c.index, c.text, c.raw_text, c.start, c.end) for c in it.clauses]
        rows: list[tuple[str, str | None, Any]] = [(it.id, None, a) for a in it.departments]
        rows += [(it.id, c.id, a) for c in it.clauses for a in c.departments]
        assignments += [
            (item, clause, a.name, a.role, a.source, a.confidence, _json([e.__dict__ for e in a.evidence]), rank)
            for rank, (item, clause, a) in enumerate(rows)
        ]
        candidates = [
            {"name": c.name, "score": c.score, "evidence": [e.__dict__ for e in c.evidence]} for c in it.candidates
        ]
        reviews.append((it.id, int(it.needs_review), _json(candidates)))
        indicators += [
            (
                ind.id or f"{it.id}.i{n}",
                it.id,
                ind.name,
                ind.comparator,
                ind.value,
                ind.value_max,
                ind.unit,
                ind.per,
                ind.scope,
                ind.year,
                ind.baseline,
                ind.raw,
                ind.span[0],
                ind.span[1],
                n,
                ind.baseline_year,
            )
            for n, ind in enumerate(it.indicators, 1)
        ]
        links += [(it.id, ln.goal, ln.score, ln.why, int(ln.cross_domain), rank) for rank, ln in enumerate(it.serves)]
    conn.executemany("INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", items)
    conn.executemany("INSERT INTO clauses VALUES (?,?,?,?,?,?,?)", clauses)
    conn.executemany("INSERT INTO assignments VALUES (?,?,?,?,?,?,?,?)", assignments)
    conn.executemany("INSERT INTO item_review VALUES (?,?,?)", reviews)
    conn.executemany("INSERT INTO indicators VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", indicators)
    conn.executemany("INSERT OR IGNORE INTO links VALUES (?,?,?,?,?,?)", links)


def write_departments(conn) -> None:
    from nlp.registry import departments

    conn.executemany(
        "INSERT OR REPLACE INTO departments VALUES (?,?,?,?)",
        [
            (d.canonical, d.full, d.category, json.dumps(sorted(set(d.names) - {d.canonical}), ensure_ascii=False))
            for d in departments()
        ],
    )
