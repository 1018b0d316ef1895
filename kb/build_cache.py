"""Per-plan build cache: a plan's analysed rows (a one-plan SQLite file) and its whoosh segment, kept under
data/cache/plans/<key>/ so a build analyses and indexes only the plans whose inputs changed.

The key hashes everything the per-plan result depends on: the plan file's bytes and its metadata file, the code and
data of the analysis and of the per-plan writers (every file of nlp/ and kb/, so no code change can serve a stale
entry), the factors learned from reviews and the plan's repair reviews. An entry is written aside and renamed into
place whole, so a killed build leaves at most a stray temporary folder, which the next build removes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from functools import lru_cache
from pathlib import Path

from kb import paths

ROOTS = ("nlp", "kb")  # the packages whose code and data make a plan's rows and segment
FRAGMENT, SEGMENT = "kb.sqlite", "index"


@lru_cache(maxsize=1)
def code_version() -> str:
    """Hash of every source and data file of nlp/ and kb/ (read once per process)."""
    h = hashlib.sha256()
    for root in ROOTS:
        base = paths.REPO / root
        for f in sorted(base.rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix not in (".pyc", ".pyo"):
                h.update(str(f.relative_to(paths.REPO)).encode() + b"\0" + f.read_bytes() + b"\0")
    return h.hexdigest()


def plan_id(path: Path) -> str:
    """The plan's id as nlp.pipeline.load_meta gives it (the slug in its metadata file, else the file's stem),
    read without importing the pipeline, so an unchanged rebuild stays cheap."""
    meta = path.with_suffix(".json")
    return (json.loads(meta.read_text(encoding="utf-8")) if meta.exists() else {}).get("slug", path.stem)


def plan_key(path: Path, factors: dict[str, float], repair_rows: list[dict]) -> str:
    """The cache key of one plan file as the next build would analyse it."""
    h = hashlib.sha256()
    h.update(code_version().encode())
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
    """The complete cache entry of a key, or None."""
    d = cache_dir() / key
    return d if (d / FRAGMENT).exists() and (d / SEGMENT).is_dir() else None


def fill(key: str, path: Path, factors: dict[str, float]) -> Path:
    """Analyse one plan file and write its cache entry (rows + segment) aside, then rename it into place."""
    from kb.build import write_kb
    from kb.reviews.overlay import repair_decisions
    from kb.search.writer import build_index
    from nlp.departments import set_rule_factors
    from nlp.pipeline import analyse_file

    set_rule_factors(factors)
    plan = analyse_file(path, repair_review=repair_decisions)
    tmp = cache_dir() / f".tmp-{key}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        write_kb(tmp / FRAGMENT, [plan], departments=False)
        build_index(tmp / FRAGMENT, tmp / SEGMENT)
        final = cache_dir() / key
        shutil.rmtree(final, ignore_errors=True)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def fill_in_worker(key: str, path: str, factors: dict[str, float], data: str) -> str:
    """fill() in a pool process, on the build's data directory."""
    paths.use_data_dir(data)
    fill(key, Path(path), factors)
    return key


def prune(keep: set[str]) -> None:
    """Drop entries no build uses any more, and leftovers of killed builds."""
    for d in cache_dir().iterdir():
        if d.name not in keep:
            shutil.rmtree(d, ignore_errors=True)
