"""What pages derive from the reviewed snapshot, computed once per state and shared by every thread.

The state is the snapshot's key (kb.reviews.snapshot.Snapshot.key): a value of scope "items" lives until any item
changes (a build, a review, a note), one of scope "tags" until departments or links change (notes leave it).
Progress and monitoring entries change neither. A value with an `update` function is brought up to date from the
items a change touched instead of being computed again (the graph, the duty index). Concurrent requests for a
value being computed wait for it rather than computing it twice.
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from kb.reviews.snapshot import Snapshot

T = TypeVar("T")
MAX_VALUES = 512  # per process; parametrised values (a department, a plan) beyond that are computed again

_values: OrderedDict[Hashable, tuple[tuple, Any]] = OrderedDict()
_guard = threading.Lock()
_locks: dict[Hashable, threading.Lock] = {}
computed: Counter[Hashable] = Counter()  # full computations per value name (tests: a write must not add one)
updated: Counter[Hashable] = Counter()  # incremental updates per value name


def cached(
    snap: Snapshot,
    name: Hashable,
    compute: Callable[[], T],
    scope: str = "items",
    update: Callable[[T, set[str]], T] | None = None,
) -> T:
    """The value `name` for this snapshot's state: held, updated from the items changed since, or computed."""
    key = snap.key(scope)
    with _guard:
        held = _values.get(name)
        if held is not None and held[0] == key:
            _values.move_to_end(name)
            return held[1]
        lock = _locks.setdefault(name, threading.Lock())
    with lock:
        with _guard:
            held = _values.get(name)
        if held is not None and held[0] == key:
            return held[1]
        value = None
        if held is not None and update is not None and scope == "tags" and held[0][0::2] == key[0::2]:
            changed = snap.tags_changed_since(held[0][1])
            if changed is not None and held[0][1] <= key[1]:
                value = update(held[1], changed)
                updated[name] += 1
        if value is None:
            value = compute()
            computed[name] += 1
        with _guard:
            _values[name] = (key, value)
            _values.move_to_end(name)
            while len(_values) > MAX_VALUES:
                old, _ = _values.popitem(last=False)
                _locks.pop(old, None)
        return value


def clear() -> None:
    """Forget every value (tests that swap data dirs in one process)."""
    with _guard:
        _values.clear()
        _locks.clear()
        computed.clear()
        updated.clear()
