"""A plan's cache fill by stage in a warm process (run on demand, not a test): what a build's pool worker pays per
distinct plan (kb.build_cache.fill), as CPU-seconds, which survive machine load.

    .venv/bin/python bench/scale_fill.py [--plans 3] [--data DIR] [--unit]

Writes plans+1 distinct bench plans (bench/scale_corpus.py) into a scratch data dir, fills the first to warm the
process (imports, dictionaries), then prints the mean CPU-s per plan of the others for each stage: the analysis
(kb.build_cache.analyse), the plan's rows (kb.store.write.write_kb) and its whoosh segment with its part
(kb.search.writer.build_index); --unit: also the segment + part of the timed plans as one index unit (what a
build's pool job writes, kb.build_units), per plan. To compare two commits, run it alternately with PYTHONPATH set
to a `git archive` of each (the worktree's code is used otherwise). Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))
from scale_corpus import write_corpus  # noqa: E402


def fill_stages(data: Path, n: int, unit: bool = False) -> dict[str, float]:
    """Mean CPU-s per plan of each fill stage over plans 2..n+1 of data/plans (plan 1 warms the process); unit: and
    of one segment of those plans."""
    from kb import build_cache, paths
    from kb.search.writer import build_index
    from kb.store.write import write_kb

    paths.use_data_dir(str(data))
    files = sorted((data / "plans").glob("*.txt"))[: n + 1]
    total: dict[str, float] = {}
    for i, f in enumerate(files):
        spent = {}
        t0 = time.process_time()
        plan = build_cache.analyse(f, {})
        spent["analysis"] = time.process_time() - t0
        out = data / f"fill-{i}"
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        t0 = time.process_time()
        write_kb(out / "kb.sqlite", [plan], departments=False)
        spent["rows"] = time.process_time() - t0
        t0 = time.process_time()
        build_index(out / "kb.sqlite", out / "index", keep_part=True)
        spent["segment + part"] = time.process_time() - t0
        if i:
            for k, v in spent.items():
                total[k] = total.get(k, 0.0) + v / n
    if unit:
        t0 = time.process_time()
        build_index([data / f"fill-{i}" / "kb.sqlite" for i in range(1, n + 1)], data / "unit", keep_part=True)
        total[f"(one segment + part of the {n}: per plan)"] = (time.process_time() - t0) / n
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plans", type=int, default=3, help="plans timed after the warm-up one")
    ap.add_argument("--data", help="scratch data dir to keep (default: a temporary folder)")
    ap.add_argument("--unit", action="store_true", help="also the timed plans' segment as one index unit")
    a = ap.parse_args()
    data = Path(a.data) if a.data else Path(tempfile.mkdtemp(prefix="kb-fill-"))
    try:
        if not (data / "plans").exists():
            write_corpus(a.plans + 2, data / "plans")
        import kb

        print(f"code: {Path(kb.__file__).parent.parent}; load average at start: {os.getloadavg()}")
        stages = fill_stages(data, a.plans, a.unit)
        own = {k: v for k, v in stages.items() if not k.startswith("(")}
        print("CPU-s per plan: " + ", ".join(f"{k} {v:.3f}" for k, v in stages.items()), end="")
        print(f"; total {sum(own.values()):.3f}", end="")
        if a.unit:
            grouped = (
                sum(own.values()) - own["segment + part"] + stages[f"(one segment + part of the {a.plans}: per plan)"]
            )
            print(f", in one unit {grouped:.3f}", end="")
        print(f" (load average at end: {os.getloadavg()})")
    finally:
        if not a.data:
            shutil.rmtree(data, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
