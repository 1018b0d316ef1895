"""Downloads made once per state: a rendered export is kept as a file in the live build's folder, keyed by the
build, the review version (the audit log's last entry, which every review, undo and deadline change writes), the
selection, the format and the export date; any later request for the same file streams it from disk.

A build folder that cannot be written (read-only, full disk) only loses the cache: the export is rendered in memory.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from kb import paths
from kb.exports import MIMETYPES, Export, Filters, export
from kb.exports.safety import content_disposition
from kb.store import KB

FOLDER = "exports"  # inside the build folder, so a build's cached files go when the build is pruned
STREAM_FROM = 4 << 20  # files from this size are streamed from disk; smaller ones are read and sent whole


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
    """The download from the cache, rendering it first when this state has not produced it yet."""
    day = date or _dt.date.today()
    key = state_key(layout, fmt, filters, per_dept_sheets, day)
    build = paths.current_build()
    if build is not None and key is not None:
        folder = build / FOLDER
        hit = _read(folder, key, fmt)
        if hit is not None:
            return hit
        try:  # the file is written straight into the cache: a province's list is never whole in memory
            return _write(folder, key, fmt, lambda out: export(kb, layout, fmt, filters, per_dept_sheets, day, out))
        except OSError:
            pass  # a read-only or full build folder: serve from memory
    result = export(kb, layout, fmt, filters, per_dept_sheets, day)
    return CachedExport(result.filename, result.ascii_filename, result.mimetype, result.rows, data=result.data)


def _read(folder: Path, key: str, fmt: str) -> CachedExport | None:
    try:
        meta = json.loads((folder / f"{key}.meta").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    path = folder / f"{key}.{fmt}"
    if not path.exists():
        return None
    return CachedExport(meta["filename"], meta["ascii_filename"], MIMETYPES[fmt], meta["rows"], path=path)


def _write(folder: Path, key: str, fmt: str, produce: Callable[[BinaryIO], Export]) -> CachedExport:
    """The file as `produce` writes it, then its description, each written aside and renamed (two workers may
    race: both are whole); a file left half-written (a bad selection, a full disk) is removed."""
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
    tmp_meta = folder / f".{key}.{tag}.meta"
    tmp_meta.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp_meta, folder / f"{key}.meta")
    return CachedExport(result.filename, result.ascii_filename, result.mimetype, result.rows, path=path)
