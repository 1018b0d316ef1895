"""Which plotting library draws the report's charts: the same trend chart (values, scheduled path, target, CJK title
and legend) as PNG with matplotlib (Agg) and with pygal + cairosvg, measured in the same run.

Usage: python bench/chart_bench.py [--repeat N]   (pygal/cairosvg are optional: install them to compare)
Figures: cold import (fresh interpreter), median render per chart, PNG size, and whether the Chinese title was drawn
in a CJK font (matplotlib: the font it resolved; pygal: the fonts fontconfig offers cairo).
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

OBS = {2020: 80.0, 2021: 81.5, 2022: 82.0, 2023: 84.0, 2024: 84.6}
PATH = {y: 80 + 10 * (y - 2020) / 5 for y in range(2020, 2026)}
TITLE = "3岁以下儿童系统管理率(%)"


def matplotlib_chart() -> bytes:
    from kb.monitoring.charts import trend_chart

    codes = {y: "far" for y in OBS}
    return trend_chart("3岁以下儿童系统管理率", OBS, PATH, (90.0, None), {"year": 2025, "value": 85.5}, "%", codes)


def pygal_chart() -> bytes:
    import cairosvg
    import pygal
    from pygal.style import DefaultStyle

    style = DefaultStyle(font_family="WenQuanYi Micro Hei")  # fair comparison: name the CJK font explicitly
    chart = pygal.Line(title=TITLE, width=900, height=450, show_dots=True, x_labels=[str(y) for y in PATH], style=style)
    chart.add("监测值", [OBS.get(y) for y in PATH])
    chart.add("序时进度", list(PATH.values()), stroke_style={"dasharray": "6,3"})
    chart.add("目标 90", [90.0] * len(PATH))
    return cairosvg.svg2png(bytestring=chart.render())


def cold_import(module: str) -> float:
    """Seconds to import `module` in a fresh interpreter (what the first report of a process pays)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def timed(fn, repeat: int) -> tuple[float, int]:
    """(median ms, PNG bytes) after one warm-up run."""
    data = fn()
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - t) * 1000)
    return statistics.median(runs), len(data)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=10)
    args = ap.parse_args()
    rows = []
    ms, size = timed(matplotlib_chart, args.repeat)
    from kb.monitoring.charts import chart_font

    rows.append(("matplotlib (Agg)", cold_import("matplotlib.pyplot"), ms, size, chart_font() or "none (tofu)"))
    if importlib.util.find_spec("pygal") and importlib.util.find_spec("cairosvg"):
        ms, size = timed(pygal_chart, args.repeat)
        fc = subprocess.run(["fc-match", "sans-serif:lang=zh"], capture_output=True, text=True).stdout.strip()
        rows.append(("pygal + cairosvg", cold_import("pygal, cairosvg"), ms, size, f"fontconfig: {fc}"))
    else:
        print("pygal/cairosvg not installed: only matplotlib measured", file=sys.stderr)
    print(f"{'library':20} {'cold import s':>14} {'render ms':>10} {'PNG KB':>8}  CJK font")
    for name, imp, ms, size, font in rows:
        print(f"{name:20} {imp:14.2f} {ms:10.1f} {size / 1024:8.1f}  {font}")
    if len(rows) == 2:
        print(f"ratio render pygal/matplotlib: {rows[1][2] / rows[0][2]:.2f}; import: {rows[1][1] / rows[0][1]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
