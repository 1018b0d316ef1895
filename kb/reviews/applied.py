"""The reviews as last applied to one build: each row placed on the item it points at, reviewed copies of the
touched items, and snapshots published from them; caught up with the durable database entry by entry."""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from typing import Any

from kb.reviews.model import Build, Snapshot

ITEM_KINDS = ("assignment", "link", "note")  # the kinds that change items (repairs change the next build)
TAG_LOG = 256  # department/link changes remembered, so caches older than that many changes are rebuilt
_epochs = 0


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
