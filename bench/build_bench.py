"""Cold build time of the default plan (fresh process each run), against a bare read + jieba baseline.

Usage: .venv/bin/python bench/build_bench.py [-n RUNS]
Prints the median of each, and the ratio build / baseline measured in the same run. Target: build ≤ 2.5 s
on 2 cores. Nothing here is asserted; the figures are for reading.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 2.5
# Baseline: what any build must at least do — start Python, read the plan, load jieba, tokenise the text.
BASELINE = """
import jieba, logging
jieba.setLogLevel(logging.WARNING)
from nlp.reader import read_plan_file
from kb.paths import DEFAULT_PLAN
text = read_plan_file(DEFAULT_PLAN).text
tok = jieba.Tokenizer(); tok.initialize()
n = sum(1 for _ in tok.cut(text))
"""


# One fresh process timing each stage of the build, to see where the time goes.
STAGES = """
import time, json, tempfile
from pathlib import Path
t0 = time.perf_counter(); out = {}
def mark(name):
    global t0
    t = time.perf_counter(); out[name] = t - t0; t0 = t
from kb.paths import DEFAULT_PLAN
from kb import build as kb_build
from nlp import pipeline
from nlp.items import build_items
from nlp.model import Plan
from nlp.reader import read_plan_file
from nlp.repair import apply_repairs, find_repairs
from nlp.segment import segment
mark("imports")
raw = read_plan_file(DEFAULT_PLAN).text
from nlp.lang import jieba_tokenizer; jieba_tokenizer()
mark("read + jieba init")
seg = segment(raw); mark("segment")
reps = find_repairs(raw) + seg.repairs; text, omap = apply_repairs(raw, reps); mark("repair")
items, _ = build_items("p", raw, text, omap, seg.items); mark("items (titles, clauses)")
plan = Plan(id="p", title="p", raw_text=raw, text=text, items=items, repairs=reps)
for name, stage in pipeline._taggers():
    stage(plan); mark("tag: " + name)
folder = Path(tempfile.mkdtemp())
kb_build.write_kb(folder / "kb.sqlite", [plan]); mark("write sqlite")
for stage in kb_build._post_build_stages():
    stage(folder / "kb.sqlite", folder)
mark("post-build (search index)")
print(json.dumps(out))
"""


def timed(cmd: list[str], env: dict[str, str]) -> float:
    """Wall time of one fresh process; a failure stops the benchmark with its output."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", "--runs", type=int, default=5)
    args = ap.parse_args()
    build_times, base_times = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory(prefix="kb-bench-") as data:
            env = {**os.environ, "KB_DATA_DIR": data}
            # Interleaved so machine noise hits both series alike.
            base_times.append(timed([sys.executable, "-c", BASELINE], env))
            build_times.append(timed([sys.executable, "-m", "kb", "build", "--quiet"], env))
    build, base = statistics.median(build_times), statistics.median(base_times)
    print(f"cores: {os.cpu_count()}  runs: {args.runs}")
    print(
        f"baseline (python + read + jieba init + tokenise), median: {base:.2f} s   "
        f"[{', '.join(f'{t:.2f}' for t in base_times)}]"
    )
    print(
        f"cold build of the default plan (python -m kb build), median: {build:.2f} s   "
        f"[{', '.join(f'{t:.2f}' for t in build_times)}]"
    )
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as data:
        proc = subprocess.run(
            [sys.executable, "-c", STAGES],
            cwd=ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "KB_DATA_DIR": data},
        )
    if proc.returncode == 0:
        stages = json.loads(proc.stdout.strip().splitlines()[-1])
        print("stages (one fresh process): " + ", ".join(f"{k} {v:.2f}" for k, v in stages.items()))
    else:
        print(f"stage breakdown failed: {proc.stderr.strip().splitlines()[-1:]}")
    print(
        f"ratio build/baseline: {build / base:.2f}x   target ≤ {TARGET_S:.1f} s: "
        f"{'met' if build <= TARGET_S else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
