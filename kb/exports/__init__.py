"""The 任务分解责任清单 exports: layouts (rows.py, over table.py) rendered as xlsx, docx, csv, Markdown or JSON."""

from __future__ import annotations

import datetime as _dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from kb.exports.rows import LAYOUTS, Selection
from kb.exports.safety import ascii_filename, content_disposition, safe_filename
from kb.exports.table import ExportError, Filters, Table
from kb.store import KB

FORMATS = ("xlsx", "docx", "csv", "md", "json")
MIMETYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "csv": "text/csv; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json; charset=utf-8",
}

__all__ = [
    "FORMATS",
    "LAYOUTS",
    "MIMETYPES",
    "Export",
    "ExportError",
    "Filters",
    "Table",
    "build_tables",
    "content_disposition",
    "export",
    "render",
    "write",
]


@dataclass
class Export:
    """A produced file: bytes, a safe (Chinese) file name, an ASCII fallback name, MIME type, row count."""

    data: bytes
    filename: str
    ascii_filename: str
    mimetype: str
    rows: int
    tables: list[Table]

    @property
    def content_disposition(self) -> str:
        return content_disposition(self.filename, self.ascii_filename)


def _writer(fmt: str) -> Callable[[list[Table], BinaryIO], None]:
    """The write function of a format, imported on first use (xlsxwriter/python-docx load lazily)."""
    if fmt == "xlsx":
        from kb.exports.xlsx import write_xlsx

        return write_xlsx
    if fmt == "docx":
        from kb.exports.docx import write_docx

        return write_docx
    from kb.exports import csv_md

    return {"csv": csv_md.write_csv, "md": csv_md.write_md, "json": csv_md.write_json}[fmt]


def build_tables(
    kb: KB, layout: str, filters: Filters, per_dept_sheets: bool = False, date: _dt.date | None = None
) -> list[Table]:
    """The main table of a layout, then (per_dept_sheets) one department list per department involved."""
    sel = Selection(kb, filters)
    tables = [sel.table(layout)]
    tables[0].meta["tags"] = sel.tags()
    if per_dept_sheets:
        tables += [t for t in sel.department_tables() if t.department != tables[0].department]
    day = date or _dt.date.today()
    for t in tables:
        t.meta["date"] = f"{day.year}年{day.month}月{day.day}日"
    return tables


def render(tables: list[Table], fmt: str) -> bytes:
    """Bytes of the tables in one format."""
    buf = io.BytesIO()
    write(tables, fmt, buf)
    return buf.getvalue()


def write(tables: list[Table], fmt: str, out: BinaryIO) -> None:
    """The tables in one format into a binary file, written as they are rendered (never whole in memory)."""
    if fmt not in FORMATS:
        raise ExportError(f"不支持的格式:{fmt}(可选:{'、'.join(FORMATS)})", list(FORMATS))
    _writer(fmt)(tables, out)


def export(
    kb: KB,
    layout: str = "plan",
    fmt: str = "xlsx",
    filters: Filters | None = None,
    per_dept_sheets: bool = False,
    date: _dt.date | None = None,
    out: BinaryIO | None = None,
) -> Export:
    """Build and render one export; raises ExportError with a user-facing message for a bad selection.

    With `out`, the file is written into it (never whole in memory) and the Export holds no data."""
    if fmt not in FORMATS:
        raise ExportError(f"不支持的格式:{fmt}(可选:{'、'.join(FORMATS)})", list(FORMATS))
    tables = build_tables(kb, layout, filters or Filters(), per_dept_sheets, date)
    main = tables[0]
    name = "-".join([main.title, *(t for t in main.meta.get("tags", []) if t != main.department)])
    filename = safe_filename(name, fmt)
    fallback = ascii_filename(filename, default=f"{layout}-{(date or _dt.date.today()).isoformat()}.{fmt}")
    if out is None:
        data = render(tables, fmt)
    else:
        write(tables, fmt, out)
        data = b""
    return Export(data, filename, fallback, MIMETYPES[fmt], len(main.rows), tables)
