"""Office tables of the monitoring work (统计监测指标体系, 终期评估表) as xlsx sheets and Word tables.

Cells follow the one xlsx policy of kb.exports.safety (text is always a text cell, never a formula or URL)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from kb.exports.safety import new_workbook, write_cell


@dataclass
class Sheet:
    """One titled table: header, rows, column widths (characters) and notes printed under it."""

    name: str
    title: str
    header: list[str]
    rows: list[list[Any]]
    widths: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def to_xlsx(sheets: list[Sheet]) -> bytes:
    """The sheets as one workbook: a bold title row, a shaded header, wrapped bordered cells, frozen header."""
    buf = io.BytesIO()
    wb = new_workbook(buf)
    title = wb.add_format({"bold": True, "font_size": 14, "font_name": "黑体"})
    head = wb.add_format(
        {"bold": True, "bg_color": "#DDE7F0", "border": 1, "text_wrap": True, "valign": "vcenter", "align": "center"}
    )
    cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top", "font_name": "宋体"})
    for sh in sheets:
        ws = wb.add_worksheet(sh.name[:31])
        write_cell(ws, 0, 0, sh.title, title)
        for c, h in enumerate(sh.header):
            write_cell(ws, 2, c, h, head)
        for r, row in enumerate(sh.rows, start=3):
            for c, value in enumerate(row):
                write_cell(ws, r, c, value, cell)
        for c, w in enumerate(sh.widths):
            ws.set_column(c, c, w)
        ws.freeze_panes(3, 0)
        for i, note in enumerate(sh.notes):
            write_cell(ws, len(sh.rows) + 4 + i, 0, note)
    wb.close()
    return buf.getvalue()


def to_docx(sheets: list[Sheet]) -> bytes:
    """The sheets as one landscape Word document, one titled table each, in the office fonts."""
    from kb.monitoring.annual_docx import save, table_docx

    doc = None
    for i, sh in enumerate(sheets):
        if doc is not None and i:
            doc.add_page_break()
        doc = table_docx(sh.title, sh.header, sh.rows, landscape=True, notes=sh.notes, doc=doc)
    return save(doc)
