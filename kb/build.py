"""Build: analyse every plan, write a fresh database and index beside the live ones, swap atomically."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from kb import paths
from kb.errors import BuildBusy
from kb.reviews.overlay import repair_decisions
from kb.search import build_index
from kb.store.db import connect
from nlp.model import Plan
from nlp.pipeline import analyse_file

SCHEMA = Path(__file__).parent / "store" / "schema.sql"
SCHEMA_VERSION = "2"  # 2: indicators.baseline_year
KEEP_BUILDS = 2


@contextmanager
def build_lock() -> Iterator[None]:
    """Exclusive lock on the data directory so two builds never interleave."""
    with open(paths.data_dir() / "build.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise BuildBusy("另一个构建正在进行 (another build is running)") from exc
        yield


def plan_files() -> list[Path]:
    """The default plan, then plans added with `kb add` or the upload (any form), in a stable order."""
    from kb.ingest import added_files

    return [paths.DEFAULT_PLAN, *added_files()]


def fingerprint(text: str) -> str:
    """Content fingerprint of an item's text, whitespace-insensitive."""
    return hashlib.sha1("".join(text.split()).encode()).hexdigest()[:16]


def write_kb(db_path: Path, plans: list[Plan]) -> None:
    """Write plans and everything derived from them into a new SQLite file."""
    conn = connect(db_path)
    conn.execute("PRAGMA journal_mode = DELETE")  # a single file, so the swap moves everything
    conn.executescript(SCHEMA.read_text(encoding="utf-8"))
    with conn:
        conn.execute("PRAGMA defer_foreign_keys = ON")  # links may point at goals written later
        conn.executemany(
            "INSERT INTO meta VALUES (?, ?)",
            [("schema_version", SCHEMA_VERSION), ("built_at", time.strftime("%Y-%m-%dT%H:%M:%S"))],
        )
        for pos, plan in enumerate(plans):
            _write_plan(conn, plan, pos)
        _write_departments(conn)
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
    for it in plan.items:
        conn.execute(
            "INSERT INTO items VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
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
                json.dumps(it.target_groups, ensure_ascii=False),
            ),
        )
        conn.executemany(
            "INSERT INTO clauses VALUES (?,?,?,?,?,?,?)",
            [(c.id, it.id, c.index, c.text, c.raw_text, c.start, c.end) for c in it.clauses],
        )
        rows: list[tuple[str, str | None, Any]] = [(it.id, None, a) for a in it.departments]
        rows += [(it.id, c.id, a) for c in it.clauses for a in c.departments]
        conn.executemany(
            "INSERT INTO assignments VALUES (?,?,?,?,?,?,?,?)",
            [
                (
                    item,
                    clause,
                    a.name,
                    a.role,
                    a.source,
                    a.confidence,
                    json.dumps([e.__dict__ for e in a.evidence], ensure_ascii=False),
                    rank,
                )
                for rank, (item, clause, a) in enumerate(rows)
            ],
        )
        conn.execute(
            "INSERT INTO item_review VALUES (?,?,?)",
            (
                it.id,
                int(it.needs_review),
                json.dumps(
                    [
                        {"name": c.name, "score": c.score, "evidence": [e.__dict__ for e in c.evidence]}
                        for c in it.candidates
                    ],
                    ensure_ascii=False,
                ),
            ),
        )
        conn.executemany(
            "INSERT INTO indicators VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [
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
            ],
        )
        conn.executemany(
            "INSERT OR IGNORE INTO links VALUES (?,?,?,?,?,?)",
            [(it.id, ln.goal, ln.score, ln.why, int(ln.cross_domain), rank) for rank, ln in enumerate(it.serves)],
        )


def _write_departments(conn) -> None:
    from nlp.registry import departments

    conn.executemany(
        "INSERT OR REPLACE INTO departments VALUES (?,?,?,?)",
        [
            (d.canonical, d.full, d.category, json.dumps(sorted(set(d.names) - {d.canonical}), ensure_ascii=False))
            for d in departments()
        ],
    )


def _prefixed(say: Callable[[str], None], name: str) -> Callable[[str], None]:
    """A progress callback that names the plan file."""
    return lambda m: say(f"{name}: {m}")


def _learn_from_reviews() -> None:
    """Re-weight the lexicon by reviewers' decisions on the live build (kb.reviews.learning) before tagging."""
    from kb.reviews.learning import learned_factors
    from nlp.departments import set_rule_factors

    set_rule_factors(learned_factors())


def _post_build_stages() -> list[Callable[[Path, Path], None]]:
    """Stages that derive more files from the new database: the search index."""
    return [lambda db, folder: build_index(db, folder / "index")]


def build(progress: Callable[[str], None] | None = None) -> Path:
    """Build every plan into a new folder and make it live; the old build serves until the swap."""
    say = progress or (lambda _m: None)
    with build_lock():
        plans, review = [], repair_decisions
        _learn_from_reviews()
        for f in plan_files():
            say(f"分析 {f.name}")
            plans.append(analyse_file(f, progress=_prefixed(say, f.name), repair_review=review))
        stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        folder = paths.builds_dir() / f".tmp-{stamp}"
        folder.mkdir()
        try:
            say("写入知识库")
            write_kb(folder / "kb.sqlite", plans)
            for stage in _post_build_stages():
                say("建立搜索索引")
                stage(folder / "kb.sqlite", folder)
            final = paths.builds_dir() / stamp
            os.replace(folder, final)
            _fsync_dir(paths.builds_dir())
            _swap_current(final)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        _prune()
        say(f"完成: {len(plans)} 个规划, {sum(len(p.items) for p in plans)} 个条目")
        return final


def _swap_current(target: Path) -> None:
    """Point data/current at target in one atomic rename."""
    link = paths.data_dir() / "current"
    tmp = paths.data_dir() / f".current-{os.getpid()}"
    if tmp.is_symlink() or tmp.exists():
        tmp.unlink()
    os.symlink(Path("builds") / target.name, tmp)
    os.replace(tmp, link)
    _fsync_dir(paths.data_dir())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _prune() -> None:
    """Drop old builds and leftovers of killed ones, keeping the live one and its predecessor."""
    live = paths.current_build()
    builds = sorted((p for p in paths.builds_dir().iterdir() if not p.name.startswith(".")), key=lambda p: p.name)
    keep = set(builds[-KEEP_BUILDS:]) | ({live} if live else set())
    for p in paths.builds_dir().iterdir():
        if p not in keep:
            shutil.rmtree(p, ignore_errors=True)
