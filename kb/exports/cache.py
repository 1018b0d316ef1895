"""Downloads made once per state: a rendered export is kept as a file in the live build's folder, keyed by the
build, the review version (the audit log's last entry, which every review, undo and deadline change writes), the
selection, the format and the export date; any later request for the same file streams it from disk.

One render per file: a request for a file being rendered (by a request or by prerender, in this process or another)
waits for that render and reads its file. prerender() renders ahead, after a change of state, the selections asked
for lately (each file's description names its selection) or DEFAULTS, so the first download of a state is a file
send (at 100x the whole corpus took 1.5-4.7 s to render; issue 19). The folder is kept within BUDGET_BYTES, the
files used least lately removed first. A build folder that cannot be written (read-only, full disk) only loses the
cache: the export is rendered in memory.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from kb import paths
from kb.exports import MIMETYPES, Export, Filters, export
from kb.exports.safety import content_disposition
from kb.store import KB

if sys.platform != "win32":
    import fcntl

FOLDER = "exports"  # inside the build folder, so a build's cached files go when the build is pruned
STREAM_FROM = 4 << 20  # files from this size are streamed from disk; smaller ones are read and sent whole
BUDGET_BYTES = int(os.environ.get("KB_EXPORT_CACHE_MB", "512")) << 20  # the folder's files beyond it go, oldest first
KEEP_SECONDS = 60  # a file used this recently is never removed (a download may be streaming it)
AHEAD = int(os.environ.get("KB_EXPORT_AHEAD", "4"))  # selections prerender() renders per state at most
# Rendered ahead when no selection has been asked for in this build yet: the whole list as Excel, the office's file.
DEFAULTS: tuple[dict[str, Any], ...] = ({"layout": "plan", "fmt": "xlsx", "filters": {}, "per_dept_sheets": False},)


@dataclass
class CachedExport:
    """A produced download: on disk (path) or, when the cache cannot be written, in memory (data)."""

    filename: str
    ascii_filename: str
    mimetype: str
    rows: int
    path: Path | None = None
    data: bytes | None = None

    @property
    def content_disposition(self) -> str:
        return content_disposition(self.filename, self.ascii_filename)

    @property
    def size(self) -> int:
        return self.path.stat().st_size if self.path is not None else len(self.data or b"")

    def small(self) -> bytes | None:
        """The bytes of a file small enough to send whole, else None (stream it from path)."""
        if self.path is None:
            return self.data
        return self.path.read_bytes() if self.size < STREAM_FROM else None


def state_key(layout: str, fmt: str, filters: Filters, per_dept_sheets: bool, day: _dt.date) -> str | None:
    """The cache key of one download in the live state, or None when reviews cannot be read (degraded)."""
    from kb.reviews.snapshot import current

    snap = current()
    if snap.degraded:
        return None
    durable = paths.reviews_db_path()  # which reviews (a restore or another data dir over the same build differ)
    source = [str(durable), durable.stat().st_ino] if durable.exists() else None
    parts = [list(snap.build.key), source, snap.version, layout, fmt, dataclasses.asdict(filters), per_dept_sheets]
    parts.append(str(day))
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, sort_keys=True).encode()).hexdigest()[:32]


def cached_export(
    kb: KB, layout: str, fmt: str, filters: Filters, per_dept_sheets: bool = False, date: _dt.date | None = None
) -> CachedExport:
    """The download from the cache, rendering it first when this state has not produced it yet (or waiting for the
    render under way)."""
    day = date or _dt.date.today()
    key = state_key(layout, fmt, filters, per_dept_sheets, day)
    build = paths.current_build()
    if build is not None and key is not None:
        folder = build / FOLDER
        hit = _read(folder, key, fmt)
        if hit is not None:
            return hit
        selection = _selection(layout, fmt, filters, per_dept_sheets)
        try:
            with _rendering(folder, key, wait=True):
                return _read(folder, key, fmt) or _render(kb, folder, key, selection, day)
        except OSError:
            pass  # a read-only or full build folder: serve from memory
    result = export(kb, layout, fmt, filters, per_dept_sheets, day)
    return CachedExport(result.filename, result.ascii_filename, result.mimetype, result.rows, data=result.data)


def prerender(
    kb: KB, date: _dt.date | None = None, before: Callable[[], bool] | None = None, limit: int = AHEAD
) -> list[str]:
    """Render the live state's files of the selections asked for lately in this build (DEFAULTS before any), at most
    `limit`, one at a time, skipping one already cached or being rendered elsewhere; before() is called ahead of each
    render and stops the rest when it returns False (the state moved, the server is stopping). The keys rendered."""
    build = paths.current_build()
    if build is None:
        return []
    folder, day, done = build / FOLDER, date or _dt.date.today(), []
    for selection, asked in wanted(folder)[:limit]:
        filters = Filters(**selection["filters"])
        key = state_key(selection["layout"], selection["fmt"], filters, selection["per_dept_sheets"], day)
        if key is None or _read(folder, key, selection["fmt"], touch=False) is not None:
            continue
        if before is not None and not before():
            break
        try:
            with _rendering(folder, key, wait=False) as mine:
                if mine and _read(folder, key, selection["fmt"], touch=False) is None:
                    _render(kb, folder, key, selection, day)
                    os.utime(folder / f"{key}.meta", (asked, asked))  # asked when its selection was, not now
                    done.append(key)
        except Exception:  # rendering ahead is an optimisation: the request itself will say what is wrong
            continue
    return done


def wanted(folder: Path) -> list[tuple[dict[str, Any], float]]:
    """(selection, when last asked for) of the folder's files, asked for most lately first, each once; DEFAULTS when
    there are none. A description's mtime is when a request last asked for its file or, for a file rendered ahead,
    for the same selection in an earlier state (so a selection nobody asks for again falls behind the others)."""
    metas = sorted(folder.glob("*.meta"), key=_mtime, reverse=True) if folder.is_dir() else []
    out: list[tuple[dict[str, Any], float]] = []
    for meta in metas:
        try:
            selection = json.loads(meta.read_text(encoding="utf-8")).get("selection")
        except (OSError, ValueError):
            continue
        if selection and all(selection != have for have, _ in out):
            out.append((selection, _mtime(meta)))
    return out or [(dict(d), 0.0) for d in DEFAULTS]


def _selection(layout: str, fmt: str, filters: Filters, per_dept_sheets: bool) -> dict[str, Any]:
    return {"layout": layout, "fmt": fmt, "filters": dataclasses.asdict(filters), "per_dept_sheets": per_dept_sheets}


def _render(kb: KB, folder: Path, key: str, selection: dict[str, Any], day: _dt.date) -> CachedExport:
    """Write the selection's file into the cache (straight into it: a province's list is never whole in memory),
    then keep the folder within its budget."""
    fmt, filters = selection["fmt"], Filters(**selection["filters"])
    layout, per_dept = selection["layout"], selection["per_dept_sheets"]
    got = _write(folder, key, fmt, lambda out: export(kb, layout, fmt, filters, per_dept, day, out), selection)
    prune(folder)
    return got


@contextmanager
def _rendering(folder: Path, key: str, wait: bool) -> Iterator[bool]:
    """Held while one render of `key` runs, by any thread of any process (an flock on a lock file beside it): yields
    True once held, or (wait=False) False at once when another render holds it. Without flock (Windows) every
    render runs, as before. The lock file goes with the render; a render that opened it just before may then run a
    second time, and both files are whole."""
    if sys.platform == "win32":
        yield True
        return
    folder.mkdir(exist_ok=True)
    lock = folder / f".{key}.lock"
    with open(lock, "a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            lock.unlink(missing_ok=True)


def prune(folder: Path, budget: int = BUDGET_BYTES) -> list[str]:
    """Remove the files used least lately (with their descriptions) until the folder holds at most `budget` bytes;
    one used within KEEP_SECONDS stays. The names removed."""
    files = [p for p in folder.iterdir() if not p.name.startswith(".") and p.suffix != ".meta"]
    total, gone = sum(_size(p) for p in files), []
    now = time.time()
    for path in sorted(files, key=_mtime):
        if total <= budget:
            break
        if now - _mtime(path) < KEEP_SECONDS:
            continue
        total -= _size(path)
        path.unlink(missing_ok=True)
        path.with_suffix(".meta").unlink(missing_ok=True)
        gone.append(path.name)
    return gone


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read(folder: Path, key: str, fmt: str, touch: bool = True) -> CachedExport | None:
    """The cached file of `key`, None when absent; touch: mark it (and its description) used now, for prune()."""
    meta_path = folder / f"{key}.meta"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    path = folder / f"{key}.{fmt}"
    if not path.exists():
        return None
    if touch:
        try:
            os.utime(path)
            os.utime(meta_path)
        except OSError:
            pass  # a read-only folder: served all the same
    return CachedExport(meta["filename"], meta["ascii_filename"], MIMETYPES[fmt], meta["rows"], path=path)


def _write(
    folder: Path, key: str, fmt: str, produce: Callable[[BinaryIO], Export], selection: dict[str, Any] | None = None
) -> CachedExport:
    """The file as `produce` writes it, then its description (with the selection, for prerender), each written aside
    and renamed (two workers may race: both are whole); a file left half-written (a bad selection, a full disk) is
    removed."""
    folder.mkdir(exist_ok=True)
    tag = f"{os.getpid()}-{threading.get_ident()}"
    path = folder / f"{key}.{fmt}"
    tmp = folder / f".{key}.{tag}.{fmt}"
    try:
        with open(tmp, "wb") as fh:
            result = produce(fh)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    meta = {"filename": result.filename, "ascii_filename": result.ascii_filename, "rows": result.rows}
    meta["selection"] = selection
    tmp_meta = folder / f".{key}.{tag}.meta"
    tmp_meta.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp_meta, folder / f"{key}.meta")
    return CachedExport(result.filename, result.ascii_filename, result.mimetype, result.rows, path=path)
