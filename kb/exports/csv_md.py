"""Plain formats: csv (UTF-8 with BOM for Excel, formula-safe), Markdown tables, and the list as JSON."""

from __future__ import annotations

import csv
import io
import json

from kb.exports.safety import neutralise
from kb.exports.table import Table


def render_csv(tables: list[Table]) -> bytes:
    """The first table as csv: header then rows, every cell neutralised; the BOM makes Excel read UTF-8."""
    table = tables[0]
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([c.name for c in table.columns])
    for row in table.rows:
        w.writerow([neutralise(v) for v in row.cells])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _md_cell(value: str) -> str:
    """A cell that cannot break the table or inject HTML: pipes escaped, line breaks as <br>."""
    value = value.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")
    return "<br>".join(part.strip() for part in value.split("\n"))


def render_md(tables: list[Table]) -> bytes:
    """Each table as a titled GitHub-style Markdown table."""
    out = []
    for i, table in enumerate(tables):
        out.append(f"{'#' if i == 0 else '##'} {_md_cell(table.title)}\n\n{_md_cell(table.caption())}\n")
        out.append("| " + " | ".join(c.name for c in table.columns) + " |")
        out.append("|" + "|".join(":---:" if not c.wrap else "---" for c in table.columns) + "|")
        task = next((i for i, c in enumerate(table.columns) if c.key == "task"), None)
        for row in table.rows:
            cells = [_md_cell(v) for v in row.cells]
            if task is not None and row.title and row.cells[task].startswith(row.title):
                cells[task] = f"**{_md_cell(row.title)}**" + cells[task][len(_md_cell(row.title)) :]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    return "\n".join(out).encode("utf-8")


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


def render_json(tables: list[Table]) -> bytes:
    """The list as JSON; further tables (per department) under "sheets"."""
    data = table_json(tables[0])
    if len(tables) > 1:
        data["sheets"] = [table_json(t) for t in tables[1:]]
    return json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
