"""Load benchmark (run on demand, not a test): the production server under wrk, search and item pages mixed.

    .venv/bin/python bench/load_bench.py [--duration 30] [--connections 32] [--threads 2] [--workers N]
                                         [--reviews 10000] [--writers 2]

Builds the default plan into a scratch data dir (unless KB_DATA_DIR already holds a build), starts
`python -m kb serve` (gunicorn) on a free 127.0.0.1 port, and loads it with wrk (Debian: apt-get install -y wrk)
cycling through search API calls, search result pages, item pages and their JSON twins. A one-connection run
of the same mix first gives the baseline; the report prints requests, errors, throughput and p50/p90/p99
latency of both, and the ratio. Exit status 1 when any request failed (socket error or non-2xx/3xx).

Runs about reviews follow (issue 14): item pages alone, then the same while --writers reviewers write notes,
department and link reviews (--write-mix) through the API flat out (--write-pause, 0.05 s: several writes a second
each on an idle machine, a stress figure) and at a reviewer's pace (--reviewer-pause, 5 s: read the item, decide),
--rounds times, each run with writers between two without (ABAB): per pair the throughput with writers / the mean of
the two runs beside it, and the server tree's CPU per item-page request (the writes' CPU included) with / without,
with their medians and the load average of each run (CPU time is what the writers take from the readers; wall
throughput on a loaded 2-core machine is mostly waiting for a core). The writers' accounts exist in all runs, so
all serve the same site. Then in-process search p50 and item
page p50 with no reviews and with --reviews reviews stored (ratio: with / without; searches in one process per
data dir, each query asked of both in turn, wall and CPU time); the item pages are split into items the stored
reviews leave alone and reviewed items (whose pages show their notes and history). The server's CPU per write
(its process tree, two writers flat out with no page load) closes the report.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from load_inproc import QUERIES, after_write_cpu, item_page_p50, search_pairs, seed_reviews
from load_reviews import print_writer_runs, writer_runs
from load_wrk import line, lua_script, run_wrk

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_build(data: Path) -> None:
    """Build the default plan into data unless a build is already live there."""
    if (data / "current").exists():
        return
    env = {**os.environ, "KB_DATA_DIR": str(data)}
    subprocess.run([sys.executable, "-m", "kb", "build", "--quiet"], cwd=REPO, env=env, check=True)


def url_mix(data: Path) -> list[str]:
    """Search API calls, result pages, item pages and item JSON, interleaved."""
    os.environ["KB_DATA_DIR"] = str(data)
    from kb.store import KB

    with KB() as kb:
        items = [i["id"] for i in kb.items() if i["kind"] in ("goal", "measure")]
    q = urllib.parse.quote
    out = []
    for n, query in enumerate(QUERIES):
        out.append(f"/api/search?q={q(query)}")
        out.append(f"/search?q={q(query)}")
        out.append(f"/items/{q(items[(n * 7) % len(items)], safe=':')}")
        out.append(f"/api/items/{q(items[(n * 11 + 3) % len(items)], safe=':')}")
    return out


def start_server(data: Path, port: int, workers: int | None) -> subprocess.Popen:
    env = {**os.environ, "KB_DATA_DIR": str(data)}
    cmd = [sys.executable, "-m", "kb", "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers:
        cmd += ["--workers", str(workers)]
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/session", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
        if proc.poll() is not None:
            raise SystemExit("server did not start:\n" + proc.stderr.read().decode()[-2000:])
    proc.kill()
    raise SystemExit("server did not answer within 60 s")


def item_urls(data: Path) -> list[str]:
    """Item pages only (what a write's re-application touches)."""
    return [u for u in url_mix(data) if u.startswith("/items/")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=30, help="seconds of the loaded run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: kb serve's)")
    ap.add_argument("--baseline", type=int, default=5, help="seconds of the one-connection baseline (0: skip)")
    ap.add_argument("--writers", type=int, default=2, help="reviewers writing during the item-page run (0: skip)")
    ap.add_argument("--reviews", type=int, default=10_000, help="reviews stored for the search run (0: skip)")
    ap.add_argument("--write-mix", default="note,department,link", help="what the writers write, in turn")
    ap.add_argument("--rounds", type=int, default=1, help="alternations of item pages alone / with writers")
    ap.add_argument("--write-pause", type=float, default=0.05, help="seconds each writer waits between writes")
    ap.add_argument(
        "--reviewer-pause",
        type=float,
        default=5.0,
        help="the same writers at a reviewer's pace (reading the item, then one decision): seconds between writes "
        "(-1: skip)",
    )
    args = ap.parse_args()
    if subprocess.run(["which", "wrk"], capture_output=True).returncode != 0:
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="load-bench-") as tmp:
        data = Path(os.environ.get("KB_DATA_DIR") or Path(tmp) / "data")
        data.mkdir(parents=True, exist_ok=True)
        ensure_build(data)
        paths = url_mix(data)
        script = lua_script(paths, Path(tmp))
        port = free_port()
        server = start_server(data, port, args.workers)
        try:
            for p in paths:  # every URL works before it is loaded
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{p}", timeout=120) as r:
                    assert r.status == 200, p
            base = run_wrk(port, script, args.baseline, 1, 1) if args.baseline else None
            load = run_wrk(port, script, args.duration, args.connections, args.threads)
            quiet, busy, write_cost = ([], {}, (0.0, 0))
            if args.writers:
                quiet, busy, write_cost = writer_runs(port, server.pid, data, Path(tmp), args, item_urls)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            server.stderr.close()
        if args.reviews:  # in this process, one build, two data dirs (none / many reviews), measured alternately
            dirs = {}
            for name in ("none", "many"):
                d = dirs[name] = Path(tmp) / f"search-{name}"
                d.mkdir()
                (d / "current").symlink_to((data / "current").resolve())
            urls = item_urls(data)  # item pages: half on items the reviews leave alone, half on reviewed ones
            spare = urls[: len(urls) // 2]
            os.environ["KB_DATA_DIR"] = str(dirs["many"])  # after item_urls, which points it at `data`
            seed_reviews(args.reviews, frozenset(urllib.parse.unquote(u.removeprefix("/items/")) for u in spare))
            from kb.reviews.audit import version
            from kb.store import KB

            assert version() >= args.reviews, "the reviews went to another data dir"
            with KB() as kb:
                goal_ids = [i["id"] for i in kb.items() if i["kind"] == "goal"][::-1]
            paired = search_pairs(dirs)
            none, many = paired["none"], paired["many"]
            pages = item_page_p50(dirs, {"unreviewed": spare, "reviewed": urls[len(urls) // 2 :]})
            os.environ["KB_DATA_DIR"] = str(dirs["none"])
            cpu = after_write_cpu(urls, goal_ids)
    print(
        f"load bench: gunicorn (kb serve) on 127.0.0.1, {len(paths)} URLs cycled "
        f"(search API, search pages, item pages, item JSON), os.cpu_count()={os.cpu_count()}"
    )
    if base:
        print(line("baseline 1 conn", base))
    print(line(f"load {args.connections} conn/{args.duration}s", load))
    if base and base["p99"] == base["p99"] and base["p99"] > 0:
        print(
            f"ratio vs baseline: throughput ×{load['rps'] / max(base['rps'], 1e-9):.2f}, "
            f"p99 ×{load['p99'] / base['p99']:.2f}"
        )
    if quiet and busy:
        print_writer_runs(quiet, busy, write_cost, args)
    if args.reviews:
        for n, clock in enumerate(("wall", "CPU")):
            print(
                f"in-process search p50 ({clock}): {none[n]:.2f} ms with no reviews, {many[n]:.2f} ms with "
                f"{args.reviews} reviews stored; ratio {many[n] / max(none[n], 1e-9):.2f} (issue 14: ≤ 1.5; one "
                f"process per dir, {8 * len(QUERIES)} queries each, asked of both in turn)"
            )
        for group, what in (("unreviewed", "items the reviews leave alone"), ("reviewed", "reviewed items")):
            p0, p1 = pages[("none", group)], pages[("many", group)]
            print(
                f"in-process item page p50 (wall / CPU), {what}: {p0[0]:.2f} / {p0[1]:.2f} ms with no reviews, "
                f"{p1[0]:.2f} / {p1[1]:.2f} ms with {args.reviews} reviews stored; ratio {p1[0] / max(p0[0], 1e-9):.2f}"
                f" / {p1[1] / max(p0[1], 1e-9):.2f}"
            )
    if args.reviews:
        print(
            "in-process item page CPU p50: "
            + ", ".join(f"{k} {v:.1f} ms" for k, v in cpu.items())
            + " (right after each kind of review: what a write costs every worker on its next read)"
        )
    if write_cost[1]:
        print(
            f"server CPU per write: {1000 * write_cost[0] / write_cost[1]:.1f} ms ({write_cost[1]} writes by "
            f"{args.writers} reviewers flat out in {args.duration} s, no page load; the server's process tree: the "
            "write requests, every worker's catch-up and warm rounds)"
        )
    every = [base, load, *quiet, *(r for rs in busy.values() for r in rs)]
    failed = [r for r in every if r and r["non2xx"] + r["socket_errors"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
