"""Export time of the whole plan per format, against json.dumps of the same rows measured in the same run.

Usage: KB_DATA_DIR=… .venv/bin/python bench/export_bench.py [--repeat N]   (builds the KB first if missing)
Target: xlsx ≤ 100 ms for the whole plan (rendering; loading the rows is reported separately).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kb import paths
from kb.exports import FORMATS, Filters, build_tables, render
from kb.store import KB


def timed(fn, repeat: int) -> tuple[float, float]:
    """(median, best) wall time in ms over `repeat` runs, after one warm-up run."""
    fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    return statistics.median(runs), min(runs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args()
    if paths.kb_db_path() is None:
        from kb.build import build

        build()
    with KB() as kb:
        tables = build_tables(kb, "plan", Filters())
        rows = tables[0].records()
        load_med, load_best = timed(lambda: build_tables(kb, "plan", Filters()), args.repeat)
        per_dept = build_tables(kb, "plan", Filters(), per_dept_sheets=True)
    base_med, base_best = timed(lambda: json.dumps(rows, ensure_ascii=False), args.repeat)
    print(f"whole plan: {len(rows)} rows × {len(tables[0].columns)} columns; repeat={args.repeat}")
    print(f"{'step':<22}{'median ms':>10}{'best ms':>10}{'× json.dumps':>14}{'bytes':>10}")
    print(f"{'baseline json.dumps':<22}{base_med:>10.1f}{base_best:>10.1f}{1:>14.1f}{'':>10}")
    print(f"{'rows from KB':<22}{load_med:>10.1f}{load_best:>10.1f}{load_med / base_med:>14.1f}{'':>10}")
    for fmt in FORMATS:
        size = len(render(tables, fmt))
        med, best = timed(lambda fmt=fmt: render(tables, fmt), args.repeat)
        flag = "  (target ≤ 100 ms: " + ("met" if med <= 100 else "MISSED") + ")" if fmt == "xlsx" else ""
        print(f"{'render ' + fmt:<22}{med:>10.1f}{best:>10.1f}{med / base_med:>14.1f}{size:>10}{flag}")
    for fmt in ("xlsx", "docx"):
        med, best = timed(lambda fmt=fmt: render(per_dept, fmt), max(3, args.repeat // 5))
        label = f"{fmt} +{len(per_dept) - 1} dept sheets"
        print(f"{label:<22}{med:>10.1f}{best:>10.1f}{med / base_med:>14.1f}{'':>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
