"""Search benchmark (run on demand, not a test): latency vs a SQLite FTS5 baseline, build cost, API throughput.

    .venv/bin/python bench/search_bench.py [--scales 1,100,1000] [--no-http] [--duration 10]

For each scale the live plan's KB is replicated with distinct ids into a scratch data dir, the search index is
built (whoosh index, then the score arrays derived from it, as the first search of a build does: times and peak
RSS in a child process; two whoosh writer processes from 10,000 items on, where the build also derives), then a
fixed query list is run through kb.search.search (the API payload, highlighting included) and through an FTS5
table over the same jieba-split text (bm25 + highlight), and the medians, p95s and their ratio are printed.
With wrk (Debian: apt-get install -y wrk) the API is served
by `kb serve` on 127.0.0.1 and loaded for a bounded time; without it a bounded Python client is used.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
QUERIES = [
    "校园欺凌",
    "家长学校",
    "控辍保学",
    "出生缺陷防治",
    "普惠托育服务",
    "打拐",
    "龋齿",
    "高中阶段毛入学率",
    "妇联 家庭教育指导",
    "民政局 儿童福利",
    "卫健委",
    "新生儿死亡率",
    "入园率",
    "留守儿童 心理健康",
    "中小学 心理健康教师 配备",
    "网络沉迷",
    "儿童友好城市",
    "溺水",
    "义务教育巩固率",
    "法律援助",
    # typed the way people type (issue 18): traditional, everyday, typo, short department, role, fragment, question
    "兒童近視",
    "孩子营养",
    "近式",
    "卫健 近视",
    "教育局牵头 心理健康",
    "托位",
    "谁负责儿童近视",
]
TABLES = ("plans", "items", "clauses", "assignments", "indicators", "links", "repairs", "headings", "item_review")


def replicate(src: Path, dest: Path, times: int) -> None:
    """Copy the KB `times` times with distinct plan and item ids (plan-r1:…)."""
    from kb.build import SCHEMA

    shutil.copyfile(src, dest) if times == 1 else None
    if times == 1:
        return
    out = sqlite3.connect(dest)
    out.executescript(SCHEMA.read_text(encoding="utf-8"))
    inp = sqlite3.connect(src)
    plans = [r[0] for r in inp.execute("SELECT id FROM plans")]
    out.executemany("INSERT INTO meta VALUES (?, ?)", inp.execute("SELECT * FROM meta"))
    out.executemany("INSERT INTO departments VALUES (?,?,?,?)", inp.execute("SELECT * FROM departments"))
    present = {r[0] for r in inp.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for t in (t for t in TABLES if t in present):
        rows = inp.execute(f"SELECT * FROM {t}").fetchall()
        marks = ",".join("?" * len(rows[0])) if rows else ""
        for r in range(times):

            def ren(v, r=r):
                if isinstance(v, str):
                    for p in plans:
                        if v == p or v.startswith(p + ":"):
                            return f"{p}-r{r}" + v[len(p) :]
                return v

            out.executemany(f"INSERT INTO {t} VALUES ({marks})", ([ren(v) for v in row] for row in rows))
    out.commit()
    out.close()


def child_build(db: Path, index: Path) -> None:
    """Build the whoosh index, then derive the score arrays from it (what the first search of a build would do),
    in this process; print both times and peak RSS (run as a child for a clean RSS)."""
    import resource

    from kb.search import build_index
    from kb.search.arrays import derived

    t = time.perf_counter()
    items = sqlite3.connect(db).execute("SELECT count(*) FROM items").fetchone()[0]
    build_index(db, index, procs=2 if items >= 10_000 else 1)
    t2 = time.perf_counter()
    derived(index)
    print(
        json.dumps(
            {
                "seconds": t2 - t,
                "derive_seconds": time.perf_counter() - t2,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def fts5(db: Path) -> sqlite3.Connection:
    """An in-memory FTS5 table over the same jieba search-mode tokens (items and clauses)."""
    from kb.search.analysis import search_tokens

    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE docs USING fts5(item UNINDEXED, title, text, tokenize='unicode61')")
    src = sqlite3.connect(db)
    rows = [(i, t, x) for i, t, x in src.execute("SELECT id, title, text FROM items")]
    rows += [(i, "", x) for i, x in src.execute("SELECT item, text FROM clauses")]
    conn.executemany(
        "INSERT INTO docs VALUES (?,?,?)",
        (
            (i, " ".join(w for w, _, _ in search_tokens(t)), " ".join(w for w, _, _ in search_tokens(x)))
            for i, t, x in rows
        ),
    )
    return conn


def fts5_query(conn: sqlite3.Connection, q: str) -> list:
    from kb.search.analysis import search_tokens

    toks = " OR ".join('"' + w + '"' for w in dict.fromkeys(w for w, _, _ in search_tokens(q)))
    return (
        conn.execute(
            "SELECT item, highlight(docs, 2, '<mark>', '</mark>') FROM docs WHERE docs MATCH ? "
            "ORDER BY bm25(docs, 3.0, 1.0) LIMIT 10",
            (toks,),
        ).fetchall()
        if toks
        else []
    )


def timings(fn, rounds: int) -> tuple[list[float], list[float]]:
    """(wall ms, CPU ms of this process) per call, after one warming pass. On a shared machine the wall time
    holds the waits for a core; the CPU time is what the query itself cost."""
    for q in QUERIES:
        fn(q)  # warm caches
    wall, cpu = [], []
    for _ in range(rounds):
        for q in QUERIES:
            t, c = time.perf_counter(), time.process_time()
            fn(q)
            wall.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def p(values: list[float], pct: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * pct))]


def prepare(
    src_db: Path, times: int, root: Path, tile_from: int | None = None, exact: bool = False
) -> tuple[Path, dict]:
    """The scale's data dir under root, replicated and built now, or reused when a finished one is there (--keep:
    a 1000× build takes many minutes on a shared machine; its build figures are those recorded when it was made).
    With tile_from (a smaller scale), the index is made by tiling that scale's arrays (bench/tile_index.py); with
    exact, its score arrays are those of the N× replica computed from the 1× index (bench/scale_index.py: the real
    N× idf and lengths, what a build assembled from N per-plan parts writes), without the N× whoosh write."""
    data = root / f"x{times}"
    build = data / "builds" / "bench"
    done = data / "built.json"
    if done.exists():
        return data, json.loads(done.read_text(encoding="utf-8"))
    replicated = data / "replicated"  # the replica KB is complete (a later index build may not be)
    if not replicated.exists():
        shutil.rmtree(data, ignore_errors=True)
        build.mkdir(parents=True)
        replicate(src_db, build / "kb.sqlite", times)
        replicated.touch()
    shutil.rmtree(build / "index", ignore_errors=True)
    if exact and times > 1:
        from scale_index import write_index

        one, _ = prepare(src_db, 1, root)
        info = write_index(one / "builds" / "bench" / "index", build / "index", times)
        built = {"seconds": 0.0, "derive_seconds": info["combine_s"], "peak_rss_mb": info["peak_rss_mb"], "exact": True}
    elif tile_from and tile_from < times and times % tile_from == 0:
        from tile_index import tile

        small, _ = prepare(src_db, tile_from, root)
        t = time.perf_counter()
        tile(small / "builds" / "bench" / "index", build / "index", tile_from, times // tile_from)
        built = {"seconds": 0.0, "derive_seconds": time.perf_counter() - t, "peak_rss_mb": 0.0, "tiled_from": tile_from}
    else:
        out = subprocess.run(
            [sys.executable, __file__, "--child-build", str(build / "kb.sqlite"), str(build / "index")],
            check=True,
            capture_output=True,
            text=True,
            cwd=REPO,
        )
        built = json.loads(out.stdout.strip().splitlines()[-1])
    if not (data / "current").exists():
        os.symlink(Path("builds") / "bench", data / "current")
    done.write_text(json.dumps(built), encoding="utf-8")
    return data, built


def run_scale(src_db: Path, times: int, root: Path, tile_from: int | None = None, exact: bool = False) -> dict:
    data, built = prepare(src_db, times, root, tile_from, exact)
    build = data / "builds" / "bench"
    os.environ["KB_DATA_DIR"] = str(data)
    from kb.search import search

    rounds = 5 if times < 1000 else 2
    load = os.getloadavg()[0]
    ours, ours_cpu = timings(lambda q: search(q), rounds)
    conn = fts5(build / "kb.sqlite")
    base, base_cpu = timings(lambda q: fts5_query(conn, q), rounds)
    items = sqlite3.connect(build / "kb.sqlite").execute("SELECT count(*) FROM items").fetchone()[0]
    return {
        "scale": times,
        "items": items,
        "build_s": built["seconds"],
        "derive_s": built["derive_seconds"],
        "build_peak_rss_mb": built["peak_rss_mb"],
        "tiled_from": built.get("tiled_from"),
        "exact": built.get("exact", False),
        "p50_ms": statistics.median(ours),
        "p95_ms": p(ours, 0.95),
        "cpu_p50_ms": statistics.median(ours_cpu),
        "fts5_p50_ms": statistics.median(base),
        "fts5_p95_ms": p(base, 0.95),
        "fts5_cpu_p50_ms": statistics.median(base_cpu),
        "load": (load + os.getloadavg()[0]) / 2,
        "data": str(data),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def throughput(data: Path, duration: int) -> dict:
    """Serve the 1× build with `kb serve` on loopback and load /api/search for a bounded time."""
    port = free_port()
    env = {**os.environ, "KB_DATA_DIR": str(data)}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kb",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(os.cpu_count() or 2),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/search"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}?q=儿童".replace("儿童", urllib.parse.quote("儿童")), timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        urls = [f"{base}?q={urllib.parse.quote(q)}" for q in QUERIES]
        if shutil.which("wrk"):
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
                paths = ", ".join(f'"{u[len(f"http://127.0.0.1:{port}") :]}"' for u in urls)
                fh.write(
                    f"local paths = {{{paths}}}\nlocal i = 0\n"
                    "request = function() i = i % #paths + 1; return wrk.format('GET', paths[i]) end\n"
                )
            res = subprocess.run(
                ["wrk", "-t2", "-c8", f"-d{duration}s", "-s", fh.name, f"http://127.0.0.1:{port}/"],
                capture_output=True,
                text=True,
                timeout=duration + 30,
            )
            os.unlink(fh.name)
            line = next((ln for ln in res.stdout.splitlines() if ln.startswith("Requests/sec")), "Requests/sec: 0")
            return {"tool": "wrk -t2 -c8", "duration_s": duration, "req_per_s": float(line.split()[1])}
        from concurrent.futures import ThreadPoolExecutor

        stop, count = time.monotonic() + duration, [0]

        def worker(k):
            while time.monotonic() < stop:
                urllib.request.urlopen(urls[count[0] % len(urls)], timeout=10).read()
                count[0] += 1

        with ThreadPoolExecutor(8) as ex:
            list(ex.map(worker, range(8)))
        return {
            "tool": "python urllib x8 (install wrk for a fairer figure)",
            "duration_s": duration,
            "req_per_s": count[0] / duration,
        }
    finally:
        server.terminate()
        server.wait(timeout=20)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="1,100,1000")
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--keep", type=Path, help="keep the scale builds in this folder (outside the repo) and reuse them")
    ap.add_argument("--prepare-only", action="store_true", help="with --keep: build the scales, measure nothing")
    ap.add_argument(
        "--tile-from",
        type=int,
        help="make larger scales' indexes by tiling this scale's arrays (bench/tile_index.py): measures the query "
        "path at that size without the whoosh build",
    )
    ap.add_argument(
        "--exact",
        action="store_true",
        help="make larger scales' score arrays as the exact N× replica of the 1× index (bench/scale_index.py): the "
        "query path at that size with the real idf, without the whoosh build",
    )
    ap.add_argument("--child-build", nargs=2, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child_build:
        child_build(Path(a.child_build[0]), Path(a.child_build[1]))
        return
    from kb import paths

    src = paths.kb_db_path()
    if src is None:
        sys.exit("no KB built: run `python -m kb build` first")
    root = a.keep or Path(tempfile.mkdtemp(prefix="search-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        rows = []
        for times in (int(x) for x in a.scales.split(",")):
            if a.prepare_only:
                print(times, prepare(src, times, root, a.tile_from, a.exact)[1], flush=True)
                continue
            r = run_scale(src, times, root, a.tile_from, a.exact)
            rows.append(r)
            how = (
                f"exact replica arrays from 1× in {r['derive_s']:.0f} s"
                if r["exact"]
                else f"index tiled from {r['tiled_from']}× in {r['derive_s']:.0f} s"
                if r["tiled_from"]
                else (
                    f"build {r['build_s']:7.1f} s  derive {r['derive_s']:6.1f} s"
                    f"  peak RSS {r['build_peak_rss_mb']:6.0f} MB"
                )
            )
            one = rows[0]
            print(
                f"{times:>5}×  items={r['items']:>7}  {how}"
                f"  | search p50 {r['p50_ms']:6.2f} ms  p95 {r['p95_ms']:6.2f} ms  CPU p50 {r['cpu_p50_ms']:6.2f} ms"
                f"  | FTS5 p50 {r['fts5_p50_ms']:6.2f} ms  p95 {r['fts5_p95_ms']:6.2f} ms"
                f"  CPU p50 {r['fts5_cpu_p50_ms']:6.2f} ms"
                f"  | ratio to FTS5 {r['p50_ms'] / max(r['fts5_p50_ms'], 1e-6):5.1f}×"
                f" (CPU {r['cpu_p50_ms'] / max(r['fts5_cpu_p50_ms'], 1e-6):5.1f}×)"
                f"  to {one['scale']}× {r['p50_ms'] / one['p50_ms']:5.1f}×"
                f" (CPU {r['cpu_p50_ms'] / one['cpu_p50_ms']:5.1f}×)"
                f"  | load average {r['load']:.1f} on {os.cpu_count()} cores",
                flush=True,
            )
        if not a.no_http and rows:
            t = throughput(Path(rows[0]["data"]), a.duration)
            print(
                f"/api/search throughput ({t['tool']}, {t['duration_s']} s, {os.cpu_count()} cores, "
                f"scale {rows[0]['scale']}×): {t['req_per_s']:.0f} req/s"
            )
    finally:
        if not a.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
