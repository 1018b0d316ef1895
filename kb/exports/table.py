"""The export table model: columns, rows, the format-free table, the office rules file and the column sets."""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "exports.json"


class ExportError(ValueError):
    """A selection that cannot be exported (unknown name, nothing selected); the message is for the user."""

    def __init__(self, message: str, suggestions: list[str] | None = None, status: int = 400):
        super().__init__(message)
        self.message, self.suggestions, self.status = message, suggestions or [], status


@dataclass
class Filters:
    """What to export: every field optional; role needs a department."""

    plan: str | None = None
    domain: str | None = None
    kind: str | None = None
    dept: str | None = None
    role: str | None = None
    reviewed_only: bool = False
    ids: bool = False  # the 编号 column (internal item ids) only when asked for


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    """Office column set and punctuation map from kb/data/exports.json."""
    return json.loads(RULES_FILE.read_text(encoding="utf-8"))


@dataclass
class Column:
    """A column: header, key, width in Latin characters (a Chinese character counts 2), text wraps."""

    name: str
    key: str
    width: float
    wrap: bool = True


@dataclass
class Row:
    """One line of the list; `title` is the bold lead-in of the task cell, `item` the KB item it comes from."""

    cells: list[str]
    item: str
    title: str = ""
    role: str | None = None
    values: dict[str, str] = field(default_factory=dict)  # every cell by column key, shown or not


@dataclass
class Table:
    """A rendered-format-independent list: title rows, header, body rows and which columns merge."""

    layout: str
    title: str
    subtitle: str
    sheet: str
    columns: list[Column]
    rows: list[Row]
    merge: tuple[str, ...] = ()
    department: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def caption(self) -> str:
        """The line under the title: who/what was selected, how many rows, export date."""
        parts = [
            self.subtitle,
            f"共 {len(self.rows)} 项",
            f"导出日期:{self.meta['date']}" if self.meta.get("date") else "",
        ]
        return "  ".join(p for p in parts if p)

    def project(self, keys: list[str], extra: dict[str, Column] | None = None) -> Table:
        """The same table with only these columns (in this order); `extra` defines keys the rows carry unshown."""
        by_key = {c.key: c for c in self.columns}
        for k, col in (extra or {}).items():
            if any(k in r.values for r in self.rows):
                by_key.setdefault(k, col)
        cols = [by_key[k] for k in keys if k in by_key]
        rows: list[Row] = []
        for r in self.rows:
            values = dict(zip((c.key for c in self.columns), r.cells, strict=False)) | r.values
            rows.append(Row([values.get(c.key, "") for c in cols], r.item, r.title, r.role, values))
        merge = tuple(k for k in self.merge if k in {c.key for c in cols})
        return Table(self.layout, self.title, self.subtitle, self.sheet, cols, rows, merge, self.department, self.meta)

    def records(self) -> list[dict[str, str]]:
        """Rows as {header: value} dicts (json/Markdown use)."""
        return [dict(zip((c.name for c in self.columns), r.cells, strict=False)) for r in self.rows]

    def merge_runs(self) -> dict[int, list[tuple[int, int]]]:
        """column index → (first, last) row ranges of equal adjacent values; an outer merge column bounds inner ones."""
        out: dict[int, list[tuple[int, int]]] = {}
        bounds: set[int] = set()
        for key in self.merge:
            ci = next(i for i, c in enumerate(self.columns) if c.key == key)
            runs, start = [], 0
            for r in range(1, len(self.rows) + 1):
                if r == len(self.rows) or r in bounds or self.rows[r].cells[ci] != self.rows[start].cells[ci]:
                    if r - 1 > start:
                        runs.append((start, r - 1))
                    bounds.add(r)
                    start = r
            out[ci] = runs
        return out


ID_COLUMN = Column("编号", "id", 14, False)
PLAN_COLUMNS = [
    Column("序号", "no", 6, False),
    Column("领域", "domain", 10),
    Column("类别", "kind", 9),
    Column("目标任务", "task", 70),
    Column("牵头单位", "lead", 18),
    Column("责任单位", "co", 22),
    Column("服务目标", "serves", 30),
    Column("指标", "indicators", 24),
    Column("完成时限", "deadline", 10),
    Column("状态", "status", 9),
    Column("依据", "basis", 30),  # per body: 明确/推断(高)/推断(低)/待确认 and its evidence words (added last)
]
DEPT_COLUMNS = [PLAN_COLUMNS[0], Column("本单位职责", "role", 8), *PLAN_COLUMNS[1:]]
REMARK_COLUMN = Column("备注", "remark", 24)  # the 公文 list's last column: indicators and goals served


def with_ids(columns: list[Column], ids: bool) -> list[Column]:
    """The columns, with 编号 after 类别 when internal ids were asked for."""
    if not ids:
        return columns
    at = next(i for i, c in enumerate(columns) if c.key == "kind") + 1
    return [*columns[:at], ID_COLUMN, *columns[at:]]


INDICATOR_COLUMNS = [
    Column("序号", "no", 6, False),
    Column("领域", "domain", 10),
    Column("指标", "name", 30),
    Column("目标值", "target", 18),
    Column("完成时限", "deadline", 10),
    Column("牵头单位", "lead", 14),
    Column("责任单位", "co", 22),
    Column("所属条目", "item", 36),
    Column("相关措施", "measures", 40),
    Column("状态", "status", 9),
]


_WIDTH: dict[str, int] = {}  # character → its width, filled as characters are met


def display_width(text: str) -> int:
    """Width of a line in Latin-character units: CJK and full-width characters count 2."""
    if text.isascii():
        return len(text)
    try:
        return sum(map(_WIDTH.__getitem__, text))  # summed in C: exports measure every line of every cell
    except KeyError:  # a character not met before: each one's width is looked up once per process
        for ch in set(text).difference(_WIDTH):
            _WIDTH[ch] = 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        return sum(map(_WIDTH.__getitem__, text))
