"""Server-rendered SVG trend charts of an indicator's yearly values (no scripts, no external assets)."""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

COLOURS = {"met": "#2e7d32", "unmet": "#c62828", "nodata": "#9e9e9e"}
TARGET = "#1565c0"
PROJECTION = "#ef6c00"


def _fmt(x: float) -> str:
    return f"{x:.4f}".rstrip("0").rstrip(".")


def trend_svg(row: dict[str, Any], width: int = 180, height: int = 48, labels: bool = False) -> Markup:
    """A small line chart: values coloured by status, the target band dashed, the projection dotted."""
    years: list[int] = row["years"]
    pts = [(v["year"], v["value"]) for v in row["values"] if v["value"] is not None]
    lo, hi = row.get("bounds") or (None, None)
    proj = row.get("projection")
    ys = [v for _y, v in pts] + [b for b in (lo, hi) if b is not None] + ([proj["value"]] if proj else [])
    pad_l, pad_r = (34, 16) if labels else (4, 4)
    pad_t, pad_b = (8, 18) if labels else (4, 4)
    title = f"{row['name']}:{'、'.join(f'{y}年 {_fmt(v)}' for y, v in pts) or '暂无数据'};目标 {row['target']}"
    head = (
        f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )
    if not years:
        return Markup(head + "</svg>")
    y_min, y_max = (min(ys), max(ys)) if ys else (0.0, 1.0)
    if y_max - y_min < 1e-9:
        y_min, y_max = y_min - 1, y_max + 1
    span = y_max - y_min
    y_min, y_max = y_min - span * 0.1, y_max + span * 0.1
    x0, x1 = min(years), max(max(years), proj["year"] if proj else 0)

    def sx(year: float) -> float:
        return pad_l + (year - x0) / max(x1 - x0, 1) * (width - pad_l - pad_r)

    def sy(value: float) -> float:
        return pad_t + (y_max - value) / (y_max - y_min) * (height - pad_t - pad_b)

    parts = [
        head,
        f'<rect x="{pad_l}" y="{pad_t}" width="{width - pad_l - pad_r}" '
        f'height="{height - pad_t - pad_b}" fill="#fafafa" stroke="#e0e0e0"/>',
    ]
    for b in (lo, hi):
        if b is not None:
            parts.append(
                f'<line class="target" x1="{pad_l}" x2="{width - pad_r}" y1="{sy(b):.1f}" y2="{sy(b):.1f}" '
                f'stroke="{TARGET}" stroke-width="1" stroke-dasharray="4 3"/>'
            )
            if labels:
                parts.append(
                    f'<text x="{pad_l - 3}" y="{sy(b) + 3:.1f}" font-size="9" text-anchor="end" '
                    f'fill="{TARGET}">{escape(_fmt(round(b, 2)))}</text>'
                )
    if len(pts) > 1:
        line = " ".join(f"{sx(y):.1f},{sy(v):.1f}" for y, v in pts)
        parts.append(f'<polyline points="{line}" fill="none" stroke="#455a64" stroke-width="1.5"/>')
    if proj and pts:
        ly, lv = pts[-1]
        parts.append(
            f'<line class="projection" x1="{sx(ly):.1f}" y1="{sy(lv):.1f}" x2="{sx(proj["year"]):.1f}" '
            f'y2="{sy(proj["value"]):.1f}" stroke="{PROJECTION}" stroke-width="1.2" stroke-dasharray="2 2"/>'
        )
    status = {v["year"]: v["status"] for v in row["values"]}
    for y, v in pts:
        parts.append(
            f'<circle cx="{sx(y):.1f}" cy="{sy(v):.1f}" r="{3 if labels else 2.5}" '
            f'fill="{COLOURS.get(status.get(y), COLOURS["nodata"])}"><title>{y}年 {escape(_fmt(v))}</title></circle>'
        )
    if labels:
        for y in years:
            parts.append(
                f'<text x="{sx(y):.1f}" y="{height - 5}" font-size="9" text-anchor="middle" fill="#616161">{y}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
