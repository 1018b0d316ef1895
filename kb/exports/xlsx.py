"""xlsx rendering (xlsxwriter): title row, frozen bold header, A4 landscape print setup, a sortable filter range.

Inside the autofilter range no cell is merged (a merged 领域 or 本单位职责 block filters to its first row and stops
Excel sorting): every row repeats its values. 序号 is a number, so Excel neither warns nor sorts it as text.
"""

from __future__ import annotations

import io
import math
import os
import re
import tempfile

from kb.exports.safety import is_formula_like, new_workbook, xml_clean
from kb.exports.table import Table, display_width

BODY_FONT, HEAD_FONT = "仿宋", "黑体"
FONT_SIZE = 10.5
LINE_HEIGHT = 13.0  # points per wrapped line at FONT_SIZE
HEADER_ROW = 2  # title row 0, caption row 1, header row 2, data from row 3
MAX_FIT = 40  # a non-wrapping column grows to its content up to this width
MIN_WRAP = 8  # a wrapping column never shrinks below this (header words stay on one or two lines)
CONSTANT_MEMORY_ROWS = 3000  # a workbook of this many rows is written in constant memory (a province's list)


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
    """Column widths from content (a Chinese character = 2): a wrapping column up to its width, a short one fitted.

    A column whose longest line is short (领域, 完成时限, a department list) shrinks to it, so the task text
    keeps the room it is given.
    """
    out = []
    for ci, col in enumerate(table.columns):
        lines = [line for r in table.rows for line in r.cells[ci].split("\n")]
        longest = max([display_width(col.name)] + [display_width(line) for line in lines]) + 2
        if col.wrap:
            out.append(max(min(col.width, longest), MIN_WRAP))
        else:
            out.append(min(max(col.width, longest), MAX_FIT))
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
    task_col = next((i for i, c in enumerate(table.columns) if c.key == "task"), None)
    for ri, row in enumerate(table.rows):
        xr = HEADER_ROW + 1 + ri
        for ci, value in enumerate(row.cells):
            value = xml_clean(value)
            centered = not table.columns[ci].wrap or table.columns[ci].key in table.merge
            if table.columns[ci].key == "no" and value.isdigit():
                ws.write_number(xr, ci, int(value), f["center"])
                continue
            fmt = f[("center" if centered else "cell") + ("_q" if is_formula_like(value) else "")]
            title = xml_clean(row.title)
            if ci == task_col and title and value.startswith(title) and len(value) > len(title):
                ws.write_rich_string(xr, ci, f["bold"], title, f["plain"], value[len(title) :], fmt)
            else:
                ws.write_string(xr, ci, value, fmt)
        height = max(_lines(v, widths[ci]) for ci, v in enumerate(row.cells))
        ws.set_row(xr, height * LINE_HEIGHT + 4)
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
    """The workbook: the first table, then one sheet per further table (e.g. per department).

    From CONSTANT_MEMORY_ROWS rows on, xlsxwriter's constant_memory mode writes it (every sheet is written row by
    row, top to bottom, so nothing changes but the strings being stored in their cells instead of a shared table).
    """
    large = sum(len(t.rows) for t in tables) >= CONSTANT_MEMORY_ROWS
    if not large:
        buf = io.BytesIO()
        _fill(new_workbook(buf), tables)
        return buf.getvalue()
    with tempfile.TemporaryDirectory(prefix="kb-xlsx-") as tmp:
        path = os.path.join(tmp, "export.xlsx")
        _fill(new_workbook(path, constant_memory=True), tables)
        with open(path, "rb") as fh:
            return fh.read()


def _fill(wb, tables: list[Table]) -> None:
    f = _formats(wb)
    used: set[str] = set()
    for table in tables:
        write_table(wb, wb.add_worksheet(_sheet_name(table.sheet, used)), table, f)
    wb.set_properties({"title": tables[0].title, "author": "规划措施知识库", "comments": "Plan KB export"})
    wb.close()
