"""Multi-plan scale benchmark (run on demand, not a test): builds, `kb add`, every page and download, RSS per worker.

    .venv/bin/python bench/scale_bench.py [--scales 1,10,100] [--build-scale 1000] [--repeat 5] [--no-http]
    .venv/bin/python bench/scale_bench.py --quick        # smoke run: 1× only, one repeat, no server
    .venv/bin/python bench/scale_bench.py --builds-only --scales 1 --build-scale 1000   # builds, 1000× against 1×

For each scale N a scratch data dir gets N distinct plans (bench/scale_corpus.py: the default plan's structure with
its own places and a share of sentences from the real-plan fixtures). Then, each in a fresh process: a full build
(`kb build`), an unchanged rebuild, `kb add` of one more plan; every page, JSON twin and download through the Flask
test client (p50 / p95 / worst, status, bytes); and with a server, `kb serve` (gunicorn, 2 workers) on loopback with
the RSS and PSS of each worker after a round of requests. Wall time, CPU-seconds (the process tree) and peak RSS
(summed over the tree) are printed beside each figure, with ratios to 1× measured in the same run, the machine and
its load average. --build-scale runs the builds alone at that scale. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from scale_corpus import write_corpus  # noqa: E402
from scale_pages import time_pages, worker_memory  # noqa: E402

KB = [sys.executable, "-m", "kb"]


def _tree(root: int) -> list[int]:
    """root and its descendants, from /proc."""
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                ppid = int(Path(f"/proc/{d}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += kids.get(p, [])
    return out


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def measured(cmd: list[str], env: dict[str, str]) -> dict:
    """Wall time, CPU-seconds of the process tree and its peak summed RSS for one command (sampled every 0.1 s)."""
    before = os.times()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], sum(_rss_mb(p) for p in _tree(proc.pid)))
            time.sleep(0.1)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    th.join()
    after = os.times()
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"wall_s": wall, "cpu_s": cpu, "peak_mb": peak[0], "out": out}


def run_builds(n: int, root: Path) -> tuple[dict, Path]:
    """Full build and unchanged rebuild at N plans (the default plan + N-1)."""
    data = root / f"x{n}"
    shutil.rmtree(data, ignore_errors=True)
    write_corpus(n, data / "plans")
    env = {**os.environ, "KB_DATA_DIR": str(data)}
    res = {"plans": n, "full build": measured([*KB, "build", "--quiet"], env)}
    res["unchanged rebuild"] = measured([*KB, "build", "--quiet"], env)
    with sqlite3.connect(data / "current" / "kb.sqlite") as conn:
        res["items"] = conn.execute("SELECT count(*) FROM items").fetchone()[0]
    return res, data


def run_add(n: int, root: Path, data: Path) -> dict:
    """`kb add` of one more distinct plan into the N-plan KB in data."""
    extra = write_corpus(n + 1, root / f"extra{n}", start=n)[0]
    title = json.loads(extra.with_suffix(".json").read_text(encoding="utf-8"))["title"]
    env = {**os.environ, "KB_DATA_DIR": str(data)}
    return measured([*KB, "add", str(extra), "--slug", extra.stem, "--title", title], env)


def _fmt_cmd(name: str, r: dict, base: dict | None) -> str:
    ratio = f"{r['wall_s'] / base['wall_s']:8.1f}×" if base and base.get("wall_s") else f"{'':9}"
    return f"  {name:<28}{r['wall_s']:9.2f} s{r['cpu_s']:9.1f} CPU-s{r['peak_mb']:9.0f} MB  {ratio}"


def report_builds(results: list[dict]) -> None:
    print("\n== builds (wall, CPU-s of the process tree, peak summed RSS; ratio of wall to 1×) ==")
    base = results[0]
    for r in results:
        print(f"{r['plans']}× ({r['plans']} plans, {r['items']} items):")
        for key, v in r.items():
            if isinstance(v, dict) and "wall_s" in v:
                print(_fmt_cmd(key, v, base.get(key) if r is not base else None))


def report_pages(results: list[dict]) -> None:
    if not results:
        return
    print("\n== pages and downloads (Flask test client, one process; p50 / p95 / worst ms; ratio of p50 to 1×) ==")
    base = results[0]["pages"]
    for r in results:
        fails = [u for u, v in r["pages"].items() if v["status"] >= 500]
        print(
            f"{r['plans']}×: first request {r['first_ms']:.0f} ms, process RSS after all {r['rss_mb']:.0f} MB, "
            f"5xx: {len(fails)} {fails[:5]}"
        )
        for url, v in r["pages"].items():
            b = base.get(url)
            ratio = f"{v['p50'] / b['p50']:7.1f}×" if b and b["p50"] and r is not results[0] else ""
            print(
                f"  {url[:70]:<72}{v['status']:>4}{v['p50']:9.1f}{v['p95']:9.1f}{v['max']:9.1f}"
                f"{v['bytes'] / 1024:9.0f} KB {ratio}"
            )


def machine() -> str:
    model = next(
        (
            ln.split(":", 1)[1].strip()
            for ln in Path("/proc/cpuinfo").read_text().splitlines()
            if ln.startswith("model name")
        ),
        platform.processor(),
    )
    return f"{model}, {os.cpu_count()} CPUs, Python {platform.python_version()}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scales", default="1,10,100")
    ap.add_argument("--build-scale", type=int, default=0, help="also run the builds alone at this scale (1000)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-http", action="store_true", help="skip the gunicorn run (RSS per worker)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1× only, one repeat, no server")
    ap.add_argument("--builds-only", action="store_true", help="builds and `kb add` only: no pages, no server")
    ap.add_argument("--keep", help="data root to keep (default: a temporary folder)")
    a = ap.parse_args()
    scales = [1] if a.quick else [int(x) for x in a.scales.split(",")]
    repeat = 1 if a.quick else a.repeat
    root = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="kb-scale-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}; load average at start: {os.getloadavg()}")
    builds, pages = [], []
    try:
        for n in scales:
            res, data = run_builds(n, root)
            builds.append(res)
            env = {**os.environ, "KB_DATA_DIR": str(data)}
            if not a.builds_only:
                pages.append({"plans": n, **time_pages(data, 2 if n >= 100 else repeat, env)})
                if not (a.no_http or a.quick):
                    pages[-1]["workers"] = worker_memory(pages[-1]["urls"], env)
            res["kb add (one more plan)"] = run_add(n, root, data)
            print(f"… {n}× done (load average {os.getloadavg()})", file=sys.stderr)
            report_builds(builds)  # so far, in case a larger scale does not finish
            report_pages(pages)
            sys.stdout.flush()
        if a.build_scale:
            res, data = run_builds(a.build_scale, root)
            res["kb add (one more plan)"] = run_add(a.build_scale, root, data)
            builds.append(res)
        report_builds(builds)
        report_pages(pages)
        for r in pages:
            if "workers" in r:
                w = r["workers"]
                print(
                    f"\n{r['plans']}× kb serve, 2 workers after a round of requests: "
                    + ", ".join(
                        f"worker {i}: RSS {x['rss']:.0f} MB, PSS {x['pss']:.0f} MB" for i, x in enumerate(w["workers"])
                    )
                    + f"; master RSS {w['master_rss']:.0f} MB"
                )
        print(f"\nload average at end: {os.getloadavg()}")
    finally:
        if not a.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
