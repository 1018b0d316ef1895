"""A request never waits on another thread's whole computation of a value whose previous state it holds
(kb.reviews.statecache.STALE_WAIT): it is served that value; with nothing held, in a warm round, or across
builds it waits for the new one."""

from __future__ import annotations

import threading

import pytest

from kb.reviews import statecache


class _Snap:
    """The part of a Snapshot statecache reads: its key per scope."""

    def __init__(self, epoch: int, version: int):
        self.epoch, self.version = epoch, version

    def key(self, scope: str = "items") -> tuple:
        return (self.epoch, self.version, "")

    def tags_changed_since(self, tags_version: int) -> set[str] | None:
        return None


@pytest.mark.parametrize(
    ("held", "epoch", "warming", "expected"),
    [
        (True, 1, False, "old"),  # the previous state's value, same build: served while the other thread computes
        (False, 1, False, "new"),  # nothing held: wait for the value
        (True, 2, False, "new"),  # held from another build: its ids need not exist, wait
        (True, 1, True, "new"),  # a warm round's read waits: it brings the value up to date
    ],
)
def test_request_during_computation(monkeypatch, held: bool, epoch: int, warming: bool, expected: str) -> None:
    statecache.clear()
    monkeypatch.setattr(statecache, "STALE_WAIT", 0.05)
    if held:
        statecache.cached(_Snap(1, 1), "v", lambda: "old")
    started, release = threading.Event(), threading.Event()

    def slow() -> str:
        started.set()
        release.wait(5)
        return "new"

    other = threading.Thread(target=lambda: statecache.cached(_Snap(epoch, 2), "v", slow))
    other.start()
    assert started.wait(5)
    out: list[str] = []

    def ask() -> None:
        with statecache.recording(warming=warming):
            out.append(statecache.cached(_Snap(epoch, 2), "v", lambda: "again"))

    asker = threading.Thread(target=ask)
    asker.start()
    if expected == "old":
        asker.join(5)  # answered while the other thread still computes (it has not been released)
    release.set()  # the others wait for it (or, started late, find the new value held)
    other.join(5)
    asker.join(5)
    assert out == [expected]
    assert statecache.stale["v"] == (expected == "old")
    statecache.clear()
