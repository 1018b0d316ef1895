"""Eight concurrent review writers (threads and processes) on a fresh reviews DB: nothing lost, never 'locked'."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from review_helpers import build_mini, item

from kb import paths, reviews

PER_WRITER = 12
WRITER = r"""
import json, sys, time
from pathlib import Path
from kb import reviews
name, go, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
while not go.exists():
    time.sleep(0.002)
ids = []
for i in range(n):
    ids.append(reviews.add_note("health-m1", f"{name}-{i}", name)[1])
    for k in range(i, i + 100):  # the role another writer just set is refused as no change: take the other
        try:
            ids.append(reviews.set_role("health-m3", "市教育局", ("lead", "co")[k % 2], name))
            break
        except reviews.Unchanged:
            continue
print(json.dumps(ids))
"""


def _set_role(i: int, name: str) -> int:
    """Set 市教育局's role, alternating; the role another writer just set is refused as no change: take the other."""
    for k in range(i, i + 100):
        try:
            return reviews.set_role("health-m3", "市教育局", ("lead", "co")[k % 2], name)
        except reviews.Unchanged:
            continue
    raise AssertionError("every role write was refused as unchanged")


def _work(name: str, go: threading.Event, out: dict) -> None:
    go.wait()
    try:
        ids = []
        for i in range(PER_WRITER):
            ids.append(reviews.add_note("health-m1", f"{name}-{i}", name)[1])
            ids.append(_set_role(i, name))
        out[name] = ids
    except Exception as exc:  # reported below with the writer's name
        out[name] = exc


@pytest.mark.slow
@pytest.mark.parametrize("threads,processes", [(4, 4), (8, 0), (0, 8)])
def test_concurrent_writers_lose_nothing(kb_data, monkeypatch, tmp_path, threads, processes):
    build_mini(monkeypatch, kb_data)
    assert not paths.reviews_db_path().exists()  # writers also race to create and migrate it
    go_file = tmp_path / "go"
    repo = Path(__file__).resolve().parent.parent
    env = {**os.environ, "KB_DATA_DIR": str(kb_data), "PYTHONPATH": str(repo)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, f"p{n}", str(go_file), str(PER_WRITER)],
            cwd=repo,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]
    go, out = threading.Event(), {}
    workers = [threading.Thread(target=_work, args=(f"t{n}", go, out)) for n in range(threads)]
    for w in workers:
        w.start()
    go_file.touch()
    go.set()
    for w in workers:
        w.join()
    for n, p in enumerate(procs):
        stdout, stderr = p.communicate(timeout=300)
        assert p.returncode == 0 and "locked" not in stderr, stderr
        out[f"p{n}"] = json.loads(stdout)
    errors = {k: v for k, v in out.items() if isinstance(v, Exception)}
    assert not errors
    ids = [i for v in out.values() for i in v]
    writers = threads + processes
    assert len(ids) == len(set(ids)) == writers * PER_WRITER * 2
    log = reviews.audit_log()
    assert sorted(e["id"] for e in log) == sorted(ids)
    notes = item("health-m1")["notes"]
    assert sorted(n["body"] for n in notes) == sorted(f"{w}-{i}" for w in out for i in range(PER_WRITER))
    role_changes = [e for e in log if e["action"] == "assignment.role"]
    last = max(role_changes, key=lambda e: e["id"])
    [row] = [r for r in reviews.list_reviews(kind="assignment")]
    assert row["role"] == last["after"]["role"]  # the state is the last change in the log
    ordered = sorted(role_changes, key=lambda e: e["id"])
    for prev, nxt in itertools.pairwise(ordered):
        assert nxt["before"] == prev["after"]  # each change saw the one before it: none lost
