"""Report charts as PNG (matplotlib, Agg, a CJK font): an indicator's values against its scheduled path, and the
status of each domain. matplotlib is imported lazily and once; the font is the first installed from the data list."""

from __future__ import annotations

import io
import logging
from functools import lru_cache
from typing import Any

from kb import monitoring as mon
from kb.monitoring.findings import sentences
from kb.monitoring.pace import PACE_LABELS, PACE_ORDER

log = logging.getLogger(__name__)
COLOURS = {"met": "#2e7d32", "on_pace": "#7cb342", "lagging": "#f9a825", "far": "#c62828", "nodata": "#bdbdbd"}
DPI = 150


@lru_cache(maxsize=1)
def _pyplot():
    """matplotlib's pyplot on the Agg backend with the first installed CJK font (once per process)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    installed = {f.name for f in font_manager.fontManager.ttflist}
    wanted = sentences()["document"]["chart_fonts"]
    found = [name for name in wanted if name in installed]
    if not found:
        log.warning("no CJK font among %s is installed: chart labels may not render (apt: fonts-wqy-microhei)", wanted)
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [*found, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # the CJK fonts lack U+2212
    return plt


def chart_font() -> str | None:
    """The CJK font charts are drawn with (None when none is installed)."""
    plt = _pyplot()
    fonts = plt.rcParams["font.sans-serif"]
    return fonts[0] if fonts and fonts[0] != "DejaVu Sans" else None


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    _pyplot().close(fig)
    return buf.getvalue()


def trend_chart(
    name: str,
    obs: mon.Obs,
    path: dict[int, float],
    bounds: tuple[float | None, float | None],
    projection: dict[str, Any] | None,
    unit: str | None,
    codes: dict[int, str],
) -> bytes:
    """Observed values (points coloured by pace status), the straight scheduled path, the target, the projection."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.0, 3.0))
    years = sorted(obs)
    if path:
        py = sorted(path)
        ax.plot(py, [path[y] for y in py], "--", color="#1565c0", linewidth=1.2, label="序时进度")
    for b in bounds:
        if b is not None:
            ax.axhline(b, color="#1565c0", linewidth=0.8, linestyle=":", label=f"目标 {mon.fmt(round(b, 2))}")
    if years:
        ax.plot(years, [obs[y] for y in years], "-", color="#455a64", linewidth=1.5, label="监测值")
        ax.scatter(
            years, [obs[y] for y in years], c=[COLOURS.get(codes.get(y, "nodata"), "#757575") for y in years], zorder=3
        )
        for y in years:
            ax.annotate(
                mon.fmt(obs[y]), (y, obs[y]), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8
            )
    if projection and years:
        last = years[-1]
        ax.plot([last, projection["year"]], [obs[last], projection["value"]], ":", color="#ef6c00", label="趋势推算")
    ax.set_title(name + (f"({unit})" if unit else ""), fontsize=11)
    all_years = sorted(set(years) | set(path) | ({projection["year"]} if projection else set()))
    ax.set_xticks(all_years)
    ax.set_xticklabels([str(y) for y in all_years])
    ax.grid(axis="y", color="#e0e0e0", linewidth=0.6)
    handles, labels = ax.get_legend_handles_labels()
    seen: dict[str, Any] = {}
    for h, lab in zip(handles, labels, strict=False):
        seen.setdefault(lab, h)
    ax.legend(seen.values(), seen.keys(), fontsize=8, loc="best", frameon=False)
    return _png(fig)


def domains_chart(domains: list[tuple[str, dict[str, int]]], year: int) -> bytes:
    """One stacked horizontal bar per domain: how many indicators are 已达标 / 按序时进度 / 滞后 / 差距较大 / 无数据."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 0.45 * max(len(domains), 3) + 1.0))
    names = [d for d, _ in domains][::-1]
    counts = [c for _, c in domains][::-1]
    left = [0] * len(names)
    for code in PACE_ORDER:
        widths = [c.get(code, 0) for c in counts]
        ax.barh(names, widths, left=left, color=COLOURS[code], label=PACE_LABELS[code], height=0.6)
        for i, w in enumerate(widths):
            if w:
                ax.text(left[i] + w / 2, i, str(w), ha="center", va="center", fontsize=8, color="white")
        left = [a + b for a, b in zip(left, widths, strict=False)]
    ax.set_xlabel("指标数(项)")
    ax.set_title(f"{year}年各领域指标达标情况", fontsize=11)
    ax.legend(ncol=5, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)
