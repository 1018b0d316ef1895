"""Build: analyse every plan, write a fresh database and index beside the live ones, swap atomically."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb import build_cache, build_units, paths
from kb.errors import BuildBusy
from kb.store.assemble import PLAN_TABLES, assemble_kb, extend_kb
from kb.store.db import connect
from kb.store.write import SCHEMA, SCHEMA_VERSION, fingerprint, write_kb

if TYPE_CHECKING:
    from nlp.model import Plan

__all__ = ["PLAN_TABLES", "SCHEMA", "SCHEMA_VERSION", "assemble_kb", "build", "fingerprint", "write_kb"]  # write_kb &
# co. live in kb.store (the per-plan analysis key covers that package, not this module); kept importable from here

KEEP_BUILDS = 2
MANIFEST = "build.json"  # the plans and code a build was made from (an unchanged rebuild keeps it)


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


def _prefixed(say: Callable[[str], None], name: str) -> Callable[[str], None]:
    """A progress callback that names the plan file."""
    return lambda m: say(f"{name}: {m}")


def _post_build_stages() -> list[Callable[[Path, Path], None]]:
    """Stages that derive more files from a whole database: the search index (bench/build_bench.py times it)."""
    from kb.search.writer import build_index

    return [lambda db, folder: build_index(db, folder / "index")]


def _inputs(files: list[Path]) -> tuple[dict[str, float], list[tuple[str, Path, str]], dict[str, list[dict]]]:
    """Learned factors, per plan file in plan-id order (plan id, file, cache key), and the repair reviews per plan
    (what the key hashes is what the analysis is given)."""
    factors = build_factors()
    repairs = repair_rows()
    plans = []
    for f in files:
        pid = build_cache.plan_id(f)
        plans.append((pid, f, build_cache.plan_key(f, factors, repairs.get(pid, []))))
    return factors, sorted(plans, key=lambda p: p[0]), repairs


def repair_rows() -> dict[str, list[dict]]:
    """Plan id → its repair review rows, oldest change first (what its analysis applies)."""
    from kb.reviews.overlay import review_rows

    out: dict[str, list[dict]] = {}
    for r in review_rows(("repair",)):
        out.setdefault(r["plan"], []).append(r)
    return out


def build_factors() -> dict[str, float]:
    """The factors learned from reviews of the live build (kb.reviews.learning), remembered per (live build,
    assignment reviews) in the cache: computing them reads the whole reviewed build, and they decide every key."""
    from kb.reviews.learning import learned_factors
    from kb.reviews.overlay import review_rows

    rows = review_rows(("assignment",))
    live = paths.current_build()
    if not rows or live is None:
        return {}
    state = hashlib.sha256(json.dumps([live.name, rows], sort_keys=True, default=str).encode()).hexdigest()
    memo = build_cache.cache_dir().parent / "factors.json"
    try:
        saved = json.loads(memo.read_text(encoding="utf-8"))
        if saved.get("state") == state:
            return saved["factors"]
    except (OSError, ValueError):
        pass
    factors = learned_factors()
    tmp = memo.with_name(f".factors-{os.getpid()}.json")
    tmp.write_text(json.dumps({"state": state, "factors": factors}), encoding="utf-8")
    os.replace(tmp, memo)
    return factors


def _manifest(plans: list[tuple[str, Path, str]]) -> dict[str, Any]:
    """What a build is made of: schema, code version and every plan's cache key (its build.json)."""
    return {"schema": SCHEMA_VERSION, "code": build_cache.code_version(), "plans": [[p, k] for p, _f, k in plans]}


def _live_manifest() -> dict[str, Any] | None:
    live = paths.current_build()
    try:
        return json.loads((live / MANIFEST).read_text(encoding="utf-8")) if live else None
    except (OSError, ValueError):
        return None


def _fill(
    plans: list[tuple[str, Path, str]],
    force: bool,
    factors: dict[str, float],
    repairs: dict[str, list[dict]],
    say: Callable[[str], None],
    procs: int | None,
    stack: ExitStack,
    prepared: dict[Path, Plan] | None = None,
) -> tuple[list[build_units.Unit], int, build_units.Filling]:
    """The build's index units in plan order (kb.build_units), the number of plans analysed, and the filling: the
    plans whose rows are not cached (all with force) are analysed and the units that are not cached made, in a
    process pool kept open by stack while the build writes the KB file (filling.rows(key) returns once a plan's rows
    are cached). A plan analysed already in this process (prepared: `kb add`'s parse report) is written from that
    analysis."""
    prepared = prepared or {}
    missing = {key: (str(f), repairs.get(pid, [])) for pid, f, key in plans if force or build_cache.entry(key) is None}
    analysed = len(missing)
    for _pid, f, key in plans:
        if key in missing and f in prepared:
            say(f"写入 {f.name}")
            build_cache.fill(key, f, factors, prepared[f])
            del missing[key]
    keys = [key for _p, _f, key in plans]
    procs = max(1, procs or os.cpu_count() or 1)
    units = build_units.partition(keys, set() if force else {k for k in keys if k not in missing}, procs)
    return [u for u, _new in units], analysed, build_units.fill(units, missing, factors, say, procs, stack)


def build(
    progress: Callable[[str], None] | None = None,
    force: bool = False,
    procs: int | None = None,
    prepared: dict[Path, Plan] | None = None,
) -> Path:
    """Build every plan into a new folder and make it live; the old build serves until the swap.

    Plans whose inputs did not change come from the per-plan cache (kb.build_cache); when nothing changed at
    all the live build stays (force: analyse every plan again and write a new build anyway). prepared: plan files
    analysed already in this process by kb.build_cache.analyse (kb.ingest.publish), not analysed again.
    """
    say = progress or (lambda _m: None)
    with build_lock():
        factors, plans, repairs = _inputs(plan_files())
        manifest = _manifest(plans)
        live = paths.current_build()
        if not force and live is not None and _live_manifest() == manifest:
            _publish_pg(live / "kb.sqlite", only_if_missing=True)  # PostgreSQL configured after the last build
            _prune()
            say(f"没有变化: {len(plans)} 个规划, 沿用当前构建")
            return live
        from kb.search.writer import assemble_index

        entries = [build_cache.cache_dir() / key for _p, _f, key in plans]
        # Names sort in the order builds were made (_prune keeps the last by name): the wall clock's nanoseconds,
        # zero-padded, after its second (a pid and a wrapping counter there let two builds of one second swap).
        now = time.time_ns()
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now // 10**9)) + f"-{now % 10**9:09d}-{os.getpid()}"
        folder = paths.builds_dir() / f".tmp-{stamp}"
        folder.mkdir()
        try:
            with ExitStack() as stack:
                units, analysed, filling = _fill(plans, force, factors, repairs, say, procs, stack, prepared)
                say("写入知识库")
                _write_kb_file(folder / "kb.sqlite", entries, plans, None if force else live, filling.rows)
                filling.done()
            say("建立搜索索引")
            assemble_index([u.index for u in units], folder / "index", live / "index" if live else None)
            (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
            _publish_pg(folder / "kb.sqlite")
            final = paths.builds_dir() / stamp
            os.replace(folder, final)
            _fsync_dir(paths.builds_dir())
            _swap_current(final)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        _prune()
        build_cache.prune({key for _p, _f, key in plans})
        build_units.prune({u.uid for u in units})
        with connect(final / "kb.sqlite") as conn:
            n_items = conn.execute("SELECT count(*) FROM items").fetchone()[0]
        say(f"完成: {len(plans)} 个规划, {n_items} 个条目 (重新分析 {analysed} 个)")
        return final


def _write_kb_file(
    db: Path, entries: list[Path], plans: list[tuple[str, Path, str]], live: Path | None, wait: Callable[[str], None]
) -> None:
    """assemble_kb, or extend_kb from the live build (None: --force, every row from the fresh entries) when it was
    made by this code and shares all but the last plans (in plan order) with this one, at least as many as are new:
    then copying its file is the cheaper way. Each plan's rows are taken once wait(its key) says its entry is
    written."""

    def fragments(start: int) -> Iterator[Path]:
        for (_pid, _f, key), entry in zip(plans[start:], entries[start:], strict=True):
            wait(key)
            yield entry / build_cache.FRAGMENT

    old = _live_manifest() if live else None
    same_code = old is not None and (old["schema"], old["code"]) == (SCHEMA_VERSION, build_cache.code_version())
    shared = 0
    if same_code and old is not None and live is not None:
        for (pid, _f, key), pair in zip(plans, old["plans"], strict=False):
            if [pid, key] != pair:
                break
            shared += 1
        if shared and shared >= len(plans) - shared:
            gone = [pid for pid, _k in old["plans"][shared:]]
            return extend_kb(db, live / "kb.sqlite", gone, fragments(shared), shared)
    assemble_kb(db, fragments(0))


def _publish_pg(db: Path, only_if_missing: bool = False) -> None:
    """With KB_DATABASE_URL, the build into PostgreSQL too: a new schema, then kb_live renamed to it (kb.store.pgkb)."""
    from kb.store import engine

    if not engine.database_url():
        return
    from kb.store import pgkb  # psycopg: only when PostgreSQL is configured

    if not (only_if_missing and pgkb.has_live()):
        pgkb.publish(db)


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
