"""The reviewed snapshot: the live build's items with reviewers' decisions applied, kept incrementally.

One cache rule for pages, search and anchoring: a snapshot belongs to (build, newest audit id). A new build
loads the items and resolves every review once; a new audit entry re-reads only the reviews it touched and
re-applies only the items they point at, so reads cost the same with 10 or 10,000 reviews and a write costs
each worker a few items, not a rebuild. When the durable database cannot be read, the build's own items are
served with `degraded` saying why (the cause goes to the log).
"""

from __future__ import annotations

import functools
import logging
import os
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kb import paths
from kb.errors import KBError
from kb.lookup import resolve_id
from kb.reviews.anchoring import Universe, universe_from_conn
from kb.reviews.audit import forget_reader, reader
from kb.store.db import NoKnowledgeBase, connect

log = logging.getLogger(__name__)
ITEM_KINDS = ("assignment", "link", "note")  # the kinds that change items (repairs change the next build)
TAG_LOG = 256  # department/link changes remembered, so caches older than that many changes are rebuilt
_epochs = 0


@dataclass
class Build:
    """One build's un-reviewed items, plans and anchoring universe, loaded once."""

    key: tuple
    order: list[str]
    base: dict[str, dict[str, Any]]
    plans: list[dict[str, Any]]
    universe: Universe

    @functools.cached_property
    def position(self) -> dict[str, int]:
        """Item id → its place in document order (to keep incrementally updated lists in that order)."""
        return {iid: n for n, iid in enumerate(self.order)}


@dataclass
class Snapshot:
    """Every item of the live build in the reviewed state (read-only for callers), indexed for the pages."""

    build: Build
    version: int  # newest audit id seen (progress and monitoring entries included)
    items: list[dict[str, Any]]
    changed: dict[str, dict[str, Any]]  # id → reviewed copy, for items some review touches
    dept_reviewed: frozenset[str]  # ids of items with department reviews
    degraded: str = ""  # why reviews are not shown ("" when they are)
    tags_version: int = 0  # audit id of the last change to departments or links (notes leave it)
    items_version: int = 0  # audit id of the last change to any item (notes included)
    epoch: int = 0  # which loaded state (build + durable DB) these versions count in
    tag_log: tuple[tuple[int, frozenset[str]], ...] = ()  # (tags_version, items it changed), oldest first
    log_from: int = 0  # the log holds every tag change after this tags_version
    by_id: dict[str, dict[str, Any]] = field(default_factory=dict)
    serving: dict[str, list[str]] = field(default_factory=dict)  # goal id → measure ids serving it
    records_version: int = 0  # audit id of the last entry that is no item review (values, progress, repairs …)

    @property
    def plans(self) -> list[dict[str, Any]]:
        return self.build.plans

    def key(self, scope: str = "items") -> tuple:
        """The one cache rule for what is derived from this snapshot: the state it was derived from. scope
        "items": any item change (notes too); "tags": only department and link changes (graphs, duty lists);
        "records": department and link changes and every entry that is no item review (monitoring values,
        indicator settings, progress, repair decisions), not notes; "all": any audit entry; "build": only a new
        build (what the build's own database holds: repairs, goal titles)."""
        if scope == "build":
            return (self.build.key, 0, "")
        if scope == "records":
            return (self.epoch, (self.tags_version, self.records_version), self.degraded)
        version = {"tags": self.tags_version, "all": self.version}.get(scope, self.items_version)
        return (self.epoch, version, self.degraded)

    def tags_changed_since(self, tags_version: int) -> set[str] | None:
        """Items whose departments or links changed after `tags_version` (None: the log does not reach back)."""
        if tags_version < self.log_from:
            return None
        return {i for version, ids in self.tag_log if version > tags_version for i in ids}


def _build_key() -> tuple | None:
    path = paths.kb_db_path()
    if path is None or not path.exists():
        return None
    st = os.stat(path)
    return (str(path), st.st_ino, st.st_mtime_ns, st.st_size)


def _load_build(key: tuple) -> Build:
    from kb.store import KB

    conn = connect(paths.kb_db_path(), readonly=True)  # type: ignore[arg-type]
    try:
        kb = KB(conn)
        items = kb.items_as_dicts(kb.item_rows())
        plans = kb.plans()
        uni = universe_from_conn(conn)
    finally:
        conn.close()
    for it in items:
        it["notes"] = []
    return Build(key, [i["id"] for i in items], {i["id"]: i for i in items}, plans, uni)


class _State:
    """The reviews as last applied: rows by id, the item each affects, and the reviewed copies."""

    def __init__(self, build: Build, source: tuple | None):
        global _epochs
        _epochs += 1
        self.epoch = _epochs
        self.build = build
        self.source = source  # which durable database these reviews came from (path, inode)
        self.version = -1
        self.rows: dict[int, dict[str, Any]] = {}
        self.item_of: dict[int, str] = {}
        self.per_item: dict[str, set[int]] = defaultdict(set)
        self.changed: dict[str, dict[str, Any]] = {}
        self.snapshot: Snapshot | None = None
        self.items_version = self.tags_version = self.log_from = self.records_version = 0
        self.tag_log: list[tuple[int, frozenset[str]]] = []
        self.dept_items: set[str] = set()  # items with a department review row
        self.touched: set[str] = set()  # items placed since the last publish
        self.tag_items: set[str] = set()  # of those, the ones an assignment or link row moved on

    def place(self, rid: int, row: dict[str, Any] | None) -> set[str]:
        """Put one review row (None: deleted) where it now points; the items whose state changes."""
        from kb.reviews.overlay import resolve_row

        touched = set()
        kind = (self.rows.get(rid) or row or {}).get("kind")
        old = self.item_of.pop(rid, None)
        if old is not None:
            self.per_item[old].discard(rid)
            touched.add(old)
        self.rows.pop(rid, None)
        if row is not None and row["kind"] in ITEM_KINDS:
            item, target, _status, _score = resolve_row(self.build.universe, row)
            if item and target is not None and item in self.build.base:
                self.rows[rid] = {**row, "_target": target}
                self.item_of[rid] = item
                self.per_item[item].add(rid)
                touched.add(item)
        self.touched |= touched
        if kind in ("assignment", "link") or (row or {}).get("kind") in ("assignment", "link"):
            self.tag_items |= touched
        for iid in touched:
            if any(self.rows[r]["kind"] == "assignment" for r in self.per_item[iid]):
                self.dept_items.add(iid)
            else:
                self.dept_items.discard(iid)
        return touched

    def reapply(self, ids: set[str]) -> None:
        """Recompute the reviewed copies of these items from their base and their rows (newest wins)."""
        from kb.reviews.overlay import apply_decisions, reviewed_copy

        for iid in ids:
            rids = self.per_item.get(iid)
            if not rids:
                self.changed.pop(iid, None)
                continue
            decisions: dict[tuple[str, str], dict] = {}
            for r in sorted((self.rows[r] for r in rids), key=lambda r: (r["updated_at"], r["id"])):
                decisions[(r["kind"], r["_target"])] = r
            it = reviewed_copy(self.build.base[iid])
            apply_decisions(it, decisions, self.build.universe)
            self.changed[iid] = it

    def publish(self, version: int, degraded: str = "") -> Snapshot:
        """A snapshot at `version`: lists and indexes of the last one reused, updated only where items changed."""
        b, prev = self.build, self.snapshot
        self.version = version
        if prev is None:
            by_id = {i: self.changed.get(i) or b.base[i] for i in b.order}
            items = list(by_id.values())
            self.items_version = self.tags_version = self.log_from = self.records_version = version
        elif self.touched:
            by_id = dict(prev.by_id)
            by_id.update((i, self.changed.get(i) or b.base[i]) for i in self.touched)
            items = [by_id[i] for i in b.order]
            self.items_version = version
        else:
            by_id, items = prev.by_id, prev.items
        if prev is not None and self.tag_items:
            self.tag_log.append((version, frozenset(self.tag_items)))
            if len(self.tag_log) > TAG_LOG:
                self.log_from = self.tag_log.pop(0)[0]
            self.tags_version = version
        if prev is None:
            serving: dict[str, list[str]] = {}
            for it in items:
                for goal in it["serves"]:
                    serving.setdefault(goal, []).append(it["id"])
        elif self.tag_items:
            serving = _served(prev.serving, prev.by_id, by_id, self.tag_items, b.position)
        else:
            serving = prev.serving
        self.touched, self.tag_items = set(), set()
        depts = prev.dept_reviewed if prev is not None and prev.dept_reviewed == self.dept_items else None
        depts = depts if depts is not None else frozenset(self.dept_items)
        self.snapshot = Snapshot(
            b,
            version,
            items,
            dict(self.changed),
            depts,
            degraded,
            self.tags_version,
            self.items_version,
            self.epoch,
            tuple(self.tag_log),
            self.log_from,
            by_id,
            serving,
            self.records_version,
        )
        return self.snapshot


def _served(
    serving: dict[str, list[str]],
    before: dict[str, dict[str, Any]],
    after: dict[str, dict[str, Any]],
    changed: set[str],
    position: dict[str, int],
) -> dict[str, list[str]]:
    """Goal → measures serving it (document order) after the `changed` items' links moved: only the goals they
    served before or serve now are redone; the other lists are the previous snapshot's."""
    out = dict(serving)
    for goal in {g for i in changed for it in (before[i], after[i]) for g in it["serves"]}:
        kept = [m for m in serving.get(goal, []) if m not in changed]
        ids = sorted(kept + [i for i in changed for g in after[i]["serves"] if g == goal], key=position.__getitem__)
        if ids:
            out[goal] = ids
        else:
            out.pop(goal, None)
    return out


_lock = threading.Lock()
_state: _State | None = None
_down: _State | None = None  # the build without reviews, while the durable database cannot be read


def _audit_version(conn: sqlite3.Connection | None) -> int:
    return 0 if conn is None else int(conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0])


def _catch_up(state: _State, conn: sqlite3.Connection | None, version: int) -> None:
    """Apply what changed since state.version: every row on a fresh state, else the rows new entries touched."""
    if conn is None:
        return
    touched: set[str] = set()
    if state.version < 0:
        state.records_version = version  # every entry is new to this state
        for r in conn.execute("SELECT * FROM reviews WHERE kind IN ('assignment', 'link', 'note')"):
            touched |= state.place(r["id"], dict(r))
        state.reapply(touched)
        return
    other = conn.execute(  # entries that are no item review move the "records" scope (Snapshot.key)
        "SELECT max(id) FROM audit WHERE id > ? AND id <= ? AND (review_id IS NULL OR kind IS NULL "
        "OR kind NOT IN ('assignment', 'link', 'note'))",
        (state.version, version),
    ).fetchone()[0]
    state.records_version = max(state.records_version, int(other or 0))
    rids = [
        int(r[0])
        for r in conn.execute(
            "SELECT DISTINCT review_id FROM audit WHERE id > ? AND id <= ? AND review_id IS NOT NULL",
            (state.version, version),
        )
    ]
    found: dict[int, dict[str, Any]] = {}
    for i in range(0, len(rids), 500):
        chunk = rids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        found.update((r["id"], dict(r)) for r in conn.execute(f"SELECT * FROM reviews WHERE id IN ({marks})", chunk))
    for rid in rids:  # a row gone from the table was deleted (note removed, undo of an add)
        touched |= state.place(rid, found.get(rid))
    state.reapply(touched)


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
