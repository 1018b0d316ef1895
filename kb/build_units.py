"""Index units: one whoosh segment (with its part and its items' texts, as kb.search.writer.build_index writes them)
for a run of consecutive plans, made from the plans' cached rows (kb.build_cache) and kept under
data/cache/units/<id>/ (index/ and members.json), id = a hash of its members' cache keys in plan order.

Why: a segment's cost is mostly per segment and per (segment, term) — the term table, its hashes, a posting block
per term — and text shared by plans is analysed once per segment, so a segment of many plans costs about half as
much per plan as one per plan (CPU-s per plan, warm: 0.37 alone, 0.21 in 4, 0.17 in 8, 0.15 in 16).

A build (partition) takes whole the units it can: all members in this build, consecutive, in the same order,
their rows cached. The runs of plans left (new or changed plans, and the plans of a unit broken by a plan added,
changed or removed inside it) are cut into new units of up to MAX_PLANS, one job each: the job analyses the members
whose rows are not cached (kb.build_cache.fill) and writes the unit from their rows; nothing is analysed again to
rebuild a broken unit (about 0.2 CPU-s per plan in it: `kb add` into a 100-plan KB's last unit re-indexes 13 plans,
in two jobs beside the KB write). However a build is partitioned, its assembled index holds the same documents in
the same order (each plan's documents in turn), so search results and score arrays equal those of a segment per
plan (tests/test_build_units.py).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from fractions import Fraction
from itertools import groupby
from pathlib import Path

from kb import build_cache, paths

# Up to 16 plans a unit: 0.15 CPU-s per plan for its segment against 0.17 at 8, for about 100 MB more per pool
# process than one plan's; a bigger unit makes the build's last job (the one a core waits alone on) longer.
MAX_PLANS = 16
INDEX, MEMBERS = "index", "members.json"
# In every unit's id beside its members' keys (which cover the segment writer, kb/search): raise it when make()
# writes a unit differently, so no unit written the old way is used.
FORMAT = 1
Todo = list[tuple[str, str, list[dict]]]  # plans a job analyses first: (key, plan file, repair review rows)


def units_dir() -> Path:
    d = paths.data_dir() / "cache" / "units"
    d.mkdir(parents=True, exist_ok=True)
    return d


@dataclass(frozen=True)
class Unit:
    """The index unit of these plans (cache keys, in plan order)."""

    keys: tuple[str, ...]

    @property
    def uid(self) -> str:
        return hashlib.sha256("\0".join((str(FORMAT), *self.keys)).encode()).hexdigest()[:32]

    @property
    def folder(self) -> Path:
        return units_dir() / self.uid

    @property
    def index(self) -> Path:
        return self.folder / INDEX

    def ready(self) -> bool:
        from kb.search.parts import saved

        return (self.folder / MEMBERS).exists() and saved(self.index)


def _known() -> dict[str, list[tuple[str, ...]]]:
    """The cached units by first member: their members (a few dozen small files for a thousand plans)."""
    out: dict[str, list[tuple[str, ...]]] = {}
    for d in units_dir().iterdir():
        try:
            keys = tuple(json.loads((d / MEMBERS).read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue  # a leftover of a killed build (prune removes it)
        if keys:
            out.setdefault(keys[0], []).append(keys)
    return out


def partition(keys: list[str], cached: set[str], procs: int) -> list[tuple[Unit, bool]]:
    """The build's plans (cache keys, plan order) as index units in plan order, each with whether it must be made:
    cached units used whole where every member's rows are cached (cached: their keys; empty for --force), the runs
    of plans between them cut into new units."""
    known = _known() if cached else {}
    steps: list[Unit | str] = []  # cached units used whole, and the keys of the plans left
    i = 0
    while i < len(keys):
        unit = _cached_at(keys, i, known, cached)
        steps.append(unit or keys[i])
        i += len(unit.keys) if unit else 1
    size = chunk_size(sum(isinstance(s, str) for s in steps), procs)
    units: list[tuple[Unit, bool]] = []
    for left, run in groupby(steps, key=lambda s: isinstance(s, str)):
        run_ = list(run)
        if left:
            units += [(Unit(c), True) for c in _chunks([s for s in run_ if isinstance(s, str)], size)]
        else:
            units += [(u, False) for u in run_ if isinstance(u, Unit)]
    return units


def _cached_at(keys: list[str], i: int, known: dict[str, list[tuple[str, ...]]], cached: set[str]) -> Unit | None:
    """The longest cached unit whose members are the plans from position i on, every one with its rows cached."""
    fits = [m for m in known.get(keys[i], ()) if tuple(keys[i : i + len(m)]) == m and cached.issuperset(m)]
    return next((Unit(m) for m in sorted(fits, key=len, reverse=True) if Unit(m).ready()), None)


def chunk_size(plans: int, procs: int) -> Fraction:
    """Plans per new unit, on average: as many as MAX_PLANS allows, in a number of jobs the pool's processes share
    evenly (so both cores stay busy to the end; 1000 plans are 64 units of 15–16, not 63 of 16 with one alone last)."""
    jobs = -(-plans // MAX_PLANS)
    jobs = min(-(-jobs // procs) * procs, plans)  # never an empty job
    return Fraction(max(plans, 1), max(jobs, 1))


def _chunks(run: list[str], size: Fraction) -> list[tuple[str, ...]]:
    """The run cut into pieces of at most ⌈size⌉ plans, of even sizes."""
    n = math.ceil(len(run) / size)
    return [tuple(run[len(run) * j // n : len(run) * (j + 1) // n]) for j in range(n)]


def make(keys: tuple[str, ...], todo: Todo, factors: dict[str, float]) -> None:
    """Analyse the plans in todo into their cache entries, then write the unit of keys from its members' rows: aside,
    then renamed into place whole (a killed build leaves at most a temporary folder, which prune removes)."""
    from kb.search.writer import build_index

    for key, path, rows in todo:
        build_cache.fill(key, Path(path), factors, repair_rows=rows)
    unit = Unit(keys)
    tmp = units_dir() / f".tmp-{unit.uid}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        build_index([build_cache.cache_dir() / k / build_cache.FRAGMENT for k in keys], tmp / INDEX, keep_part=True)
        (tmp / MEMBERS).write_text(json.dumps(list(keys)), encoding="utf-8")
        shutil.rmtree(unit.folder, ignore_errors=True)
        os.replace(tmp, unit.folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def make_in_worker(keys: tuple[str, ...], todo: Todo, factors: dict[str, float], data: str) -> None:
    """make() in a pool process, on the build's data directory."""
    paths.use_data_dir(data)
    make(keys, todo, factors)


class Filling:
    """The new units being made: rows(key) returns once that plan's rows are cached (the analysis of a plan in a job
    ends before the job writes its unit), done() once every unit is written; either raises a job's error (a plan
    that fails to parse fails the build)."""

    def __init__(self, futures: list, analyses: list[set[str]], say: Callable[[str], None]):
        self._futures, self._say = futures, say
        self._job_of = {k: n for n, keys in enumerate(analyses) for k in keys}
        self._done: set[int] = set()

    def _wait(self, n: int) -> None:
        if n not in self._done:
            self._futures[n].result()
            self._done.add(n)
            self._say(f"已索引 {len(self._done)}/{len(self._futures)} 组")

    def rows(self, key: str) -> None:
        if key in self._job_of:
            self._wait(self._job_of[key])

    def done(self) -> None:
        for n in range(len(self._futures)):
            self._wait(n)


def fill(
    units: list[tuple[Unit, bool]],
    todo: dict[str, tuple[str, list[dict]]],
    factors: dict[str, float],
    say: Callable[[str], None],
    procs: int,
    stack: ExitStack,
) -> Filling:
    """Make the new units, analysing the plans in todo (key → plan file, repair rows) on the way: in this process
    when there is one unit to make (or one process), else in a pool (kept open by stack) that makes the units while
    the build writes the KB file from the rows cached so far."""
    jobs = [(u.keys, [(k, *todo[k]) for k in u.keys if k in todo]) for u, new in units if new]
    procs = max(1, min(procs, len(jobs)))
    if procs == 1:
        for keys, work in jobs:
            say(f"分析 {len(work)} 个规划, 索引 {len(keys)} 个" if work else f"索引 {len(keys)} 个规划")
            make(keys, work, factors)
        return Filling([], [], say)
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor

    say(f"分析 {sum(len(w) for _k, w in jobs)} 个规划, 索引 {len(jobs)} 组 ({procs} 个进程)")
    data = str(paths.data_dir())
    # fork is cheapest, but forking a process with threads running (a web worker publishing an upload) is unsafe
    ctx = multiprocessing.get_context("fork" if threading.active_count() == 1 else "forkserver")
    pool = stack.enter_context(ProcessPoolExecutor(max_workers=procs, mp_context=ctx))
    futures = [pool.submit(make_in_worker, keys, work, factors, data) for keys, work in jobs]
    return Filling(futures, [{k for k, _p, _r in work} for _k, work in jobs], say)


def prune(keep: set[str]) -> None:
    """Drop the units no build uses any more (the builds' indexes hold their own links to the files), and leftovers
    of killed builds."""
    for d in units_dir().iterdir():
        if d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)
