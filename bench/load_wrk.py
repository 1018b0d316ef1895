"""Running wrk for the load bench (bench/load_bench.py): a script cycling through URLs, its report parsed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def lua_script(paths: list[str], folder: Path) -> Path:
    """A wrk script that cycles through the paths."""
    body = ",\n".join(f'  "{p}"' for p in paths)
    script = folder / "mix.lua"
    script.write_text(
        "local paths = {\n" + body + "\n}\nlocal i = 0\n"
        'request = function()\n  i = i + 1\n  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n'
    )
    return script


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
