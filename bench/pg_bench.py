"""The default engines (SQLite store, build folder's search index) beside PostgreSQL (KB_DATABASE_URL, and
KB_SEARCH_ENGINE=pg for search) in the same run: nDCG@10 per query kind, search latency and build/publish time at
each scale, review writes and searches while reviews arrive, the derived KB read path.

    .venv/bin/python bench/pg_bench.py [--src DATA_DIR] [--scales 1,100] [--writes 100] [--searches 50]

--src: a data dir with a live build of the default plan (else one is built now into a temp dir). Scales come from
bench/search_bench.py's preparation: the KB replicated with distinct ids, the 1× index built by whoosh (its time is
the default engine's index build), larger indexes tiled from the 1× arrays (bench/tile_index.py; their build is
not run here, said in the output). PostgreSQL's build time is the publish: the KB and its search index copied into
a new schema and swapped in (kb.store.pgkb). nDCG@10 is scored by /work/shared/eval/score.py's own score_search
against two `kb serve` processes, one per engine. Starts its own throw-away PostgreSQL (tests/pg/server.py: initdb
in /tmp, free loopback port, fsync off, stopped by PID), so its figures are an upper bound for a tuned server.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "bench")]

REVIEW_QUERIES = [
    "儿童健康",
    "校园欺凌",
    "谁负责儿童近视",
    "留守儿童",
    "托育服务",
    "孩子 营养",
    "心理健康教育",
    "出生缺陷",
]
SCORE = Path("/work/shared/eval/score.py")
QUERY_SETS = {"typed": REPO / "bench" / "typed_queries", "dev": SCORE.parent / "gold-dev"}


def pct(xs: list[float], p: float) -> float:
    """The p-th percentile in milliseconds."""
    xs = sorted(xs)
    return 1000 * xs[min(len(xs) - 1, int(p * len(xs)))]


def use(engine: str, url: str | None) -> None:
    """Point this process at one engine: 'sqlite' (embedded default) or 'postgresql' (store and search at url)."""
    from kb.reviews import snapshot

    for k in ("KB_DATABASE_URL", "KB_SEARCH_ENGINE"):
        os.environ.pop(k, None)
    if engine == "postgresql" and url:
        os.environ["KB_DATABASE_URL"], os.environ["KB_SEARCH_ENGINE"] = url, "pg"
    snapshot.reset()


def reviews_run(name: str, writes: int, searches: int, items: list[str]) -> dict[str, float]:
    """Review writes, then searches, then searches each after a review, on the engine set now."""
    from kb import reviews
    from kb.search import search

    w, s, mixed = [], [], []
    for i in range(writes):
        t = time.perf_counter()
        reviews.add_note(items[i % len(items)], f"bench {name} {i}", "bench")
        w.append(time.perf_counter() - t)
    for i in range(searches):
        t = time.perf_counter()
        search(REVIEW_QUERIES[i % len(REVIEW_QUERIES)])
        s.append(time.perf_counter() - t)
    for i in range(searches):  # a review lands before each search: the snapshot catches up with it
        reviews.add_note(items[i % len(items)], f"bench mixed {name} {i}", "bench")
        t = time.perf_counter()
        search(REVIEW_QUERIES[i % len(REVIEW_QUERIES)])
        mixed.append(time.perf_counter() - t)
    return {
        "write p50": pct(w, 0.5),
        "write p95": pct(w, 0.95),
        "search p50": pct(s, 0.5),
        "search p95": pct(s, 0.95),
        "search after a review p50": pct(mixed, 0.5),
        "search after a review p95": pct(mixed, 0.95),
    }


def latency(rounds: int) -> dict[str, float]:
    """p50/p95 of kb.search.search over search_bench's query list (one warming pass first), on the engine set now."""
    from search_bench import QUERIES

    from kb.search import search

    for q in QUERIES:
        search(q)
    times = []
    for _ in range(rounds):
        for q in QUERIES:
            t = time.perf_counter()
            search(q)
            times.append(time.perf_counter() - t)
    return {"p50": pct(times, 0.5), "p95": pct(times, 0.95), "n": len(times)}


def ndcg(data: Path, url: str, logs: Path) -> dict[str, dict[str, dict]]:
    """score.py's per-kind nDCG@10 and recall@5 of each query set, from a `kb serve` per engine over data."""
    from pg.appservers import app_server

    spec = importlib.util.spec_from_file_location("eval_score", SCORE)
    assert spec and spec.loader
    score = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(score)
    out: dict[str, dict[str, dict]] = {}
    env = {k: v for k, v in os.environ.items() if k not in ("KB_DATABASE_URL", "KB_SEARCH_ENGINE")}
    for engine, extra in (("default", {}), ("postgresql", {"KB_SEARCH_ENGINE": "pg"})):
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            db_url = url if engine == "postgresql" else ""
            with app_server(data, db_url, logs / f"ndcg-{engine}.log", env=extra) as base:
                for name, folder in QUERY_SETS.items():
                    report: dict = {}
                    queries = json.loads((folder / "queries.gold.json").read_text(encoding="utf-8"))
                    score.score_search(base + "/api/search", queries, report)
                    out.setdefault(name, {})[engine] = report["search"]
        finally:
            os.environ.clear()
            os.environ.update(saved)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--src", type=Path, help="a data dir with a live build (else the default plan is built now)")
    ap.add_argument("--scales", default="1,100")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--writes", type=int, default=100)
    ap.add_argument("--searches", type=int, default=50)
    ap.add_argument("--keep", type=Path, help="keep (and reuse) the prepared scales here")
    args = ap.parse_args()
    from pg import server as pgserver
    from search_bench import prepare

    load0 = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="kb-pgbench-"))
    src = args.src
    build_s = None
    if src is None:
        src = work / "src"
        os.environ["KB_DATA_DIR"] = str(src)
        os.environ.pop("KB_DATABASE_URL", None)
        from kb.build import build

        t = time.perf_counter()
        build()
        build_s = time.perf_counter() - t
    src_db = (src / "current").resolve() / "kb.sqlite"
    srv = pgserver.start_server()
    try:
        import psycopg

        def database(name: str) -> str:
            with psycopg.connect(srv.url(), autocommit=True) as c:
                c.execute(f"CREATE DATABASE {name}")
            return srv.url(name)

        from kb.store import pgkb

        # 1. nDCG@10 per kind, by score.py against one server per engine over the same build
        review_data = work / "reviews"
        review_data.mkdir()
        (review_data / "current").symlink_to((src / "current").resolve(), target_is_directory=True)
        url = database("reviews")
        pgkb.publish(src_db, url)
        quality = ndcg(review_data, url, work)
        # 2. reviews arriving while searching (1x), each engine's store and search
        os.environ["KB_DATA_DIR"] = str(review_data)
        use("sqlite", None)
        from kb.store import KB

        with KB() as kb:
            items = [it["id"] for it in kb.items()][:50]
        rows = {}
        for engine in ("sqlite", "postgresql"):
            use(engine, url)
            rows[engine] = reviews_run(engine, args.writes, args.searches, items)
        # 3. scales: build/publish time and search latency, both engines
        root = args.keep or work / "scales"
        root.mkdir(parents=True, exist_ok=True)
        scales = []
        for times in (int(x) for x in args.scales.split(",")):
            data, built = prepare(src_db, times, root, 1 if times > 1 else None)
            db = (data / "current").resolve() / "kb.sqlite"
            url_s = database(f"x{times}")
            t = time.perf_counter()
            pgkb.publish(db, url_s)
            publish_s = time.perf_counter() - t
            os.environ["KB_DATA_DIR"] = str(data)
            lat = {}
            for engine in ("sqlite", "postgresql"):
                use(engine, url_s)
                lat[engine] = latency(args.rounds if times < 1000 else 2)
            with psycopg.connect(url_s) as c:
                items_n = c.execute("SELECT count(*) FROM kb_live.items").fetchone()[0]
            scales.append((times, items_n, built, publish_s, lat))
    finally:
        pgserver.remove(srv)
    load1 = os.getloadavg()
    print(f"load average at start {load0[0]:.1f} / at end {load1[0]:.1f} on {os.cpu_count()} CPUs")
    if build_s is not None:
        print(f"default plan built (SQLite + whoosh, whole analysis) in {build_s:.1f} s")
    print("\nnDCG@10 (recall@5) per query kind, /work/shared/eval/score.py against one `kb serve` per engine")
    for name, engines in quality.items():
        kinds = list(engines["default"])
        print(f"  {name} set: {'kind':12} {'default':>16} {'postgresql':>16}")
        for k in kinds:
            a, b = engines["default"][k], engines["postgresql"].get(k, {})
            fmt = lambda v: f"{v['ndcg@10']:.3f} ({v['recall@5']:.3f})" if v else "-"  # noqa: E731
            print(f"  {'':{len(name) + 5}} {k + ' n=' + str(a['queries']):12} {fmt(a):>16} {fmt(b):>16}")
    print(f"\nreviews while searching (1x): {args.writes} writes, {args.searches} + {args.searches} searches")
    print(f"  {'':28} {'sqlite':>10} {'postgresql':>11} {'pg/sqlite':>10}")
    for key in rows["sqlite"]:
        a, b = rows["sqlite"][key], rows["postgresql"][key]
        print(f"  {key + ' ms':28} {a:10.2f} {b:11.2f} {b / a if a else float('nan'):10.2f}")
    print("\nscales: search p50/p95 ms over bench/search_bench.py's queries (kb.search.search, the API payload)")
    print(
        f"  {'scale':>6} {'items':>7} {'default index build':>22} {'pg publish':>11}"
        f" {'default p50/p95':>17} {'pg p50/p95':>17}"
    )
    for times, n, built, publish_s, lat in scales:
        b = (
            f"tiled {built['derive_seconds']:.1f} s"
            if built.get("tiled_from")
            else f"{built['seconds'] + built['derive_seconds']:.1f} s"
        )
        d, p = lat["sqlite"], lat["postgresql"]
        print(
            f"  {times:>5}x {n:>7} {b:>22} {publish_s:>9.1f} s"
            f" {d['p50']:>8.1f}/{d['p95']:<8.1f} {p['p50']:>8.1f}/{p['p95']:<8.1f}"
        )
    print("  (a tiled scale's whoosh build was not run: its index is the 1x arrays repeated, bench/tile_index.py)")


if __name__ == "__main__":
    main()
