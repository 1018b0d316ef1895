"""Which items a department reports on: its duties from the one duties module, cached per build and review state."""

from __future__ import annotations

import threading
from typing import Any

from kb.duties import UnknownDepartment, duties, item_duties
from kb.monitoring import observations as obsdb
from kb.reviews import snapshot

__all__ = ["Scope", "UnknownDepartment", "scope"]


class Scope:
    """The reviewed items of the live build, every department's duties on them, and the plans' periods."""

    def __init__(self, items: list[dict[str, Any]], plans: list[dict[str, Any]]):
        self.items = items
        self.by_id = {i["id"]: i for i in items}
        self.plans = {p["id"]: p for p in plans}
        self._duties: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def plan_period(self, plan: str) -> tuple[int, int]:
        return obsdb.plan_period(self.plans[plan])

    def departments(self) -> list[str]:
        """Every department with a duty on some item (kb.duties), by name."""
        if getattr(self, "_names", None) is None:
            self._names = sorted({n for it in self.items for n in item_duties(it)})
        return self._names

    def duties(self, department: str) -> dict[str, dict[str, Any]]:
        """item id → duty row (role lead/co, title, domain …) for a canonical department name."""
        with self._lock:
            if department not in self._duties:
                report = duties(self.items, department)
                self._duties[department] = {
                    r["id"]: {**r, "domain": g["domain"], "plan": g["plan"]}
                    for g in report["domains"]
                    for r in g["items"]
                }
            return self._duties[department]

    def item_departments(self, item_id: str) -> dict[str, str]:
        """department → role for every department with a duty on this item (lead first)."""
        out = {n: d.role for n, d in item_duties(self.by_id[item_id]).items()}
        return dict(sorted(out.items(), key=lambda kv: (kv[1] != "lead", kv[0])))


_cache: dict[tuple, Scope] = {}
_cache_lock = threading.Lock()


def scope() -> Scope:
    """The Scope of the live build in its reviewed state, shared until a rebuild or a review changes it."""
    snap = snapshot.current()
    key = snap.key("items")  # the snapshot's cache rule: progress and monitoring writes keep it
    found = _cache.get(key)
    if found is not None:
        return found
    made = Scope(snap.items, snap.plans)
    with _cache_lock:
        _cache.clear()
        _cache[key] = made
    return made


class _ScopeKB:
    """What obsdb.indicator_index reads from a KB, served from a Scope (no second read of the build)."""

    def __init__(self, s: Scope):
        self.s = s

    def plans(self) -> list[dict[str, Any]]:
        return list(self.s.plans.values())

    def items(self) -> list[dict[str, Any]]:
        return self.s.items


def indicator_index(s: Scope) -> dict[str, dict[str, Any]]:
    """The monitoring indicator index of this scope, made once."""
    if getattr(s, "_index", None) is None:
        s._index = obsdb.indicator_index(_ScopeKB(s))  # type: ignore[arg-type, attr-defined]
    return s._index  # type: ignore[attr-defined]
