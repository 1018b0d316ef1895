"""What pages derive from the reviewed snapshot, computed once per state and shared by every thread.

The state is the snapshot's key (kb.reviews.snapshot.Snapshot.key): a value of scope "items" lives until any item
changes (a build, a review, a note), one of scope "tags" until departments or links change (notes leave it), one
of scope "records" until those or any entry that is no item review (values entered, progress, repair decisions)
change, one of scope "build" until a new build. Progress and monitoring entries change neither "items" nor
"tags". A value with an `update` function is brought up to date from the items a change touched instead of being
computed again (the graph, the duty index). Concurrent requests for a value being computed wait for it rather
than computing it twice — but a request that finds the previous state's value held waits at most STALE_WAIT
seconds and is then served that value while the other thread (usually the warm-up) finishes the new one: at 100x
a warm round after a review held the queue's lock for its whole computation, and a request under load waited
31–52 s on it (issue 19). recording() and fresh() tell which values a page read and whether they still hold, and
take_asked() which values requests have read lately.
"""

from __future__ import annotations

import os
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from kb.reviews.snapshot import Snapshot

T = TypeVar("T")
MAX_VALUES = 512  # per process; parametrised values (a department, a plan) beyond that are computed again
# A request waits this long for a value another thread is computing before it is served the previous state's value
# (a warm round's own reads always wait: they are what brings the value up to date).
STALE_WAIT = float(os.environ.get("KB_STALE_WAIT", "0.25"))

_values: OrderedDict[Hashable, tuple[tuple, Any]] = OrderedDict()
_guard = threading.Lock()
_locks: dict[Hashable, threading.Lock] = {}
computed: Counter[Hashable] = Counter()  # full computations per value name (tests: a write must not add one)
updated: Counter[Hashable] = Counter()  # incremental updates per value name
stale: Counter[Hashable] = Counter()  # requests served the previous state's value while another thread computed it
_reads = threading.local()  # (name, scope) of the values read in this thread while recording()
_asked: set[Hashable] = set()  # names of the values requests (not warm rounds) read since take_asked() last ran


def cached(
    snap: Snapshot,
    name: Hashable,
    compute: Callable[[], T],
    scope: str = "items",
    update: Callable[[T, set[str]], T] | None = None,
) -> T:
    """The value `name` for this snapshot's state: held, updated from the items changed since, or computed."""
    reads = getattr(_reads, "used", None)
    if reads is not None:
        reads.add((name, scope))
    if not getattr(_reads, "warming", False):
        _asked.add(name)
    key = snap.key(scope)
    with _guard:
        held = _values.get(name)
        if held is not None and held[0] == key:
            _values.move_to_end(name)
            return held[1]
        lock = _locks.setdefault(name, threading.Lock())
    # The previous value may stand in only within one build (same epoch): another build's ids need not exist.
    previous_ok = held is not None and held[0][0] == key[0] and not getattr(_reads, "warming", False)
    if not lock.acquire(timeout=STALE_WAIT if previous_ok else -1):
        stale[name] += 1
        return held[1]  # type: ignore[index]
    try:
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
    finally:
        lock.release()


@contextmanager
def recording(warming: bool = False) -> Iterator[set[tuple[Hashable, str]]]:
    """The (name, scope) of every value read in this thread within the block (what a page depends on); warming:
    the reads are a warm round's, not a request's (take_asked() does not count them)."""
    used: set[tuple[Hashable, str]] = set()
    outer, was = getattr(_reads, "used", None), getattr(_reads, "warming", False)
    _reads.used, _reads.warming = used, warming or was
    try:
        yield used
    finally:
        _reads.used, _reads.warming = outer, was
        if outer is not None:
            outer |= used


def take_asked() -> set[Hashable]:
    """The names of the values requests read since the last call (a warm round keeps warm what is in use)."""
    global _asked
    with _guard:
        out, _asked = _asked, set()
    return out


def fresh(snap: Snapshot, used: Iterable[tuple[Hashable, str]]) -> bool:
    """Every one of these values is held for this snapshot's state: a page that read only these computes nothing
    (a warm round skips it; issue 14: a note left the queue, monitoring and graph values as they were, yet every
    worker rendered every warm page again)."""
    with _guard:
        for name, scope in used:
            held = _values.get(name)
            if held is None or held[0] != snap.key(scope):
                return False
    return True


def clear() -> None:
    """Forget every value (tests that swap data dirs in one process)."""
    with _guard:
        _values.clear()
        _locks.clear()
        computed.clear()
        updated.clear()
        stale.clear()
        _asked.clear()
