"""Plain formats: csv (UTF-8 with BOM for Excel, formula-safe), Markdown tables, and the list as JSON."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import BinaryIO

from kb.exports.safety import neutralise
from kb.exports.table import Table


def write_csv(tables: list[Table], out: BinaryIO) -> None:
    """The first table as csv: header then rows, every cell neutralised; the BOM makes Excel read UTF-8."""
    table = tables[0]
    with _text(out) as fh:
        fh.write("\ufeff")
        w = csv.writer(fh, lineterminator="\r\n")
        w.writerow([c.name for c in table.columns])
        for row in table.rows:
            w.writerow([neutralise(v) for v in row.cells])


@contextmanager
def _text(out: BinaryIO) -> Iterator[io.TextIOWrapper]:
    """UTF-8 text written into `out` as it comes, `out` left open."""
    fh = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        yield fh
    finally:
        fh.flush()
        fh.detach()


def _md_cell(value: str) -> str:
    """A cell that cannot break the table or inject HTML: pipes escaped, line breaks as <br>."""
    value = value.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return "<br>".join(part.strip() for part in value.split("\n"))


def write_md(tables: list[Table], out: BinaryIO) -> None:
    """Each table as a titled GitHub-style Markdown table, the tables a blank line apart."""
    with _text(out) as fh:
        for i, table in enumerate(tables):
            if i:
                fh.write("\n")
            fh.write(f"{'#' if i == 0 else '##'} {_md_cell(table.title)}\n\n{_md_cell(table.caption())}\n\n")
            fh.write("| " + " | ".join(c.name for c in table.columns) + " |\n")
            fh.write("|" + "|".join(":---:" if not c.wrap else "---" for c in table.columns) + "|\n")
            task = next((i for i, c in enumerate(table.columns) if c.key == "task"), None)
            for row in table.rows:
                cells = [_md_cell(v) for v in row.cells]
                if task is not None and row.title and row.cells[task].startswith(row.title):
                    cells[task] = f"**{_md_cell(row.title)}**" + cells[task][len(_md_cell(row.title)) :]
                fh.write("| " + " | ".join(cells) + " |\n")


def table_json(table: Table) -> dict:
    """One table as plain data: title, caption, column names, records and the KB item of each row."""
    return {
        "layout": table.layout,
        "title": table.title,
        "caption": table.caption(),
        "department": table.department,
        "columns": [c.name for c in table.columns],
        "rows": table.records(),
        "items": [r.item for r in table.rows],
    }


def write_json(tables: list[Table], out: BinaryIO) -> None:
    """The list as JSON; further tables (per department) under "sheets"."""
    data = table_json(tables[0])
    if len(tables) > 1:
        data["sheets"] = [table_json(t) for t in tables[1:]]
    with _text(out) as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1)
