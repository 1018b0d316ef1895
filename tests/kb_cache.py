"""Builds of the default plan (or of one other plan text), cached on disk under .cache/test-kb/<key> and shared by
test sessions and workers.

The key hashes every input that determines the build — the files of nlp/, kb/ and corpus/, the plan's name and
text when it is not the default, the Python version, the installed distributions and KB_* settings — so a cache
entry for changed code or data is never used. One process builds (under a file lock) while others wait; an entry
appears only complete (atomic rename).
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata
import os
import pickle
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nlp.model import Plan

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / ".cache" / "test-kb"
INPUTS = ("nlp", "kb", "corpus")
ANALYSIS = "analysis.pickle"  # the plan's analysis beside the build (default_analysis)
KEEP = 8  # entries kept: the plans the tests build, and other checkouts' states (switching branches back and forth)


def inputs_key(name: str = "", text: str = "") -> str:
    """A hash of everything the build depends on (the default plan's, or that of the plan `name` with `text`)."""
    h = hashlib.sha256(f"{name}\0{text}\0".encode())
    for top in INPUTS:
        for f in sorted((REPO / top).rglob("*")):
            if f.is_file() and "__pycache__" not in f.parts and f.suffix != ".pyc":
                h.update(str(f.relative_to(REPO)).encode() + b"\0" + f.read_bytes() + b"\0")
    h.update(Path(__file__).read_bytes())  # what an entry holds (ANALYSIS beside the build)
    h.update(sys.version.encode())
    dists = sorted(f"{d.metadata['Name']}=={d.version}" for d in importlib.metadata.distributions())
    h.update("\n".join(dists).encode())
    settings = sorted((k, v) for k, v in os.environ.items() if k.startswith("KB_") and k != "KB_DATA_DIR")
    h.update(repr(settings).encode())
    return h.hexdigest()[:24]


def cached_build(name: str = "", text: str = "") -> Path:
    """The data dir of a complete build for the current inputs, building it first when there is none.

    With name and text, the only plan is `text` as the file <name>.txt (the default plan's place, as the review
    plan's tests use it); treat the entry as read-only: copy it, or link its live build (kb_helpers.link_build)."""
    entry = CACHE / inputs_key(name, text)
    if (entry / "current").exists():
        return entry
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also if this process dies
        if (entry / "current").exists():  # another worker built it while we waited
            return entry
        tmp = CACHE / f".tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        _build_into(tmp, name, text)
        os.replace(tmp, entry)
        _prune(entry)
    return entry


def default_analysis() -> Plan:
    """The default plan's analysis as the cached build made it (analyse_file of the plan, its own metadata, no
    reviews): for tests that read an analysis without changing it, so the session analyses the plan once."""
    with open(cached_build() / ANALYSIS, "rb") as f:
        return pickle.load(f)


def _build_into(data: Path, name: str, text: str) -> None:
    import pytest

    from kb import build_cache, paths
    from kb.build import build

    analysed: list[Plan] = []

    def keep(*args, **kwargs) -> Plan:
        analysed.append(analyse(*args, **kwargs))
        return analysed[-1]

    analyse = build_cache.analyse
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KB_DATA_DIR", str(data))
        if name:
            src = data.parent / f"{data.name}-src" / f"{name}.txt"
            src.parent.mkdir(exist_ok=True)
            src.write_text(text, encoding="utf-8")
            mp.setattr(paths, "DEFAULT_PLAN", src)
        mp.setattr(build_cache, "analyse", keep)
        build(procs=1)  # in this process, so the one plan's analysis is kept
    (plan,) = analysed
    with open(data / ANALYSIS, "wb") as f:
        pickle.dump(plan, f, protocol=pickle.HIGHEST_PROTOCOL)


def _prune(keep: Path) -> None:
    """Drop leftovers of killed builds and all but the newest KEEP entries."""
    entries = sorted((p for p in CACHE.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True)
    for p in entries:
        if p.name.startswith(".tmp-") and p != keep:
            shutil.rmtree(p, ignore_errors=True)
    for p in [e for e in entries if not e.name.startswith(".")][KEEP:]:
        if p != keep:
            shutil.rmtree(p, ignore_errors=True)
