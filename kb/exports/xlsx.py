"""xlsx rendering: title row, frozen bold header, A4 landscape print setup, a sortable filter range.

Inside the autofilter range no cell is merged (a merged 领域 or 本单位职责 block filters to its first row and stops
Excel sorting): every row repeats its values. 序号 is a number, so Excel neither warns nor sorts it as text.
xlsxwriter writes the workbook; the data rows are written as XML straight into each sheet (write_xlsx).
"""

from __future__ import annotations

import io
import math
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO
from xml.sax.saxutils import escape

from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from kb.exports.package import Pieces, write_package
from kb.exports.safety import is_formula_like, new_workbook, xml_clean
from kb.exports.table import Table, display_width

BODY_FONT, HEAD_FONT = "仿宋", "黑体"
FONT_SIZE = 10.5
LINE_HEIGHT = 13.0  # points per wrapped line at FONT_SIZE
HEADER_ROW = 2  # title row 0, caption row 1, header row 2, data from row 3
MAX_FIT = 40  # a non-wrapping column grows to its content up to this width
MIN_WRAP = 8  # a wrapping column never shrinks below this (header words stay on one or two lines)
STRMAX = 32767  # Excel's limit of a cell's text, in UTF-16 units
BODY_FORMATS = ("cell", "center", "cell_q", "center_q")
Cell = tuple[str, "str | int", str]  # (format key, value, bold lead-in of the task cell)
_SHEET = re.compile(r"xl/worksheets/sheet(\d+)\.xml")
_DIMENSION = re.compile(r'<dimension ref="[^"]*"/>')
_ESCAPED = re.compile("(_x[0-9a-fA-F]{4}_)")  # a literal Excel escape, itself escaped (as xlsxwriter does)


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
    if "\n" not in text:  # most cells: one paragraph, measured without splitting
        return max(1, math.ceil(display_width(text) / usable))
    return sum(max(1, math.ceil(display_width(part) / usable)) for part in text.split("\n"))


def _fit(value: str) -> str:
    """The text cut to Excel's 32,767 UTF-16 units per cell (what xlsxwriter's write_string keeps)."""
    if len(value) <= STRMAX // 2:
        return value
    units = value.encode("utf-16-le")
    return value if len(units) <= 2 * STRMAX else units[: 2 * STRMAX].decode("utf-16-le", errors="ignore")


def _body(table: Table, widths: list[float]) -> Iterator[tuple[list[Cell], float]]:
    """Each data row as (cells, height in points), a cell as (format key, value, bold lead-in): what either writer
    puts in the sheet. 序号 is a number; a formula-like text is quote-prefixed; the task's title is bold.

    The height is an estimate (a Chinese character = 2 width units, as Excel measures) that errs on the roomy
    side: LibreOffice keeps the default height of a row with wrapped text.
    """
    centered = [not c.wrap or c.key in table.merge for c in table.columns]
    keys = [c.key for c in table.columns]
    for row in table.rows:
        title = xml_clean(row.title)
        cells: list[Cell] = []
        for ci, raw in enumerate(row.cells):
            value = _fit(xml_clean(raw))
            if keys[ci] == "no" and value.isdigit():
                cells.append(("center", int(value), ""))
                continue
            fkey = ("center" if centered[ci] else "cell") + ("_q" if is_formula_like(value) else "")
            bold = keys[ci] == "task" and title and value.startswith(title) and len(value) > len(title)
            cells.append((fkey, value, title if bold else ""))
        yield cells, max(_lines(v, widths[ci]) for ci, v in enumerate(row.cells)) * LINE_HEIGHT + 4


def _frame(ws, table: Table, f: dict, widths: list[float]) -> None:
    """Everything of a sheet but its data rows: widths, title, caption, header, panes, filter, print setup."""
    n = len(table.columns)
    for ci, w in enumerate(widths):
        ws.set_column(ci, ci, w)
    ws.merge_range(0, 0, 0, n - 1, xml_clean(table.title), f["title"])
    ws.set_row(0, 30)
    ws.merge_range(1, 0, 1, n - 1, xml_clean(table.caption()), f["caption"])
    ws.set_row(1, 20)
    for ci, col in enumerate(table.columns):
        ws.write_string(HEADER_ROW, ci, col.name, f["header"])
    ws.set_row(HEADER_ROW, 22)
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


def _workbook(
    wb, tables: list[Table], fill: Callable[[Any, Table, dict, list[float]], None]
) -> tuple[dict, list[list[float]]]:
    """Each table framed on its own sheet, `fill` adding what goes below the header; the workbook closed.
    Returns the formats and each sheet's column widths."""
    f = _formats(wb)
    used: set[str] = set()
    widths = [_widths(table) for table in tables]
    for table, w in zip(tables, widths, strict=True):
        ws = wb.add_worksheet(_sheet_name(table.sheet, used))
        _frame(ws, table, f, w)
        fill(ws, table, f, w)
    wb.set_properties({"title": tables[0].title, "author": "规划措施知识库", "comments": "Plan KB export"})
    wb.close()
    return f, widths


def _cells_by_xlsxwriter(ws, table: Table, f: dict, widths: list[float]) -> None:
    for ri, (cells, height) in enumerate(_body(table, widths)):
        xr = HEADER_ROW + 1 + ri
        for ci, (fkey, value, bold) in enumerate(cells):
            if isinstance(value, int):
                ws.write_number(xr, ci, value, f[fkey])
            elif bold:
                ws.write_rich_string(xr, ci, f["bold"], bold, f["plain"], value[len(bold) :], f[fkey])
            else:
                ws.write_string(xr, ci, value, f[fkey])
        ws.set_row(xr, height)


def render_by_xlsxwriter(tables: list[Table], constant_memory: bool = False) -> bytes:
    """The workbook written cell by cell through xlsxwriter: the reference write_xlsx is checked against (tests,
    bench/export_bench.py), 10x slower on a province's list."""
    if not constant_memory:
        buf = io.BytesIO()
        _workbook(new_workbook(buf), tables, _cells_by_xlsxwriter)
        return buf.getvalue()
    with tempfile.TemporaryDirectory(prefix="kb-xlsx-") as tmp:
        path = os.path.join(tmp, "export.xlsx")
        _workbook(new_workbook(path, constant_memory=True), tables, _cells_by_xlsxwriter)
        with open(path, "rb") as fh:
            return fh.read()


def _prototypes(ws, table: Table, f: dict, widths: list[float]) -> None:
    """One blank cell per body format below the header, so that each format gets its style index."""
    for i, key in enumerate(BODY_FORMATS):
        ws.write_blank(HEADER_ROW + 1 + i, 0, None, f[key])


def _rpr(fmt) -> str:
    """A rich-text run's font, as xlsxwriter writes it for this format."""
    bold = "<b/>" if fmt.bold else ""
    return f'<rPr>{bold}<sz val="{fmt.font_size}"/><color theme="1"/><rFont val="{fmt.font_name}"/>' + (
        f'<family val="{fmt.font_family}"/></rPr>'
    )


def _t(value: str) -> str:
    """A <t> element as xlsxwriter writes one: a literal _xHHHH_ and a carriage return in Excel's own escape,
    & < > escaped, whitespace at either end preserved."""
    if "_x" in value:
        value = _ESCAPED.sub(r"_x005F\1", value)
    if "\r" in value:
        value = value.replace("\r", "_x000D_")
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    return f"<t{space}>{escape(value)}</t>"


def _rows_xml(table: Table, widths: list[float], xf: dict[str, int], rpr: dict[str, str]) -> Iterator[str]:
    """The sheet's data rows as SpreadsheetML, one string per row (strings inline, as constant_memory writes)."""
    letters = [xl_col_to_name(ci) for ci in range(len(table.columns))]
    for ri, (cells, height) in enumerate(_body(table, widths)):
        r = HEADER_ROW + 2 + ri
        ht = int(height * 4.0 / 3.0 + 0.5) * 0.75  # xlsxwriter's set_row: points to whole pixels and back
        out = [f'<row r="{r}" ht="{ht:.16g}" customHeight="1">']
        for ci, (fkey, value, bold) in enumerate(cells):
            at = f'<c r="{letters[ci]}{r}" s="{xf[fkey]}"'
            if isinstance(value, int):
                out.append(f"{at}><v>{value:.16G}</v></c>")
            elif bold:
                runs = f"<r>{rpr['bold']}{_t(bold)}</r><r>{rpr['plain']}{_t(value[len(bold) :])}</r>"
                out.append(f'{at} t="inlineStr"><is>{runs}</is></c>')
            else:
                out.append(f'{at} t="inlineStr"><is>{_t(value)}</is></c>')
        out.append("</row>")
        yield "".join(out)


def write_xlsx(tables: list[Table], out: BinaryIO) -> None:
    """The workbook into `out`, each sheet's data rows written as XML straight into the zip member.

    xlsxwriter writes everything else (styles, sheet frames, workbook, print names) with blank prototype cells
    standing where the data goes; only the data rows of each sheet are replaced, streamed in chunks, so memory
    stays flat and the per-cell cost is one string format (xlsxwriter's cell path was 90% of a province's export).
    """
    template = io.BytesIO()
    f, widths = _workbook(new_workbook(template), tables, _prototypes)
    xf = {k: f[k].xf_index for k in BODY_FORMATS}
    rpr = {k: _rpr(f[k]) for k in ("bold", "plain")}

    def rewrite(name: str) -> Pieces | None:
        sheet = _SHEET.fullmatch(name)
        if sheet is None:
            return None
        i = int(sheet[1]) - 1
        return lambda xml: _sheet(xml, tables[i], widths[i], xf, rpr)

    write_package(template, out, rewrite)


def _sheet(xml: str, table: Table, widths: list[float], xf: dict[str, int], rpr: dict[str, str]) -> Iterator[str]:
    """A sheet's XML with its data rows in place of the prototype cells, and its dimension from A1 to the end."""
    head, tail = xml[: xml.index(f'<row r="{HEADER_ROW + 2}"')], xml[xml.index("</sheetData>") :]
    end = xl_rowcol_to_cell(HEADER_ROW + len(table.rows), len(table.columns) - 1)
    yield _DIMENSION.sub(f'<dimension ref="A1:{end}"/>', head, count=1)
    yield from _rows_xml(table, widths, xf, rpr)
    yield tail
