"""Worker memory and the first request after a restart (run on demand, not a test).

    .venv/bin/python bench/worker_bench.py [--workers 2] [--data DIR] [--requests 30] [--restarts 3]

Starts `kb serve` (gunicorn) on loopback over the same build, `--restarts` times preloaded (the default: the app
and search loaded once in the master before the workers are forked) and, as the baseline of the same run, once with
KB_PRELOAD=0 (every worker loads its own). For each worker in turn the others are paused (SIGSTOP), so that worker
alone answers: its first search, then the median of the next ones. Every search a worker answers is a query it has
not seen before (QUERIES, none of them among the warm-up searches of nlp/data/search_warm.txt), so per-query caches
favour neither the first request nor the median; each restart starts at another place of the list. Then every
worker's RSS, PSS and USS (private pages) from /proc/PID/smaps_rollup. USS is what a worker adds: the memory freed
if it were stopped. Each search is also measured in the worker's CPU time (the sum over its threads of
/proc/PID/task/*/schedstat, in ns), which the waits for a core on a loaded machine do not enter. The last lines give
the spread of first/median over all workers and restarts, in wall and in CPU time.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# Distinct queries of every kind people type (none is a warm-up search): each is asked once per worker.
QUERIES = [
    "家长学校",
    "托育机构",
    "校园欺凌",
    "心理健康",
    "出生缺陷",
    "学前教育",
    "义务教育",
    "网络沉迷",
    "留守儿童",
    "法律援助",
    "龋齿",
    "营养",
    "体育锻炼",
    "课外活动",
    "图书馆",
    "交通安全",
    "预防接种",
    "母乳喂养",
    "孤儿",
    "残疾儿童康复",
    "家庭教育指导",
    "儿童之家",
    "新生儿死亡率",
    "高中阶段毛入学率",
    "控辍保学",
    "食品安全",
    "谁牵头校车安全",
    "公安 拐卖",
    "民政局牵头 儿童福利",
    "妇联 家庭",
    "兒童權益",
    "學前教育",
    "近事",
    "心里健康",
    "毛入学",
    "巩固率",
    "哪个部门管儿童食品",
    "怎么预防近视",
    "儿童友好城市",
    "未成年人保护",
    "家暴",
    "性教育",
    "电子烟",
    "游泳",
    "贫困家庭",
    "流动儿童",
    "幼儿园",
    "孩子上学",
    "打拐",
    "司法局配合",
]


READY_TIMEOUT = 300  # seconds a server may take to say it is ready
RESUMED_S = 2.0  # a worker resumed after its pause waits this long (> KB_WARM_POLL) before its first request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, path: str, timeout: float = 60) -> float:
    """Seconds to fetch the path (status 200 required)."""
    t = time.perf_counter()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as resp:
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"{path}: HTTP {resp.status}")
    return time.perf_counter() - t


def cpu(pid: int) -> float:
    """Seconds of CPU the process has run, all threads (schedstat: ns on the CPU; far finer than /proc/PID/stat)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended meanwhile
    return total / 1e9


SETTLE_S = 0.02  # after a response, the worker closes the connection and logs: counted with the request


def timed(port: int, path: str, pid: int) -> tuple[float, float]:
    """(wall, worker CPU) seconds of one request the worker alone answers."""
    before = cpu(pid)
    wall = get(port, path)
    time.sleep(SETTLE_S)
    return wall, cpu(pid) - before


def memory(pid: int) -> dict[str, float]:
    """RSS, PSS and USS (private clean + dirty) in MB."""
    vals: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        vals[key] = int(rest.split()[0]) / 1024
    return {"rss": vals["Rss"], "pss": vals["Pss"], "uss": vals["Private_Clean"] + vals["Private_Dirty"]}


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def run(data: Path, workers: int, preload: bool, requests: int, start_at: int = 0) -> dict:
    port = free_port()
    env = {**os.environ, "KB_DATA_DIR": str(data), "KB_PRELOAD": "1" if preload else "0"}
    cmd = [sys.executable, "-m", "kb", "serve", "--port", str(port), "--workers", str(workers)]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    warmed = settled = 0
    said: list[str] = []
    watchdog = threading.Timer(READY_TIMEOUT, proc.kill)  # a server that never says it is ready ends the run
    watchdog.start()
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            # ready = what a restarted worker does before it accepts a request: warmed (preloaded: in the master,
            # then each worker settled) or, without preloading, each worker's own warm-up done
            said = [*said[-30:], line.rstrip()]
            warmed += "pages warmed up" in line
            settled += "worker settled" in line
            if (warmed >= 1 and settled >= workers) if preload else warmed >= workers:
                break
        else:
            raise RuntimeError("the server ended before it was ready:\n" + "\n".join(said))
        watchdog.cancel()
        ready = time.perf_counter() - start
        threading.Thread(target=proc.stderr.read, daemon=True).start()  # type: ignore[union-attr]
        time.sleep(1)  # the last worker forked has set itself up
        pids = children(proc.pid)
        order = QUERIES[start_at % len(QUERIES) :] + QUERIES[: start_at % len(QUERIES)]
        paths = [f"/api/search?q={urllib.parse.quote(q)}" for q in order[: requests + 1]]
        rows = []
        for n, pid in enumerate(pids):
            if n:  # paused while the one before was measured: its overdue timers (keep_warm's poll) fire first,
                time.sleep(RESUMED_S)  # as they would not at a real restart's first request
            others = [p for p in pids if p != pid]
            for p in others:
                os.kill(p, signal.SIGSTOP)
            try:
                first, first_cpu = timed(port, paths[0], pid)
                rest = [timed(port, path, pid) for path in paths[1:]]
            finally:
                for p in others:
                    os.kill(p, signal.SIGCONT)
            rows.append(
                {
                    "pid": pid,
                    "first_ms": first * 1000,
                    "median_ms": statistics.median(w for w, _ in rest) * 1000,
                    "first_cpu_ms": first_cpu * 1000,
                    "median_cpu_ms": statistics.median(c for _, c in rest) * 1000,
                }
            )
        for r in rows:
            r.update(memory(r["pid"]))
        return {"ready_s": ready, "master": memory(proc.pid), "workers": rows}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--requests", type=int, default=30, help=f"searches after the first (≤ {len(QUERIES) - 1})")
    ap.add_argument("--restarts", type=int, default=3, help="preloaded server starts (each a fresh set of workers)")
    ap.add_argument("--data", type=Path, help="data dir with a build (default: KB_DATA_DIR or ./data)")
    a = ap.parse_args()
    sys.path.insert(0, str(REPO))
    from kb import paths

    data = a.data or paths.data_dir()
    if not (data / "current").exists():
        sys.exit(f"no build in {data}: run `python -m kb build` first")
    if a.requests >= len(QUERIES):
        sys.exit(f"--requests must be below {len(QUERIES)}: every search is a query the worker has not seen")
    ratios, cpu_ratios = [], []
    for n, preload in enumerate([False] + [True] * a.restarts):
        r = run(data, a.workers, preload, a.requests, start_at=7 * n)
        m = r["master"]
        label = "preloaded" if preload else "KB_PRELOAD=0 (baseline)"
        print(
            f"{label}: ready {r['ready_s']:.1f} s; master RSS {m['rss']:.0f} MB PSS {m['pss']:.0f} MB"
            f"  (load average {os.getloadavg()[0]:.1f})"
        )
        for w in r["workers"]:
            print(
                f"  worker {w['pid']}: first search {w['first_ms']:.1f} ms, median {w['median_ms']:.1f} ms"
                f" (ratio {w['first_ms'] / w['median_ms']:.2f}×); CPU {w['first_cpu_ms']:.1f} ms, median"
                f" {w['median_cpu_ms']:.1f} ms (ratio {w['first_cpu_ms'] / w['median_cpu_ms']:.2f}×);"
                f" RSS {w['rss']:.0f} MB PSS {w['pss']:.0f} MB"
                f" USS {w['uss']:.0f} MB"
            )
        total = m["pss"] + sum(w["pss"] for w in r["workers"])
        print(f"  total PSS {total:.0f} MB for {a.workers} workers", flush=True)
        if preload:
            ratios += [w["first_ms"] / w["median_ms"] for w in r["workers"]]
            cpu_ratios += [w["first_cpu_ms"] / w["median_cpu_ms"] for w in r["workers"]]
    for label, rs in (("wall", ratios), ("CPU", cpu_ratios)):
        if rs:
            print(
                f"preloaded first/median ({label}) over {len(rs)} workers in {a.restarts} restarts:"
                f" min {min(rs):.2f}×, median {statistics.median(rs):.2f}×, max {max(rs):.2f}×"
                f"  (load average {os.getloadavg()[0]:.1f})"
            )


if __name__ == "__main__":
    main()
