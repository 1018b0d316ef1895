"""Load benchmark (run on demand, not a test): the production server under wrk, search and item pages mixed.

    .venv/bin/python bench/load_bench.py [--duration 30] [--connections 32] [--threads 2] [--workers N]

Builds the default plan into a scratch data dir (unless KB_DATA_DIR already holds a build), starts
`python -m kb serve` (gunicorn) on a free 127.0.0.1 port, and loads it with wrk (Debian: apt-get install -y wrk)
cycling through search API calls, search result pages, item pages and their JSON twins. A one-connection run
of the same mix first gives the baseline; the report prints requests, errors, throughput and p50/p90/p99
latency of both, and the ratio. Exit status 1 when any request failed (socket error or non-2xx/3xx).
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
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


def line(name: str, r: dict) -> str:
    errors = r["non2xx"] + r["socket_errors"]
    return (
        f"{name:<22} {r['requests']:>8} requests  {errors:>3} errors  {r['rps']:>8.1f} req/s  "
        f"p50 {r['p50']:>7.1f} ms  p90 {r['p90']:>7.1f} ms  p99 {r['p99']:>7.1f} ms"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--duration", type=int, default=30, help="seconds of the loaded run")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=None, help="gunicorn workers (default: kb serve's)")
    ap.add_argument("--baseline", type=int, default=5, help="seconds of the one-connection baseline (0: skip)")
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
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{p}", timeout=10) as r:
                    assert r.status == 200, p
            base = run_wrk(port, script, args.baseline, 1, 1) if args.baseline else None
            load = run_wrk(port, script, args.duration, args.connections, args.threads)
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            server.stderr.close()
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
    return 1 if load["non2xx"] + load["socket_errors"] or (base and base["non2xx"] + base["socket_errors"]) else 0


if __name__ == "__main__":
    sys.exit(main())
