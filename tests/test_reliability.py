"""Crashes and concurrency: kill -9 of builds and monitoring imports, eight reviewers writing during rebuilds."""

from __future__ import annotations

import io
import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from kb_helpers import build_in_subprocess, live_kb_state, subprocess_env

from kb import paths

REPO = Path(__file__).resolve().parent.parent
PLAN = "yiyang-children-2021-2025"
QUERIES = ("儿童 心理健康", "出生缺陷", "市教育局 牵头", "留守儿童")
DURABLE_TABLES = ("reviews", "audit", "observations", "observation_log", "users")


_env, _run_build, live_kb = subprocess_env, build_in_subprocess, live_kb_state


def durable_state() -> dict:
    """Every row of the durable tables plus SQLite's own integrity verdict, read as a second process would."""
    conn = sqlite3.connect(f"file:{paths.reviews_db_path()}?mode=ro", uri=True, timeout=30)
    try:
        have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        state = {t: conn.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in DURABLE_TABLES if t in have}
        state["integrity"] = conn.execute("PRAGMA integrity_check").fetchone()[0]
        return state
    finally:
        conn.close()


def search_ids() -> dict[str, list[str]]:
    from kb.search import search

    return {q: [r["id"] for r in search(q, limit=20)["results"]] for q in QUERIES}


class Reader(threading.Thread):
    """A user who keeps searching and opening items through the web app while builds are killed around them."""

    def __init__(self, item: str):
        super().__init__(daemon=True)
        from webapp import create_app

        self.client = create_app({"TESTING": True, "SECRET_KEY": "reader-" + "k" * 40}).test_client()
        self.item, self.stop, self.requests, self.failures = item, threading.Event(), 0, []

    def run(self) -> None:
        urls = [f"/api/search?q={q}" for q in QUERIES] + [
            f"/api/items/{self.item}",
            f"/items/{self.item}",
            "/search?q=健康",
        ]
        while not self.stop.is_set():
            for url in urls:
                resp = self.client.get(url)
                self.requests += 1
                if resp.status_code != 200:
                    self.failures.append((url, resp.status_code, resp.get_data(as_text=True)[:200]))


def _kill_build(data: Path, rng: random.Random, mode: str) -> int:
    """Start `kb build` and SIGKILL it after a random delay, while writing the KB, or while writing the index."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "build", "--quiet", "--force"],
        cwd=REPO,
        env=_env(data),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if mode == "delay":
        time.sleep(rng.uniform(0.05, 1.5))  # mostly while analysing the plans
    else:
        want = (
            (lambda p: p.name.startswith(".tmp-"))
            if mode == "kb"
            else (lambda p: p.name.startswith(".tmp-") and (p / "index").exists())
        )
        deadline = time.monotonic() + 60
        while (
            proc.poll() is None
            and time.monotonic() < deadline
            and not any(want(p) for p in paths.builds_dir().iterdir())
        ):
            time.sleep(0.002)
        time.sleep(rng.uniform(0.0, 0.15 if mode == "kb" else 0.04))
    proc.send_signal(signal.SIGKILL)  # a no-op when the build already finished (then it went live whole)
    return proc.wait()


@pytest.mark.slow
def test_killed_builds_keep_kb_index_reviews_and_audit(kb_data, capsys):
    from kb import reviews
    from kb.monitoring import observations as obsdb
    from kb.monitoring import values as mvalues

    _run_build(kb_data)
    reviews.reject_assignment("health-m4", "市红十字会", "amy", "无关")
    reviews.add_note("health-m4", "复核 **重点**", "amy")
    lead = next(d["name"] for d in _item("health-m9")["departments"] if d["role"] == "lead")
    reviews.set_role("health-m9", lead, "co", "bob", "调整")
    index = obsdb.indicator_index()
    ind = next(iter(index.values()))
    obsdb.write(
        [
            mvalues.make_entry(
                ind,
                mvalues.years_of(ind)[-1],
                ind["value"] if ind.get("value") is not None else 1,
                unit=ind.get("unit"),
            )
        ],
        "amy",
        index,
    )
    before_state, before_search, (live, n_items, _ok) = durable_state(), search_ids(), live_kb()
    assert len(before_state["audit"]) >= 4 and all(before_search.values())
    reader = Reader(f"{PLAN}:health-m4")
    reader.start()
    rng, died = random.Random(20211124), 0
    modes = ("kb", "delay", "index", "delay", "kb", "index", "delay", "index")
    try:
        for mode in modes:
            code = _kill_build(kb_data, rng, mode)
            now_live, now_items, ok = live_kb()
            assert ok == "ok" and now_items == n_items  # the old build or a complete new one
            # A build that finished, or was killed after its swap, is live and whole; count only the real deaths
            # (subtracting every swap from the kills also subtracted the builds that finished before their kill).
            died += code == -signal.SIGKILL and now_live == live
            live = now_live
            assert (live / "index").is_dir() and search_ids() == before_search  # the index serves the same answers
            assert durable_state() == before_state  # no review, audit entry or observation lost
            it = _item("health-m4")
            assert "市红十字会" not in {d["name"] for d in it["departments"]}
            assert [n["body"] for n in it["notes"]] == ["复核 **重点**"]
    finally:
        reader.stop.set()
        reader.join(timeout=60)
    assert died >= 3  # several runs really died before going live
    assert reader.requests > 50 and reader.failures == []  # and users saw no error meanwhile
    _run_build(kb_data)
    assert not [p for p in paths.builds_dir().iterdir() if p.name.startswith(".tmp-")]
    assert live_kb()[1:] == (n_items, "ok") and search_ids() == before_search and durable_state() == before_state
    with capsys.disabled():
        print(
            f"\ncrash injection (build): {len(modes)} builds SIGKILLed ({died} before going live), "
            f"reader made {reader.requests} requests, 0 failures"
        )


def _item(local: str) -> dict:
    """The item as users see it: the live build in the reviewed state (the store alone holds inferred tags only)."""
    from kb.reviews import reviewed_item

    return reviewed_item(f"{PLAN}:{local}")


# -- monitoring import ------------------------------------------------------------------------------
IMPORT_HOOK = r"""
import sys, time
from pathlib import Path
from kb.monitoring import workbook as monitoring_io
from kb.monitoring import observations
marker, after = Path(sys.argv[2]), int(sys.argv[3])
real, seen = observations._apply, [0]
def slow_apply(*args, **kwargs):
    real(*args, **kwargs)
    seen[0] += 1
    if seen[0] == after:
        marker.write_text("mid-transaction")   # rows are written but not committed when the kill lands
    time.sleep(0.01)
observations._apply = slow_apply
monitoring_io.import_file(Path(sys.argv[1]).read_bytes(), "crash-test")
"""


def _filled_template() -> tuple[bytes, int]:
    """The monitoring template with a plausible value in every cell an indicator can take; (xlsx, cells)."""
    from openpyxl import load_workbook

    from kb.monitoring import observations as obsdb
    from kb.monitoring import values as mvalues
    from kb.monitoring import workbook as mio

    index = obsdb.indicator_index()
    wb = load_workbook(io.BytesIO(mio.template(index, {})))
    ws = wb[mio.SHEET]
    head = [c.value for c in ws[1]]
    cells = 0
    for row in ws.iter_rows(min_row=2):
        ind = index.get(row[0].value)
        if ind is None or ind.get("value") is None:
            continue
        for year in mvalues.years_of(ind):
            value = float(ind["value"])
            try:
                mvalues.make_entry(ind, year, value, unit=ind.get("unit"))
            except obsdb.ObservationError:
                continue
            row[head.index(str(year))].value = value
            cells += 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), cells


@pytest.mark.slow
def test_killed_monitoring_import_changes_nothing(mon_kb, tmp_path, capsys):
    from kb import reviews

    xlsx, cells = _filled_template()
    assert cells >= 30
    upload = tmp_path / "filled.xlsx"
    upload.write_bytes(xlsx)
    reviews.add_note("health-m1", "导入前的备注", "amy")
    before = durable_state()
    env, injected = _env(mon_kb), 0
    for after in (1, cells // 3, cells - 2):  # killed with 1, a third, nearly all rows written
        marker = tmp_path / f"marker-{after}"
        proc = subprocess.Popen(
            [sys.executable, "-c", IMPORT_HOOK, str(upload), str(marker), str(after)],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        while not marker.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.002)
        assert marker.exists(), proc.stderr.read().decode()[-2000:] if proc.poll() is not None else "no marker"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait() == -signal.SIGKILL
        proc.stderr.close()
        injected += 1
        assert durable_state() == before  # the open transaction vanished whole
    rng, cli_done = random.Random(7), 0
    for _ in range(4):  # the real CLI, killed at a random moment
        proc = subprocess.Popen(
            [sys.executable, "-m", "kb", "monitor", "import", str(upload), "--by", "cli"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(rng.uniform(0.1, 0.9))
        proc.send_signal(signal.SIGKILL)
        proc.wait()  # the exit code says nothing: a kill can land after the commit, before the process exits
        injected += 1
        state = durable_state()
        if state != before:  # then the whole import landed, never a part of it
            assert len(state["observations"]) == cells and state["integrity"] == "ok"
            assert state["reviews"] == before["reviews"] and state["audit"][: len(before["audit"])] == before["audit"]
            before, cli_done = state, cli_done + 1
    from kb.monitoring import workbook as mio

    counts = mio.import_file(xlsx, "final")  # nothing left locked; the import then lands whole
    after_state = durable_state()
    assert counts["set"] == (0 if cli_done else cells)  # an already-imported file changes nothing
    assert len(after_state["observations"]) == cells and after_state["integrity"] == "ok"
    assert after_state["reviews"] == before["reviews"]
    assert after_state["audit"][: len(before["audit"])] == before["audit"]
    with capsys.disabled():
        print(
            f"\ncrash injection (monitoring import): {injected} imports SIGKILLed ({injected - cli_done} before "
            f"committing), 0 partial writes"
        )


# -- eight reviewers and rebuilds at once -----------------------------------------------------------
REVIEWERS, WRITES_EACH = 8, 16
PASSWORD = "concurrent-pass-42"


def _sign_in(client, name: str) -> str:
    token = client.get("/api/session").get_json()["csrf_token"]
    resp = client.post("/api/login", json={"name": name, "password": PASSWORD}, headers={"X-CSRF-Token": token})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return resp.get_json()["csrf_token"]


@pytest.mark.slow
def test_eight_reviewers_and_rebuilds_lose_nothing(kb_data, capsys):
    from kb import reviews
    from kb.reviews.core import UNCHANGED
    from kb.store.users import add_user
    from webapp import create_app

    _run_build(kb_data)
    first_live = paths.current_build()
    role_item = f"{PLAN}:health-m9"
    dept = next(d["name"] for d in _item("health-m9")["departments"])
    note_items = [f"{PLAN}:health-m1", f"{PLAN}:education-m2", f"{PLAN}:safety-m3"]
    app = create_app({"TESTING": True})
    clients = []
    for n in range(REVIEWERS):
        add_user(f"reviewer{n}", PASSWORD)
        c = app.test_client()
        clients.append((f"reviewer{n}", c, _sign_in(c, f"reviewer{n}")))
    go, results, problems, building = threading.Barrier(REVIEWERS + 1), {}, [], threading.Event()
    building.set()

    def reviewer(name, client, token):
        go.wait()
        mine, i = [], 0
        while i < WRITES_EACH or (building.is_set() and i < 40 * WRITES_EACH):  # keep writing until builds end
            if i % 2:
                body = {"action": "assignment.role", "department": dept, "role": ("lead", "co")[i % 4 == 1]}
                url = f"/api/items/{role_item}/review"
            else:
                body = {"action": "note.add", "body": f"{name}-{i}", "reason": "并发"}
                url = f"/api/items/{note_items[i % 3]}/review"
            resp = client.post(url, json=body, headers={"X-CSRF-Token": token})
            for _ in range(100):  # the role another reviewer just set is refused as no change: set the other
                if resp.status_code != 422 or resp.get_json()["error"] != UNCHANGED:
                    break
                body["role"] = "co" if body["role"] == "lead" else "lead"
                resp = client.post(url, json=body, headers={"X-CSRF-Token": token})
            text = resp.get_data(as_text=True)
            if resp.status_code != 200 or "locked" in text:
                problems.append((name, i, resp.status_code, text[:300]))
            else:
                mine.append(resp.get_json()["audit_id"])
            i += 1
        results[name] = (i, mine)

    def rebuilds():
        go.wait()
        try:
            for _ in range(2):
                _run_build(kb_data)
        finally:
            building.clear()

    threads = [threading.Thread(target=reviewer, args=c) for c in clients]
    builder = threading.Thread(target=_guard, args=(rebuilds, problems))
    for t in (*threads, builder):
        t.start()
    for t in (*threads, builder):
        t.join(timeout=600)
    assert problems == []  # every write accepted, nobody saw "locked"
    assert paths.current_build() != first_live  # the rebuilds went live during the writes
    ids = [a for _n, v in results.values() for a in v]
    writes = sum(n for n, _v in results.values())
    assert len(ids) == len(set(ids)) == writes >= REVIEWERS * WRITES_EACH
    log = reviews.audit_log()
    assert {e["id"] for e in log} >= set(ids)
    by_id = sorted(log, key=lambda e: e["id"])
    assert [e["at"] for e in by_id] == sorted(e["at"] for e in by_id)  # the log's order is the order of commits
    notes = {n["body"] for local in ("health-m1", "education-m2", "safety-m3") for n in _item(local)["notes"]}
    assert notes == {f"{name}-{i}" for name, (n, _v) in results.items() for i in range(0, n, 2)}
    roles = [e for e in by_id if e["action"] == "assignment.role"]
    assert len(roles) == sum(n // 2 for n, _v in results.values())
    for prev, nxt in itertools.pairwise(roles):
        assert nxt["before"] == prev["after"]  # each change saw the one before it
    final = {d["name"]: d["role"] for d in _item("health-m9")["departments"]}
    assert final[dept] == roles[-1]["after"]["role"]
    with capsys.disabled():
        print(
            f"\nconcurrency: {REVIEWERS} reviewers wrote {len(ids)} changes during 2 rebuilds, "
            f"all present, audit ordered, 0 failures"
        )


def _guard(fn, problems: list) -> None:
    try:
        fn()
    except BaseException as exc:  # reported in the main thread's assertion
        problems.append(("rebuild", repr(exc)))


# -- the backup procedure SECURITY.md documents -----------------------------------------------------
BACKUP = "python -m kb backup -o"


def test_online_backup_while_writing_restores_everything_committed(mon_kb, tmp_path, monkeypatch):
    from kb import reviews

    assert BACKUP in (REPO / "SECURITY.md").read_text(encoding="utf-8")
    reviews.add_note("health-m1", "备份前", "amy")
    stop, written = threading.Event(), []

    def writer():
        while not stop.is_set():
            written.append(reviews.add_note("health-m2", f"写入中 {len(written)}", "bob")[1])

    t = threading.Thread(target=writer)
    t.start()
    try:
        time.sleep(0.3)
        backup = tmp_path / "backup.sqlite"
        subprocess.run([sys.executable, "-m", "kb", "backup", "-o", str(backup)], check=True, timeout=60, cwd=REPO)
    finally:
        stop.set()
        t.join()
    live_audit = durable_state()["audit"]
    restored = tmp_path / "restored"
    restored.mkdir()
    (restored / "current").symlink_to(paths.current_build())
    monkeypatch.setenv("KB_DATA_DIR", str(restored))
    subprocess.run([sys.executable, "-m", "kb", "restore", str(backup)], check=True, timeout=60, cwd=REPO)
    state = durable_state()
    assert state["integrity"] == "ok" and 1 < len(state["audit"]) <= len(live_audit)
    assert state["audit"] == live_audit[: len(state["audit"])]  # a consistent snapshot: a prefix of the log
    notes = {n["body"] for n in _item("health-m2")["notes"]}
    assert len(notes) == len(state["audit"]) - 1 and "备份前" in {n["body"] for n in _item("health-m1")["notes"]}
