"""Pages at scale (run on demand, not a test): every page and JSON twin at 1× and at N× the live KB, replicated.

    .venv/bin/python bench/page_bench.py [--scales 1,100] [--repeat 7] [--keep DIR]

For each scale the built KB of KB_DATA_DIR (built first when absent) is replicated with distinct plan and item
ids (bench/search_bench.replicate) into a scratch data dir and its search index built; then bench/scale_pages.py
(the scale benchmark's page timer, in a fresh process) times every page, twin and download through the Flask test
client: p50 and p95 over --repeat requests (the first request of each URL included, so p95 shows what a page costs
the first time a state is seen). The process boots as `kb serve` boots a worker: the search and every page's
per-state values warmed before the first request (kb.commands.serve.warm_app, timed apart), then kept warm in the
background (kb.serving.warm.keep_warm). Two more passes: in the same process, --think seconds after one department
review made in it; and a fresh process after a review made in another. With --downloads, the in-process pass then
waits for the default download rendered ahead after the review (kb.serving.ahead) and times its first request.
The table prints p50/p95 per URL at each scale with the ratio to 1× from the same run, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO))
from scale_pages import page_urls  # noqa: E402
from search_bench import replicate  # noqa: E402

SKIP = ("/download/",)  # downloads are the scale benchmark's (issue 19 item 4), not pages


def scale_dir(src_db: Path, times: int, root: Path) -> Path:
    """A data dir whose live build is the KB replicated `times` times, with its search index."""
    data = root / f"x{times}"
    build = data / "builds" / "bench"
    build.mkdir(parents=True)
    replicate(src_db, build / "kb.sqlite", times)
    subprocess.run(
        [sys.executable, str(REPO / "bench" / "search_bench.py"), "--child-build", str(build / "kb.sqlite"),
         str(build / "index")],
        check=True, capture_output=True, cwd=REPO,
    )  # fmt: skip
    os.symlink(Path("builds") / "bench", data / "current")
    return data


def _time_urls(client, urls: list[str], repeat: int) -> dict[str, dict]:
    import statistics
    import time

    def p95(values: list[float]) -> float:
        return sorted(values)[min(len(values) - 1, round(0.95 * (len(values) - 1)))]

    out = {}
    for url in urls:
        times, cpu, status = [], [], 0
        for _ in range(repeat):
            t, c = time.perf_counter(), time.thread_time()  # CPU of this request's thread: what a shared core hides
            resp = client.get(url, follow_redirects=True)
            body = resp.get_data()
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.thread_time() - c) * 1000)
            status = max(status, resp.status_code)
        out[url] = {
            "status": status,
            "p50": statistics.median(times),
            "p95": p95(times),
            "cpu_p50": statistics.median(cpu),
            "cpu_p95": p95(cpu),
            "bytes": len(body),
        }
    return out


class _Pauses:
    """The collector's pauses (gc.callbacks) from start() on: count and longest per generation, and how many
    fell on the timing thread (a request) rather than on the warm thread."""

    def __init__(self) -> None:
        import gc
        import threading

        self.began: dict[int, float] = {}
        self.seen: list[tuple[int, float, bool]] = []
        self.on = False
        self.me = threading.get_ident()
        gc.callbacks.append(self._event)

    def _event(self, phase: str, info: dict) -> None:
        import threading
        import time

        tid = threading.get_ident()
        if phase == "start":
            self.began[tid] = time.perf_counter()
        elif self.on and tid in self.began:
            self.seen.append((info["generation"], time.perf_counter() - self.began.pop(tid), tid == self.me))

    def summary(self) -> dict:
        full = [ms for gen, ms, _ in self.seen if gen == 2]
        return {
            "collections": len(self.seen),
            "full": len(full),
            "full_max_ms": max(full, default=0.0) * 1000,
            "max_ms": max((ms for _, ms, _ in self.seen), default=0.0) * 1000,
            "on_request_thread": sum(mine for _, _, mine in self.seen),
        }


def first_download(client, since: float, wait: float = 120.0) -> dict:
    """The default download (kb.exports.cache.DEFAULTS[0], the whole corpus) after the review: seconds from the
    review until keep_warm had rendered it ahead (None if not within `wait`; no request is made meanwhile, as the
    render waits for an idle process), then the first request's wall ms and status."""
    import datetime as dt
    import time

    from kb import paths
    from kb.exports import Filters, cache

    sel = cache.DEFAULTS[0]
    key = cache.state_key(sel["layout"], sel["fmt"], Filters(**sel["filters"]), sel["per_dept_sheets"], dt.date.today())
    path = paths.current_build() / cache.FOLDER / f"{key}.{sel['fmt']}"
    ready = None
    while time.perf_counter() - since < wait:
        if path.with_suffix(".meta").exists():
            ready = time.perf_counter() - since
            break
        time.sleep(0.25)
    t = time.perf_counter()
    resp = client.get(f"/download/{sel['layout']}.{sel['fmt']}")
    resp.get_data()
    return {"ready_s": ready, "ms": (time.perf_counter() - t) * 1000, "status": resp.status_code}


def child(repeat: int, think: float, freeze: bool, downloads: bool = False) -> None:
    """Time every page and twin (no downloads) through the test client in this fresh process, booted as `kb serve`
    boots a worker (kb.commands.serve.warm_app; with `freeze`, then gc.collect and gc.freeze as its preload does
    before forking; then kb.serving.warm.keep_warm); then again after one department review made in this process
    and `think` seconds (a reviewer reading the result); print JSON with the collector's pauses and the warm rounds
    of that second pass."""
    import gc
    import time

    from kb.commands.serve import warm_app
    from kb.reviews import statecache
    from kb.serving.warm import keep_warm
    from webapp import create_app

    app = create_app()
    client = app.test_client()
    urls = [u for u in page_urls() if not any(s in u for s in SKIP)]
    urls.insert(urls.index("/departments") + 1, "/plans")
    t = time.perf_counter()
    client.get("/api/plans")  # the process loads the build and its reviews once (reported apart)
    load = (time.perf_counter() - t) * 1000
    t = time.perf_counter()
    warm_app(app, say=False)  # what a worker does before it accepts a request (reported apart)
    if freeze:  # kb serve's preload: every worker is forked from a master that froze its warmed heap
        gc.collect()
        gc.freeze()
    warmup = (time.perf_counter() - t) * 1000
    rounds: list[float] = []  # when each background warm round ended (seconds after the review)
    review_at = [0.0]
    keep_warm(app, warmed=lambda state: rounds.append(time.perf_counter() - review_at[0]))
    out = _time_urls(client, urls, repeat)
    pauses = _Pauses()
    stale_before = sum(statecache.stale.values())
    pauses.on, review_at[0] = True, time.perf_counter()
    review_one()
    time.sleep(think)
    after = _time_urls(client, urls, repeat)
    pauses.on = False
    extra = {"gc": pauses.summary(), "rounds": rounds, "stale": sum(statecache.stale.values()) - stale_before}
    extra["download"] = first_download(client, review_at[0]) if downloads else None
    print(json.dumps({"pages": out, "urls": urls, "load_ms": load, "warmup_ms": warmup, "in_process": after, **extra}))


def time_pages(data: Path, repeat: int, env: dict[str, str], think: float, freeze: bool, downloads: bool) -> dict:
    flags = ["--child", str(repeat), "--think", str(think)] + ([] if freeze else ["--no-freeze"])
    flags += ["--downloads"] if downloads else []
    proc = subprocess.run(
        [sys.executable, __file__, *flags],
        cwd=REPO, env=env, capture_output=True, text=True,
    )  # fmt: skip
    if proc.returncode:
        sys.exit(f"page timing failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def review_one(nth: int = 0) -> None:
    """One department review of the nth measure in this data dir (a new department state for every cache)."""
    from kb import reviews
    from kb.store import KB

    with KB() as kb:
        measures = [i["id"] for i in kb.items(kind="measure")]
    for item in measures[nth:]:  # one 民政 is not on yet (an earlier run's review may have put it there)
        try:
            reviews.add_assignment(item, "市民政局", "bench", role="co")
            return
        except reviews.ReviewError:  # already on it: a review that changes nothing is refused
            continue


def after_review(data: Path) -> None:
    """One department review in the data dir, from another process."""
    code = "import sys; sys.path.insert(0, 'bench'); from page_bench import review_one; review_one(1)"
    env = {**os.environ, "KB_DATA_DIR": str(data)}
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, env=env)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,100")
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--keep", help="data root to keep (default: a temporary folder)")
    ap.add_argument("--think", type=float, default=3.0, help="seconds between the in-process review and its pages")
    ap.add_argument("--no-freeze", action="store_true", help="skip kb serve's gc.collect + gc.freeze after the warm-up")
    ap.add_argument(
        "--downloads", action="store_true", help="then wait for the default download rendered ahead and fetch it"
    )
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.think, not args.no_freeze, args.downloads)
        return 0
    src = Path(os.environ.get("KB_DATA_DIR") or REPO / "data")
    if not (src / "current" / "kb.sqlite").exists():
        subprocess.run(
            [sys.executable, "-m", "kb", "build"], check=True, cwd=REPO, env={**os.environ, "KB_DATA_DIR": str(src)}
        )
    root = Path(args.keep or tempfile.mkdtemp(prefix="page-bench-"))
    results: dict[int, dict[str, dict]] = {}
    for n in map(int, args.scales.split(",")):
        data = (
            root / f"x{n}"
            if (root / f"x{n}" / "current").exists()
            else scale_dir(src / "current" / "kb.sqlite", n, root)
        )
        env = {**os.environ, "KB_DATA_DIR": str(data)}
        for stale in ("reviews.sqlite", "reviews.sqlite-wal", "reviews.sqlite-shm"):
            (data / stale).unlink(missing_ok=True)  # every run starts from the build alone
        cold = time_pages(data, args.repeat, env, args.think, not args.no_freeze, args.downloads)
        after_review(data)
        warm = time_pages(data, args.repeat, env, args.think, not args.no_freeze, False)
        inproc = {"pages": cold["in_process"], "urls": cold["urls"], "load_ms": 0.0, "warmup_ms": 0.0}
        inproc.update({k: cold[k] for k in ("gc", "rounds", "stale", "download")})
        results[n] = {"state": cold, "in_process": inproc, "review": warm}
    load = os.getloadavg()
    scales = sorted(results)
    how = "no gc.freeze" if args.no_freeze else "gc.freeze after the warm-up, as kb serve's preload"
    print(f"page bench: scales {scales}, {args.repeat} requests per URL, {how}, load {load[0]:.1f} {load[1]:.1f}")
    print(f"{'URL':52} " + " ".join(f"{'x' + str(n) + ' p50/p95 ms (CPU p95)':>36}" for n in scales) + "  ratio p50")
    worst = {n: (0.0, 0.0, 0, 0.0) for n in scales}
    titles = {
        "state": "fresh process, a new build (booted as kb serve boots a worker)",
        "in_process": f"same process, {args.think:g} s after a department review made in it (kept warm meanwhile)",
        "review": "fresh process after one department review",
    }
    for run in ("state", "in_process", "review"):
        print(f"-- {titles[run]}")
        if run != "in_process":
            print(f"{'(process start: build and reviews loaded)':52} " + " ".join(
                f"{results[n][run]['load_ms']:>36.0f}" for n in scales))  # fmt: skip
            print(f"{'(warm-up before serving: search and pages)':52} " + " ".join(
                f"{results[n][run]['warmup_ms']:>36.0f}" for n in scales))  # fmt: skip
        for k, url in enumerate(results[scales[0]][run]["urls"]):
            cells, p50s = [], []
            for n in scales:  # the same page at each scale (the item URL names each scale's own item)
                r = results[n][run]["pages"][results[n][run]["urls"][k]]
                cells.append(f"{r['p50']:8.1f} /{r['p95']:8.1f} (CPU {r['cpu_p95']:7.1f}) [{r['status']}]")
                p50s.append(r["p50"])
                w = worst[n]
                worst[n] = (
                    max(w[0], r["p50"]),
                    max(w[1], r["p95"]),
                    w[2] + (r["status"] >= 500),
                    max(w[3], r["cpu_p95"]),
                )
            ratio = f"×{p50s[-1] / max(p50s[0], 1e-9):.1f}" if len(p50s) > 1 else ""
            print(f"{url[:52]:52} " + " ".join(f"{c:>36}" for c in cells) + f"  {ratio}")
    for n in scales:
        r = results[n]["in_process"]
        rounds = ", ".join(f"{t:.2f}" for t in r["rounds"]) or "none"
        g = r["gc"]
        print(
            f"x{n} in process after the review: warm rounds ended at {rounds} s; {r['stale']} previous-state values"
            f" served; {g['collections']} collections, {g['full']} full (longest {g['full_max_ms']:.0f} ms), longest"
            f" {g['max_ms']:.0f} ms, {g['on_request_thread']} on the request thread"
        )
        d = r["download"]
        if d is not None:
            ready = "not within the wait" if d["ready_s"] is None else f"{d['ready_s']:.1f} s after the review"
            print(
                f"x{n} default download rendered ahead {ready}; then its first request {d['ms']:.0f} ms [{d['status']}]"
            )
    for n in scales:
        p50, p95, errors, cpu95 = worst[n]
        print(
            f"x{n}: worst page p50 {p50:.0f} ms, worst p95 {p95:.0f} ms (worst CPU p95 {cpu95:.0f} ms), 5xx {errors}"
            " (issue 19: ≤ 200 / ≤ 500 / 0)"
        )
    print(json.dumps({"load": load, "root": str(root)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
