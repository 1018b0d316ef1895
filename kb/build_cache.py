"""Per-plan build cache: a plan's analysed rows (a one-plan SQLite file), kept under data/cache/plans/<key>/ so a
build analyses only the plans whose inputs changed. Their whoosh segments are made from these rows, a run of
consecutive plans to a segment (kb.build_units: data/cache/units/).

The key hashes everything the per-plan result depends on: the plan file's bytes and its metadata file, the code and
data a fill reads (ANALYSIS: nlp/ and the kb modules the analysis, the row writer and the segment writer load —
tests/test_build_cache.py checks that list against every module and file a real fill opens), the factors learned
from reviews and the plan's repair reviews. Code that only assembles, serves or exports (kb/build.py, kb/serving,
kb/commands, webapp/ …) is not in the key: a change there re-assembles a build from the cached entries (the
build's manifest hashes all of nlp/ and kb/) without analysing a plan again. An entry is written aside and renamed
into place whole, so a killed build leaves at most a stray temporary folder, which the next build removes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kb import paths

if TYPE_CHECKING:
    from nlp.model import Plan

ROOTS = ("nlp", "kb")  # every package a build is made by (the build manifest: re-assemble when any changes)
# What a cache fill reads (folders whole): the analysis, the row writer and what they import, and the segment writer
# that makes index units from the rows (a unit's id hashes its members' keys: kb.build_units).
ANALYSIS = (
    "nlp",
    "kb/__init__.py",
    "kb/build_cache.py",
    "kb/departments.py",
    "kb/duties.py",
    "kb/errors.py",
    "kb/labels.py",
    "kb/lookup.py",
    "kb/paths.py",
    "kb/repair_match.py",
    "kb/search",
    "kb/store",
)
FRAGMENT = "kb.sqlite"


def source_files(parts: tuple[str, ...], repo: Path | None = None) -> list[Path]:
    """The source and data files of these repo paths (folders whole), in a stable order."""
    repo = repo or paths.REPO
    out: list[Path] = []
    for part in parts:
        base = repo / part
        found = sorted(base.rglob("*")) if base.is_dir() else [base]
        out += [f for f in found if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".pyc", ".pyo")]
    return out


def files_hash(parts: tuple[str, ...], repo: Path | None = None) -> str:
    """Hash of the names and bytes of source_files(parts)."""
    repo = repo or paths.REPO
    h = hashlib.sha256()
    for f in source_files(parts, repo):
        h.update(str(f.relative_to(repo)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of every source and data file of nlp/ and kb/ (read once per process): what a build is made by."""
    return files_hash(ROOTS)


@lru_cache(maxsize=1)
def analysis_version() -> str:
    """Hash of the code and data a cache fill reads (ANALYSIS; once per process): what a plan's entry is made by."""
    return files_hash(ANALYSIS)


def plan_id(path: Path) -> str:
    """The plan's id as nlp.pipeline.load_meta gives it (the slug in its metadata file, else the file's stem),
    read without importing the pipeline, so an unchanged rebuild stays cheap."""
    meta = path.with_suffix(".json")
    return (json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}).get("slug", path.stem)


def plan_key(path: Path, factors: dict[str, float], repair_rows: list[dict]) -> str:
    """The cache key of one plan file as the next build would analyse it."""
    h = hashlib.sha256()
    h.update(analysis_version().encode())
    h.update(path.name.encode() + b"\0" + path.read_bytes())
    meta = path.with_suffix(".json")
    h.update(b"\0meta\0" + (meta.read_bytes() if meta.exists() else b""))
    h.update(json.dumps(sorted(factors.items())).encode())
    h.update(json.dumps(repair_rows, sort_keys=True, ensure_ascii=False, default=str).encode())
    return h.hexdigest()[:32]


def cache_dir() -> Path:
    d = paths.data_dir() / "cache" / "plans"
    d.mkdir(parents=True, exist_ok=True)
    return d


def entry(key: str) -> Path | None:
    """The complete cache entry of a key, or None: its rows are all a build needs of the plan's analysis (a plan
    without a cached index unit gets one made from them, kb.build_units)."""
    d = cache_dir() / key
    return d if (d / FRAGMENT).exists() else None


def analyse(
    path: Path, factors: dict[str, float], meta: dict[str, Any] | None = None, repair_rows: list[dict] | None = None
) -> Plan:
    """One plan file analysed as a build analyses it: with the learned factors and its repair reviews (the rows
    its key hashes, read by the build: the analysis itself reads no review code)."""
    from kb.repair_match import repair_decisions
    from nlp.departments import set_rule_factors
    from nlp.pipeline import analyse_file

    rows = repair_rows or []
    set_rule_factors(factors)
    return analyse_file(path, meta, repair_review=lambda _plan, raw, repairs: repair_decisions(rows, raw, repairs))


def fill(
    key: str, path: Path, factors: dict[str, float], plan: Plan | None = None, repair_rows: list[dict] | None = None
) -> Path:
    """Analyse one plan file (or take its analysis, made by analyse() in this process: `kb add` analysed it for the
    parse report) and write its cache entry (its rows) aside, then rename it into place."""
    from kb.store.write import write_kb

    plan = plan or analyse(path, factors, repair_rows=repair_rows)
    tmp = cache_dir() / f".tmp-{key}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        write_kb(tmp / FRAGMENT, [plan], departments=False, optimise=False)
        final = cache_dir() / key
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def prune(keep: set[str]) -> None:
    """Drop entries no build uses any more, and leftovers of killed builds."""
    for d in cache_dir().iterdir():
        if d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)
