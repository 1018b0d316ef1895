"""The load bench's in-process runs (bench/load_bench.py): reviews seeded, then searches and item pages timed per
data dir (wall and CPU), and an item page right after each kind of review."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

QUERIES = [
    "儿童 心理健康",
    "出生缺陷",
    "校园欺凌",
    "市教育局 牵头",
    "留守儿童",
    "控辍保学",
    "入园率",
    "卫健委",
    "家庭教育 妇联",
    "溺水",
    '"心理健康"',
    "儿童友好",
    "新生儿死亡率",
    "法律援助",
    "营养 改善",
]


def seed_reviews(n: int, spare: frozenset[str] = frozenset()) -> None:
    """Store n reviews (notes and department confirmations over every item but `spare`), audited, in one
    transaction."""
    from kb.reviews.anchoring import item_anchor
    from kb.reviews.audit import now, transaction, write_change
    from kb.reviews.markup import render_note
    from kb.store import KB

    with KB() as kb:
        items = [it for it in kb.items() if it["id"] not in spare]
    html = render_note("批量备注")

    def run(conn) -> None:
        for k in range(n):
            it = items[k % len(items)]
            dept = it["departments"][0]["name"] if it["departments"] and k % 3 == 0 else None
            stamp = now()
            row = {
                "kind": "assignment" if dept else "note",
                "plan": it["plan"],
                "item": it["id"],
                "target": dept or f"bench{k}",
                "decision": "accept" if dept else "note",
                "role": it["departments"][0]["role"] if dept else None,
                "body": None if dept else f"批量备注 {k}",
                "body_html": None if dept else html,
                "anchor": json.dumps(item_anchor(it), ensure_ascii=False),
                "actor": "bench",
                "reason": "",
                "created_at": stamp,
                "updated_at": stamp,
            }
            if (
                dept
                and conn.execute(
                    "SELECT 1 FROM reviews WHERE kind = 'assignment' AND item = ? AND target = ?", (it["id"], dept)
                ).fetchone()
            ):
                row = {
                    **row,
                    "kind": "note",
                    "target": f"bench{k}",
                    "decision": "note",
                    "role": None,
                    "body": f"批量备注 {k}",
                    "body_html": html,
                }
            write_change(conn, "bench", None, row, "bench", "")

    transaction(run)


def _timed(fn) -> tuple[float, float]:
    """(wall ms, CPU ms of this process) of one call: CPU time moves little with other load on the machine."""
    t, c = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000


def _medians(times: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(t for t, _c in times), statistics.median(c for _t, c in times)


SEARCHER = """
import json, os, sys, time
sys.path.insert(0, sys.argv[1])
from kb.search import search
queries = json.loads(sys.argv[2])
for q in queries:
    search(q)
print("ready", flush=True)
for line in sys.stdin:
    q = queries[int(line)]
    t, c = time.perf_counter(), time.process_time()
    search(q)
    print((time.perf_counter() - t) * 1000, (time.process_time() - c) * 1000, flush=True)
"""


def search_pairs(dirs: dict[str, Path], rounds: int = 8) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) ms of in-process searches over QUERIES in each data dir: one process per dir (each holds
    its own reviewed state), both warmed up, then each query asked of both in turn (ABBA order), so the machine's
    drift and other load hit both alike; CPU is each process's own."""
    procs = {
        name: subprocess.Popen(
            [sys.executable, "-c", SEARCHER, str(REPO), json.dumps(QUERIES, ensure_ascii=False)],
            env={**os.environ, "KB_DATA_DIR": str(d)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for name, d in dirs.items()
    }
    try:
        for p in procs.values():
            assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in dirs}
        names = list(dirs)
        for r in range(rounds):
            for k in range(len(QUERIES)):
                for name in names if (r + k) % 2 == 0 else names[::-1]:
                    p = procs[name]
                    assert p.stdin is not None and p.stdout is not None
                    p.stdin.write(f"{k}\n")
                    p.stdin.flush()
                    wall, cpu = p.stdout.readline().split()
                    times[name].append((float(wall), float(cpu)))
        return {name: _medians(ts) for name, ts in times.items()}
    finally:
        for p in procs.values():
            assert p.stdin is not None
            p.stdin.close()
            p.wait(timeout=30)


def item_page_p50(
    dirs: dict[str, Path], urls: dict[str, list[str]], rounds: int = 3
) -> dict[tuple[str, str], tuple[float, float]]:
    """Median (wall, CPU) ms of in-process item pages (Flask test client) per (data dir, group of URLs), measured
    alternately after a warm-up pass in each dir (the first request after a switch loads that dir's reviews)."""
    from webapp import create_app

    client = create_app({"TESTING": True}).test_client()
    times: dict[tuple[str, str], list[tuple[float, float]]] = {(d, g): [] for d in dirs for g in urls}
    for _ in range(rounds):
        for name, d in dirs.items():
            os.environ["KB_DATA_DIR"] = str(d)
            for group in urls.values():
                for u in group:
                    assert client.get(u).status_code == 200, u
            for group, us in urls.items():
                times[(name, group)] += [_timed(lambda u=u: client.get(u)) for u in us]
    return {k: _medians(ts) for k, ts in times.items()}


def after_write_cpu(urls: list[str], goals: list[str], rounds: int = 12) -> dict[str, float]:
    """Median CPU ms (this process) of an item page: steady, and right after a note, a department review or a
    link review by another item's reviewer: what one write costs every worker on its next read (in-process, so
    other load on the machine changes it little)."""
    from kb import reviews
    from webapp import create_app

    client = create_app({"TESTING": True}).test_client()
    ids = [urllib.parse.unquote(u.removeprefix("/items/")) for u in urls]
    for u in urls:
        assert client.get(u).status_code == 200, u

    def page(u: str) -> float:
        t = time.process_time()
        assert client.get(u).status_code == 200, u
        return (time.process_time() - t) * 1000

    out = {"steady": statistics.median(page(u) for _ in range(2) for u in urls)}
    writes = {
        "note": lambda k: reviews.add_note(ids[k % len(ids)], f"批注 {k}", "bench"),
        "department": lambda k: reviews.add_assignment(ids[k % len(ids)], "市外事办", "bench", role="co"),
        "link": lambda k: reviews.add_link(ids[k % len(ids)], goals[k % len(goals)], "bench"),
    }
    for kind, write in writes.items():
        times = []
        for k in range(rounds):
            try:
                write(k)
            except reviews.ReviewError:
                continue  # already so (a goal the measure serves): no write, no measure
            times.append(page(urls[(k + 1) % len(urls)]))
        out[kind] = statistics.median(times)
    return out
