"""The reviewed snapshot: the live build's items with reviewers' decisions applied, kept incrementally.

One cache rule for pages, search and anchoring: a snapshot belongs to (build, newest audit id). A new build
loads the items and resolves every review once; a new audit entry re-reads only the reviews it touched and
re-applies only the items they point at, so reads cost the same with 10 or 10,000 reviews and a write costs
each worker a few items, not a rebuild. When the durable database cannot be read, the build's own items are
served with `degraded` saying why (the cause goes to the log).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterable
from typing import Any

from kb.errors import KBError
from kb.lookup import resolve_id
from kb.reviews.anchoring import Universe
from kb.reviews.applied import _catch_up, _State
from kb.reviews.audit import forget_reader, reader
from kb.reviews.model import Build, Snapshot, _build_key, _load_build  # noqa: F401 (Build, Snapshot: re-exported)
from kb.store.db import NoKnowledgeBase

log = logging.getLogger(__name__)

_lock = threading.Lock()
_state: _State | None = None
_down: _State | None = None  # the build without reviews, while the durable database cannot be read


def _audit_version(conn: sqlite3.Connection | None) -> int:
    return 0 if conn is None else int(conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0])


def current() -> Snapshot:
    """The reviewed snapshot of the live build, brought up to date with the audit log (NoKnowledgeBase before
    any build). Callers must not change what it holds."""
    global _state
    key = _build_key()
    if key is None:
        raise NoKnowledgeBase("知识库尚未构建,请先运行 `python -m kb build` (no KB built yet)")
    try:
        source, conn = reader()
        version = _audit_version(conn)
    except sqlite3.Error as exc:
        return _degraded(key, exc)
    state = _state
    fresh = state is not None and (state.build.key, state.source, state.version) == (key, source, version)
    if fresh and state.snapshot is not None:  # type: ignore[union-attr]
        return state.snapshot  # type: ignore[union-attr]
    with _lock:
        state = _state
        if state is None or state.build.key != key:
            state = _State(_load_build(key), source)
        elif state.source is None and source is not None and not state.rows:
            state.source, state.version = source, -1  # the first review made the durable DB: read it all, same epoch
        elif state.source != source:
            state = _State(state.build, source)  # another durable DB (restore, another data dir): start over
        if state.version != version or state.snapshot is None or state.snapshot.degraded:
            try:
                _catch_up(state, conn, version)
            except sqlite3.Error as exc:
                return _degraded(key, exc)
            state.publish(version)
        _state = state
        return state.snapshot  # type: ignore[return-value]


def _degraded(key: tuple, exc: Exception) -> Snapshot:
    """The build's own items, without reviews, when the durable database cannot be read."""
    global _state, _down
    log.error("reviews database unreadable, serving the knowledge base without reviews: %s", exc, exc_info=exc)
    forget_reader()
    with _lock:
        state = _state if _state is not None and _state.build.key == key else _State(_load_build(key), None)
        _state = state
        if _down is None or _down.build is not state.build:  # one degraded state per build: its caches hold
            _down = _State(state.build, None)
            _down.publish(-1, f"审核数据库暂时无法读取({exc}),页面显示的是未经审核的自动标注;请联系管理员。")
        return _down.snapshot  # type: ignore[return-value]


def reviewed_items(
    plan: str | None = None, kind: str | None = None, domain: str | None = None, ids: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """The live build's items in the reviewed state, filtered as KB.item_rows filters, in document order: the one
    reviewed view exports and commands read (the snapshot pages read). Read-only; an unreadable reviews database
    is an error here, since a file written without the reviews would pass for the reviewed state."""
    snap = current()
    if snap.degraded:
        raise KBError(snap.degraded)
    wanted = None if ids is None else set(ids)
    return [
        it
        for it in snap.items
        if (plan is None or it["plan"] == plan)
        and (kind is None or it["kind"] == kind)
        and (domain is None or domain in (it["domain"], it["domain_code"]))
        and (wanted is None or it["id"] in wanted)
    ]


def reviewed_item(ref: str) -> dict[str, Any]:
    """One reviewed item by full or short id (kb.lookup); raises NotFound or Ambiguous. Read-only."""
    snap = current()
    if snap.degraded:
        raise KBError(snap.degraded)
    return snap.by_id[resolve_id(snap.by_id, ref)]


def live_universe() -> Universe | None:
    """The live build's anchoring universe (the snapshot's, so anchoring follows the same cache rule)."""
    try:
        return current().build.universe
    except NoKnowledgeBase:
        return None


def reset() -> None:
    """Forget the cached state (tests that swap data dirs in one process)."""
    global _state, _down
    with _lock:
        _state = _down = None
    forget_reader()
