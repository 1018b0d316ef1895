"""The snapshot's data: one build's items loaded once (Build), and the reviewed state pages read (Snapshot)."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from typing import Any

from kb import paths
from kb.reviews.anchoring import Universe, universe_from_conn
from kb.store.db import connect


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
