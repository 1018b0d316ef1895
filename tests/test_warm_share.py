"""A background round shares the interpreter with requests (kb.serving.warm.sharing, settle_heap): a short GIL switch
interval and no full collection while it runs, the process's own settings after; then one collection and a freeze,
which frees the cycles already garbage and keeps what is still referenced."""

from __future__ import annotations

import gc
import sys
import weakref

import pytest

from kb.serving import warm


@pytest.mark.parametrize(
    ("before", "asked", "inside"),
    [
        (0.005, 0.0005, 0.0005),  # CPython's default: shortened for the round
        (0.0001, 0.0005, 0.0001),  # a process already switching faster keeps its interval
        (0.005, 0.005, 0.005),  # asked for the same: unchanged
    ],
)
def test_sharing_sets_and_restores(before: float, asked: float, inside: float) -> None:
    old_interval, old_threshold = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(before)
    try:
        with warm.sharing(asked):
            assert sys.getswitchinterval() == pytest.approx(inside, abs=5e-6)
            assert gc.get_threshold() == (*old_threshold[:2], warm.NO_FULL)
            with warm.sharing(asked):  # a second round at once: the first one's end restores nothing yet
                pass
            assert sys.getswitchinterval() == pytest.approx(inside, abs=5e-6)
            assert gc.get_threshold()[2] == warm.NO_FULL
        assert sys.getswitchinterval() == pytest.approx(before, abs=5e-6)
        assert gc.get_threshold() == old_threshold
    finally:
        sys.setswitchinterval(old_interval)


class _Node:
    """A weak-referenceable object that can be put in a reference cycle."""

    other: _Node | None = None


@pytest.mark.parametrize(
    ("referenced", "alive"),
    [
        (False, False),  # a cycle nothing references any more: collected, not frozen for ever
        (True, True),  # a cycle still referenced: kept (and frozen)
    ],
)
def test_settle_heap(referenced: bool, alive: bool) -> None:
    a, b = _Node(), _Node()
    a.other, b.other = b, a
    probe = weakref.ref(a)
    keep = [a] if referenced else []
    del a, b
    frozen = gc.get_freeze_count()
    try:
        warm.settle_heap()
        assert (probe() is not None) == alive
        assert gc.get_freeze_count() > frozen  # what survived is out of the collector's generations
    finally:
        gc.unfreeze()  # the rest of the test session collects as before
    assert len(keep) == referenced
