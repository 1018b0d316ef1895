"""SQLite (embedded default) beside PostgreSQL in the same run: review writes, searches with the reviewed state while
reviews arrive, the derived KB read path, and publishing a build into PostgreSQL (new schema + swap).

    .venv/bin/python bench/pg_bench.py [--writes 200] [--searches 100]

Starts its own throw-away PostgreSQL (tests/pg/server.py: initdb in /tmp, free loopback port, stopped by PID) with
the test settings (fsync off), so PostgreSQL figures are an upper bound for a tuned server with durable storage.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

QUERIES = ["儿童健康", "校园欺凌", "谁负责儿童近视", "留守儿童", "托育服务", "孩子 营养", "心理健康教育", "出生缺陷"]


def pct(xs: list[float], p: float) -> float:
    """The p-th percentile in milliseconds."""
    xs = sorted(xs)
    return 1000 * xs[min(len(xs) - 1, int(p * len(xs)))]


def run_engine(name: str, writes: int, searches: int, items: list[str]) -> dict[str, float]:
    """Review writes and searches on the engine KB_DATABASE_URL selects now."""
    from kb import reviews
    from kb.reviews import snapshot
    from kb.search import search

    snapshot.reset()
    w = []
    for i in range(writes):
        t = time.perf_counter()
        reviews.add_note(items[i % len(items)], f"bench {name} {i}", "bench")
        w.append(time.perf_counter() - t)
    s, mixed = [], []
    for i in range(searches):
        t = time.perf_counter()
        search(QUERIES[i % len(QUERIES)])
        s.append(time.perf_counter() - t)
    for i in range(searches):  # a review lands before each search: the snapshot catches up with it
        reviews.add_note(items[i % len(items)], f"bench mixed {name} {i}", "bench")
        t = time.perf_counter()
        search(QUERIES[i % len(QUERIES)])
        mixed.append(time.perf_counter() - t)
    return {
        "write p50": pct(w, 0.5),
        "write p95": pct(w, 0.95),
        "search p50": pct(s, 0.5),
        "search p95": pct(s, 0.95),
        "search after a review p50": pct(mixed, 0.5),
        "search after a review p95": pct(mixed, 0.95),
    }


def kb_read(conn_factory, rounds: int = 5) -> float:
    """Median seconds to read every item with its tags through store.KB."""
    from kb.store import KB

    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        with KB(conn_factory()) as kb:
            kb.items()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--writes", type=int, default=200)
    ap.add_argument("--searches", type=int, default=100)
    args = ap.parse_args()
    from pg import server as pgserver

    data = Path(tempfile.mkdtemp(prefix="kb-pgbench-"))
    os.environ["KB_DATA_DIR"] = str(data)
    os.environ.pop("KB_DATABASE_URL", None)
    from kb import paths
    from kb.build import build

    t = time.perf_counter()
    build()
    build_s = time.perf_counter() - t
    from kb.store import KB

    with KB() as kb:
        items = [it["id"] for it in kb.items()][:50]
    srv = pgserver.start_server()
    try:
        import psycopg

        with psycopg.connect(srv.url(), autocommit=True) as c:
            c.execute("CREATE DATABASE bench")
        url = srv.url("bench")
        rows = {"sqlite": run_engine("sqlite", args.writes, args.searches, items)}
        os.environ["KB_DATABASE_URL"] = url
        rows["postgresql"] = run_engine("postgresql", args.writes, args.searches, items)
        from kb.store import pgkb
        from kb.store.db import connect

        db = paths.kb_db_path()
        t = time.perf_counter()
        pgkb.publish(db, url)
        publish_s = time.perf_counter() - t
        rows["sqlite"]["KB items() read ms"] = 1000 * kb_read(lambda: connect(db, readonly=True))
        rows["postgresql"]["KB items() read ms"] = 1000 * kb_read(lambda: pgkb.connect(url))
    finally:
        pgserver.remove(srv)
    print(f"build (SQLite + whoosh, 1x default plan): {build_s:.1f} s; publish into PostgreSQL: {publish_s:.2f} s")
    print(f"{'':32} {'sqlite':>10} {'postgresql':>11} {'pg/sqlite':>10}")
    for key in rows["sqlite"]:
        a, b = rows["sqlite"][key], rows["postgresql"][key]
        print(f"{key + (' ms' if 'ms' not in key else ''):32} {a:10.2f} {b:11.2f} {b / a if a else float('nan'):10.2f}")
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
