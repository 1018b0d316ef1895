"""A `python -m kb build` killed with SIGKILL at random points leaves the old KB serving and reviews intact."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from kb_helpers import build_in_subprocess, live_kb_state, subprocess_env

from kb import paths, reviews

REPO = Path(__file__).resolve().parent.parent
RUNS = 6


_env, _build, _snapshot = subprocess_env, build_in_subprocess, live_kb_state


def _kill_at_random_point(data: Path, rng: random.Random, mode: str) -> int:
    """Start a build and SIGKILL it: after a random delay, or a random moment after its new folder appears."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "build", "--quiet", "--force"],
        cwd=REPO,
        env=_env(data),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if mode == "delay":
        time.sleep(rng.uniform(0.05, 1.5))
    else:
        deadline = time.monotonic() + 30
        while (
            proc.poll() is None
            and time.monotonic() < deadline
            and not any(p.name.startswith(".tmp-") for p in paths.builds_dir().iterdir())
        ):
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.15))
    os.kill(proc.pid, signal.SIGKILL)
    return proc.wait()


@pytest.mark.slow  # crash injection: six real builds killed mid-way (test_reliability kills more, also slow)
def test_killed_builds_leave_old_kb_and_reviews(kb_data):
    _build(kb_data)
    live, n_items, ok = _snapshot()
    assert ok == "ok" and n_items > 100
    reviews.reject_assignment("health-m4", "市红十字会", "amy", "无关")
    reviews.add_note("health-m4", "复核", "amy")
    reviews_before = reviews.export_reviews()["reviews"]
    rng = random.Random(20211124)
    killed = 0
    for run in range(RUNS):
        code = _kill_at_random_point(kb_data, rng, "delay" if run % 2 else "during-write")
        killed += code == -signal.SIGKILL
        now_live, now_items, now_ok = _snapshot()
        assert now_ok == "ok" and now_items == n_items  # old build, or a complete new one, never half of one
        # A kill that lands after the new build went live (the swap is one rename) leaves that complete build:
        # whatever is live is the old build or a finished one under its final name, never a .tmp- folder.
        assert now_live == live or (now_live.parent == paths.builds_dir() and not now_live.name.startswith(".tmp-"))
        live = now_live
        assert reviews.export_reviews()["reviews"] == reviews_before
        it = reviews.reviewed_item("yiyang-children-2021-2025:health-m4")
        assert "市红十字会" not in {d["name"] for d in it["departments"]} and it["notes"][0]["body"] == "复核"
    assert killed >= RUNS // 2  # most runs really were cut short
    _build(kb_data)  # the next build cleans up and goes live
    assert not [p for p in paths.builds_dir().iterdir() if p.name.startswith(".tmp-")]
    assert _snapshot()[1:] == (n_items, "ok") and paths.current_build() != live
