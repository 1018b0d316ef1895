"""Pages and downloads of the scale benchmark: every page, its JSON twin and every download of one plan and of the
whole corpus, timed through the Flask test client in a fresh process; and the RSS/PSS of each gunicorn worker.

    KB_DATA_DIR=… .venv/bin/python bench/scale_pages.py REPEAT     # prints one JSON object (used by scale_bench)
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
QUERY = "儿童 心理健康"
DEPT = "卫健委"
DEFAULT_PLAN = "yiyang-children-2021-2025"
FORMATS = ("xlsx", "docx", "csv", "md", "json")


def page_urls() -> list[str]:
    """The URLs timed: pages and twins, then downloads of one plan (?plan=), then of the whole corpus."""
    from kb.store import KB

    with KB() as kb:
        ids = [p["id"] for p in kb.plans()]
        plan = DEFAULT_PLAN if DEFAULT_PLAN in ids else ids[0]  # the same plan at every scale, so ratios pair up
        items = [i for i in kb.items() if i["kind"] in ("goal", "measure") and i["plan"] == plan]
        item = items[len(items) // 2]["id"]
    q = urllib.parse.quote
    pages = [
        "/",
        "/api/home",
        f"/search?q={q(QUERY)}",
        f"/api/search?q={q(QUERY)}",
        f"/items/{item}",
        f"/api/items/{item}",
        "/departments",
        f"/departments/{q(DEPT)}",
        f"/api/departments/{q(DEPT)}",
        "/goals",
        "/targets",
        "/plan",
        f"/plans/{plan}",
        "/api/plans",
        "/graph",
        "/api/graph",
        "/monitoring",
        "/api/monitoring",
        "/progress/overview",
        "/review/queue",
    ]
    one = [f"/download/plan.{f}?plan={plan}" for f in FORMATS]
    one += [f"/download/department/{q(DEPT)}.{f}?plan={plan}" for f in ("xlsx", "docx")]
    one += [f"/download/indicators.xlsx?plan={plan}"]
    every = [f"/download/plan.{f}" for f in FORMATS] + [f"/download/department/{q(DEPT)}.{f}" for f in ("xlsx", "docx")]
    return pages + one + every


def _vm(pid: int, key: str, path: str = "status") -> float:
    try:
        for line in Path(f"/proc/{pid}/{path}").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def child(repeat: int) -> dict:
    """Time every URL in this process (first request reported apart); RSS after all."""
    from webapp import create_app

    app = create_app()
    client = app.test_client()
    urls = page_urls()
    t = time.perf_counter()
    client.get(urls[0])
    first = (time.perf_counter() - t) * 1000
    out = {}
    for url in urls:
        times, status, size = [], 0, 0
        for _ in range(repeat):
            t = time.perf_counter()
            resp = client.get(url, follow_redirects=True)
            body = resp.get_data()
            times.append((time.perf_counter() - t) * 1000)
            status, size = resp.status_code, len(body)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        out[url] = {"status": status, "p50": statistics.median(times), "p95": p95, "max": times[-1], "bytes": size}
    return {"first_ms": first, "rss_mb": _vm(os.getpid(), "VmRSS"), "pages": out, "urls": urls}


def time_pages(data: Path, repeat: int, env: dict[str, str]) -> dict:
    """Run child() in a fresh process on the data dir."""
    proc = subprocess.run([sys.executable, __file__, str(repeat)], cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode:
        sys.exit(f"page timing failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_memory(urls: list[str], env: dict[str, str], workers: int = 2) -> dict:
    """`kb serve` with `workers` workers on loopback: RSS and PSS of each after each has served the pages."""
    port = free_port()
    cmd = [sys.executable, "-m", "kb", "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    server = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 120
        while time.time() < deadline:
            try:
                urllib.request.urlopen(base + "/api/plans", timeout=5).read()
                break
            except OSError:
                time.sleep(0.5)
        for _ in range(workers * 2):  # gunicorn hands connections to any worker: enough rounds to reach each
            for url in urls:
                if "/download/" not in url:
                    try:
                        urllib.request.urlopen(base + url, timeout=60).read()
                    except OSError:
                        pass
        kids = [int(p) for p in Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()]
        return {
            "master_rss": _vm(server.pid, "VmRSS"),
            "workers": [{"rss": _vm(k, "VmRSS"), "pss": _vm(k, "Pss", "smaps_rollup")} for k in kids],
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    print(json.dumps(child(int(sys.argv[1])), ensure_ascii=False))
