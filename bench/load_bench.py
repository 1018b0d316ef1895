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
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
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


def lua_script(paths: list[str], folder: Path) -> Path:
    """A wrk script that cycles through the paths."""
    body = ",\n".join(f'  "{p}"' for p in paths)
    script = folder / "mix.lua"
    script.write_text(
        "local paths = {\n" + body + "\n}\nlocal i = 0\n"
        'request = function()\n  i = i + 1\n  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n'
    )
    return script


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


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def run_wrk(port: int, script: Path, duration: int, connections: int, threads: int) -> dict:
    """Run wrk and parse its report: requests, errors, throughput and latency percentiles (ms)."""
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    res = {"raw": out, "requests": 0, "non2xx": 0, "socket_errors": 0, "rps": 0.0}
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = int(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    res["rps"] = float(m.group(1)) if m else 0.0
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, flags=re.M)
        res[f"p{pct}"] = _ms(m.group(1)) if m else float("nan")
    return res


def _rates(runs: list[dict]) -> str:
    return ", ".join(f"{r['rps']:.1f}" for r in runs)


def line(name: str, r: dict) -> str:
    errors = r["non2xx"] + r["socket_errors"]
    return (
        f"{name:<22} {r['requests']:>8} requests  {errors:>3} errors  {r['rps']:>8.1f} req/s  "
        f"p50 {r['p50']:>7.1f} ms  p90 {r['p90']:>7.1f} ms  p99 {r['p99']:>7.1f} ms"
    )


def item_urls(data: Path) -> list[str]:
    """Item pages only (what a write's re-application touches)."""
    return [u for u in url_mix(data) if u.startswith("/items/")]


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


def writer_accounts(n: int) -> None:
    """The n reviewers' accounts (this makes the reviews database: both item-page runs see the same site)."""
    from kb.store.users import add_user, get_user

    for k in range(n):
        if get_user(f"bench-writer-{k}") is None:
            add_user(f"bench-writer-{k}", "bench-writer-password-42")


class Reviewer:
    """One reviewer's signed-in API session (signed in once, before any measured run: a sign-in hashes a
    password, which is no part of what a write costs) and how far through the plan they are."""

    def __init__(self, port: int, k: int):
        self.port, self.k, self.name, self.done = port, k, f"bench-writer-{k}", 0
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        self.token = self.call("/api/session")["csrf_token"]
        self.token = self.call("/api/login", {"name": self.name, "password": "bench-writer-password-42"})["csrf_token"]

    def call(self, path: str, body: dict | None = None) -> dict:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", method="POST" if body else "GET")
        if body is not None:
            req.data = json.dumps(body).encode()
            req.add_header("Content-Type", "application/json")
            req.add_header("X-CSRF-Token", self.token)
        with self.opener.open(req, timeout=30) as r:
            return json.loads(r.read())


def writers(
    reviewers: list[Reviewer],
    stop: threading.Event,
    items: list[str],
    goals: list[str],
    mix: list[str],
    counts: list[int],
    pause: float,
) -> list[threading.Thread]:
    """The reviewers writing on item after item until stop is set: notes, department reviews (add 市民政局 as 配合,
    later reject it) and link reviews (add a link, later remove it), cycling through `mix`, `pause` seconds after
    each write. A refused write (the item already had it) is counted apart, not fatal."""
    n = len(reviewers)

    def run(rv: Reviewer) -> None:
        while not stop.is_set():
            i, k = rv.done, rv.k
            j = i * n + k
            item, kind, undo = items[j % len(items)], mix[i % len(mix)], (j // len(items)) % 2
            body: dict = {"action": "note.add", "body": f"{rv.name} {i}"}
            if kind == "department":
                body = {"action": "assignment.reject" if undo else "assignment.add", "department": "市民政局"}
                body |= {} if undo else {"role": "co"}
            elif kind == "link":
                body = {"action": "link.remove" if undo else "link.add", "goal": goals[j % len(goals)]}
            try:
                rv.call(f"/api/items/{urllib.parse.quote(item, safe=':')}/review", body)
                counts[k] += 1
            except urllib.error.HTTPError as exc:
                if exc.code >= 500:
                    raise
                refused[0] += 1
            rv.done += 1
            stop.wait(pause)

    threads = [threading.Thread(target=run, args=(rv,), daemon=True) for rv in reviewers]
    for t in threads:
        t.start()
    return threads


refused = [0]  # writes the API refused with a 4xx (already present / absent): expected in the cycle


def _cpu_ms(run: dict) -> float:
    """The server tree's CPU ms per item-page request of a run (its writes' CPU included)."""
    return 1000 * run["cpu"] / max(run["requests"], 1)


def _cpu_lines(runs: list[dict], per_write: float, duration: int) -> None:
    """Per pair: the server's CPU per item-page request with writers (their writes' CPU, at `per_write` s each as
    measured apart, taken out) / without, and what the writers leave of the throughput when the server has the
    machine's cores to itself: (cores - writes/s x CPU per write) / cores x CPU per read without / with. CPU time
    is what writers take from readers; wall throughput on a shared 2-core machine is mostly waiting for a core."""
    cores = os.cpu_count() or 1
    reads, bound = [], []
    for r in runs:
        without = (_cpu_ms(r["before"]) + _cpu_ms(r["after"])) / 2
        read = 1000 * max(r["cpu"] - r["writes"] * per_write, 0.0) / max(r["requests"], 1)
        reads.append(read / max(without, 1e-9))
        share = max(cores - r["writes"] / duration * per_write, 0.0) / cores
        bound.append(share * without / max(read, 1e-9))
    print(
        "    server CPU per item-page request with writers (the writes' own CPU taken out) / without, per pair: "
        + ", ".join(f"{x:.2f}" for x in reads)
        + f"; median {statistics.median(reads):.2f}"
    )
    print(
        f"    throughput with writers / without when the server has the {cores} cores to itself (CPU-bound: the "
        "writes' CPU share and the reads' CPU per request), per pair: "
        + ", ".join(f"{x:.2f}" for x in bound)
        + f"; median {statistics.median(bound):.2f} (issue 14: >= 0.70)"
    )


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children, from /proc (0.0 where there is none)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(entry) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


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
            quiet: list[dict] = []
            busy: dict[str, list[dict]] = {}
            write_cost = (0.0, 0)
            if args.writers:
                (Path(tmp) / "items").mkdir(exist_ok=True)
                items_script = lua_script(item_urls(data), Path(tmp) / "items")
                writer_accounts(args.writers)  # the same site (a reviews database) in every item-page run
                reviewers = [Reviewer(port, k) for k in range(args.writers)]
                from kb.store import KB

                with KB() as kb:  # writes spread over the plan, as reviewers work (not piled on one page)
                    targets = [i["id"] for i in kb.items() if i["kind"] == "measure"]
                    goals = [i["id"] for i in kb.items() if i["kind"] == "goal"][::-1]
                paces = {"flat out": args.write_pause, "reviewer pace": args.reviewer_pause}
                paces = {pace: pause for pace, pause in paces.items() if pause >= 0}

                def measured(pace: str | None) -> dict:
                    """One item-page run (with the writers at `pace`, or none), with the server tree's CPU."""
                    stop, counts, refused[0] = threading.Event(), [0] * args.writers, 0
                    mix = args.write_mix.split(",")
                    ws = writers(reviewers, stop, targets, goals, mix, counts, paces[pace]) if pace else []
                    cpu0, load0 = tree_cpu(server.pid), os.getloadavg()[0]
                    r = run_wrk(port, items_script, args.duration, args.connections, args.threads)
                    cpu = tree_cpu(server.pid) - cpu0
                    stop.set()
                    for t in ws:
                        t.join(timeout=30)
                    return r | {"writes": sum(counts), "refused": refused[0], "cpu": cpu, "load": load0}

                # ABAB: each run with writers sits between two runs without, and is compared with their mean (the
                # pair's ratio), so the drift of a shared machine's load hits both sides of a ratio alike
                quiet.append(measured(None))
                for _ in range(args.rounds):
                    for pace in paces:
                        busy.setdefault(pace, []).append(measured(pace) | {"before": quiet[-1]})
                        quiet.append(measured(None))
                        busy[pace][-1]["after"] = quiet[-1]
                # what a write costs the server in all (the request, every worker's catch-up, warm rounds): its
                # process tree's CPU while the writers write flat out and nothing else is asked of it
                stop, counts, refused[0] = threading.Event(), [0] * args.writers, 0
                cpu0 = tree_cpu(server.pid)
                ws = writers(reviewers, stop, targets, goals, args.write_mix.split(","), counts, args.write_pause)
                time.sleep(args.duration)
                stop.set()
                for t in ws:
                    t.join(timeout=30)
                time.sleep(1)  # the last write's catch-ups in the other workers
                write_cost = (tree_cpu(server.pid) - cpu0, sum(counts))
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
        print(
            "item pages, no writer: "
            + _rates(quiet)
            + " req/s; server CPU per request "
            + ", ".join(f"{_cpu_ms(q):.2f}" for q in quiet)
            + " ms; load "
            + ", ".join(f"{q['load']:.1f}" for q in quiet)
        )
        for pace, runs in busy.items():
            pause = args.write_pause if pace == "flat out" else args.reviewer_pause
            writes = sum(r["writes"] for r in runs)
            print(line(f"item pages, {args.writers} writing", runs[0]) + "  (run 1; all: " + _rates(runs) + " req/s)")
            pairs = [r["rps"] / ((r["before"]["rps"] + r["after"]["rps"]) / 2) for r in runs]
            print(
                f"  {pace}: {args.writers} reviewers wrote {writes} reviews in {len(runs)} x {args.duration} s "
                f"({writes / max(len(runs) * args.duration, 1):.1f}/s, {pause:g} s pause each; {args.write_mix}; "
                f"{sum(r['refused'] for r in runs)} refused as already so); load "
                + ", ".join(f"{r['load']:.1f}" for r in runs)
            )
            print(
                "    item-page throughput with writers / without, per pair (the run between two without, vs their "
                "mean): " + ", ".join(f"{x:.2f}" for x in pairs) + f"; median {statistics.median(pairs):.2f} "
                "(issue 14: >= 0.70)"
            )
            if write_cost[1]:
                _cpu_lines(runs, write_cost[0] / write_cost[1], args.duration)
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
