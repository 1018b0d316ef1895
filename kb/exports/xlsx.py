"""xlsx rendering (xlsxwriter): title row, frozen bold header, merged domain cells, A4 landscape print setup."""

from __future__ import annotations

import io
import math
import re

from kb.exports.rows import Table, display_width
from kb.exports.safety import is_formula_like, new_workbook, xml_clean

BODY_FONT, HEAD_FONT = "仿宋", "黑体"
FONT_SIZE = 10.5
LINE_HEIGHT = 13.0  # points per wrapped line at FONT_SIZE
HEADER_ROW = 2  # title row 0, caption row 1, header row 2, data from row 3
MAX_FIT = 40  # a non-wrapping column grows to its content up to this width


def _formats(wb) -> dict:
    base = {"font_name": BODY_FONT, "font_size": FONT_SIZE, "font_charset": 134, "valign": "top", "border": 1}
    f = {
        "title": wb.add_format(
            {
                **base,
                "font_name": HEAD_FONT,
                "font_size": 16,
                "bold": True,
                "align": "center",
                "valign": "vcenter",
                "border": 0,
            }
        ),
        "caption": wb.add_format({**base, "font_size": 10, "align": "left", "valign": "vcenter", "border": 0}),
        "header": wb.add_format(
            {
                **base,
                "font_name": HEAD_FONT,
                "bold": True,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "bg_color": "#D9E1F2",
            }
        ),
        "cell": wb.add_format({**base, "text_wrap": True}),
        "center": wb.add_format({**base, "text_wrap": True, "align": "center"}),
        # top, not vcenter: a domain spans pages, its name belongs on the first of them
        "merged": wb.add_format({**base, "text_wrap": True, "align": "center", "valign": "top"}),
        "bold": wb.add_format({"font_name": BODY_FONT, "font_size": FONT_SIZE, "font_charset": 134, "bold": True}),
        "plain": wb.add_format({"font_name": BODY_FONT, "font_size": FONT_SIZE, "font_charset": 134}),
    }
    # quote_prefix keeps a cell that starts with = + - @ as text even when a user edits it (formula injection)
    f["cell_q"] = wb.add_format({**base, "text_wrap": True, "quote_prefix": True})
    f["center_q"] = wb.add_format({**base, "text_wrap": True, "align": "center", "quote_prefix": True})
    return f


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel sheet names: ≤31 characters, none of []:*?/\\, unique in the workbook."""
    base = re.sub(r"[\[\]:*?/\\']", "_", name).strip() or "Sheet"
    out, n = base[:31], 2
    while out.lower() in used:
        suffix = f"({n})"
        out, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(out.lower())
    return out


def _widths(table: Table) -> list[float]:
    """Column widths: fixed for wrapping text columns, fitted to content (Chinese = 2) for short ones."""
    out = []
    for ci, col in enumerate(table.columns):
        if col.wrap:
            out.append(col.width)
            continue
        longest = max([display_width(col.name)] + [display_width(r.cells[ci]) for r in table.rows])
        out.append(min(max(col.width, longest + 2), MAX_FIT))
    return out


def _lines(text: str, width: float) -> int:
    """Wrapped line count of a cell's text in a column of this width."""
    usable = max(width - 1.5, 1)
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in (text or "").split("\n"))


def write_table(wb, ws, table: Table, f: dict) -> None:
    """One table on one worksheet, with its print setup.

    Data rows get an estimated height: LibreOffice keeps the default height of a row with wrapped text, and
    the estimate (a Chinese character = 2 width units, as Excel measures) errs on the roomy side elsewhere.
    """
    n = len(table.columns)
    widths = _widths(table)
    for ci, w in enumerate(widths):
        ws.set_column(ci, ci, w)
    ws.merge_range(0, 0, 0, n - 1, xml_clean(table.title), f["title"])
    ws.set_row(0, 30)
    ws.merge_range(1, 0, 1, n - 1, xml_clean(table.caption()), f["caption"])
    ws.set_row(1, 20)
    for ci, col in enumerate(table.columns):
        ws.write_string(HEADER_ROW, ci, col.name, f["header"])
    ws.set_row(HEADER_ROW, 22)
    runs = table.merge_runs()
    covered = {(r, ci) for ci, rs in runs.items() for a, b in rs for r in range(a, b + 1)}
    merge_cols = set(runs)
    task_col = next((i for i, c in enumerate(table.columns) if c.key == "task"), None)
    for ri, row in enumerate(table.rows):
        xr = HEADER_ROW + 1 + ri
        for ci, value in enumerate(row.cells):
            if (ri, ci) in covered:
                continue
            value = xml_clean(value)
            centered = not table.columns[ci].wrap or ci in merge_cols
            fmt = f[("center" if centered else "cell") + ("_q" if is_formula_like(value) else "")]
            title = xml_clean(row.title)
            if ci == task_col and title and value.startswith(title) and len(value) > len(title):
                ws.write_rich_string(xr, ci, f["bold"], title, f["plain"], value[len(title) :], fmt)
            else:
                ws.write_string(xr, ci, value, fmt)
        height = max(_lines(v, widths[ci]) for ci, v in enumerate(row.cells) if ci not in merge_cols)
        ws.set_row(xr, height * LINE_HEIGHT + 4)
    for ci, rs in runs.items():
        for a, b in rs:
            ws.merge_range(
                HEADER_ROW + 1 + a, ci, HEADER_ROW + 1 + b, ci, xml_clean(table.rows[a].cells[ci]), f["merged"]
            )
    last = HEADER_ROW + len(table.rows)
    ws.freeze_panes(HEADER_ROW + 1, 0)
    ws.autofilter(HEADER_ROW, 0, last, n - 1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.repeat_rows(HEADER_ROW)  # print titles: the header row on every page
    ws.fit_to_pages(1, 0)  # fit to width, as many pages tall as needed
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.7)
    ws.center_horizontally()
    ws.set_footer("&C第 &P 页,共 &N 页")
    ws.print_area(0, 0, last, n - 1)


def render_xlsx(tables: list[Table]) -> bytes:
    """The workbook: the first table, then one sheet per further table (e.g. per department)."""
    buf = io.BytesIO()
    wb = new_workbook(buf)
    f = _formats(wb)
    used: set[str] = set()
    for table in tables:
        write_table(wb, wb.add_worksheet(_sheet_name(table.sheet, used)), table, f)
    wb.set_properties({"title": tables[0].title, "author": "规划措施知识库", "comments": "Plan KB export"})
    wb.close()
    return buf.getvalue()
