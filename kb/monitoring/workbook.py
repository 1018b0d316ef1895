"""Bulk entry of observations through an xlsx template: generate it, then import it all-or-nothing."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

from kb import monitoring as mon
from kb.exports.safety import WorkbookRefused, new_workbook, open_xlsx, write_cell, write_cells
from kb.monitoring import observations as obsdb
from kb.monitoring import values as mvalues

SHEET = "监测数据"
META_SHEET = "_meta"
TEMPLATE_KIND = "plan-kb-monitoring-template"
FIXED = ["指标编号", "指标", "目标", "单位", "目标年度", "责任单位"]
SOURCE = "数据来源"
CLEAR_WORDS = {"删除", "清除"}
MAX_ROWS = 5000  # indicator rows; a template has one per indicator (a few hundred)
MAX_CELLS = 200_000  # cells read in all before the import is refused (rows × columns, blanks included)
MAX_UPLOAD = 8 << 20  # bytes of the file itself


@dataclass(frozen=True)
class CellError:
    """A problem at one cell (1-based row, column letter) of the uploaded sheet."""

    row: int
    col: str
    message: str

    def __str__(self) -> str:
        return f"第{self.row}行 {self.col}列: {self.message}" if self.row else self.message


class ImportRejected(obsdb.ObservationError):
    """The file was refused as a whole; nothing was written."""

    def __init__(self, errors: list[CellError]):
        self.errors = errors
        more = f"(另有 {len(errors) - 20} 处)" if len(errors) > 20 else ""
        super().__init__(
            f"导入被拒绝,共 {len(errors)} 处问题,未写入任何数据:\n" + "\n".join(str(e) for e in errors[:20]) + more
        )


def col_letter(idx: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    out = ""
    idx += 1
    while idx:
        idx, r = divmod(idx - 1, 26)
        out = chr(65 + r) + out
    return out


def template_years(index: dict[str, dict[str, Any]]) -> list[int]:
    """Every year any indicator can be observed in (one column each)."""
    return sorted({y for ind in index.values() for y in mvalues.years_of(ind)})


def template(index: dict[str, dict[str, Any]], anchored: dict[str, dict[int, dict]]) -> bytes:
    """The xlsx template: one row per indicator, one column per year, filled with the current values."""
    years = template_years(index)
    buf = io.BytesIO()
    wb = new_workbook(buf)  # text cells stay text: a reviewer's 数据来源 or the plan's "=36月龄" is never a formula
    ws = wb.add_worksheet(SHEET)
    head = wb.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1, "text_wrap": True, "valign": "top"})
    fixed = wb.add_format({"bg_color": "#F3F3F3", "border": 1, "text_wrap": True, "valign": "top"})
    cell = wb.add_format({"border": 1, "num_format": "General", "bg_color": "#FFFFFF"})
    closed = wb.add_format({"border": 1, "bg_color": "#BFBFBF"})
    header = FIXED + [str(y) for y in years] + [SOURCE]
    write_cells(ws, 0, 0, header, head)
    for r, (ind_id, ind) in enumerate(index.items(), start=1):
        rows = anchored.get(ind_id, {})
        unit = mon.observation_unit(ind) or next((x["unit"] for x in rows.values() if x["unit"]), None) or ""
        write_cells(
            ws,
            r,
            0,
            [
                ind_id,
                ind["name"],
                mon.target_text(ind, ind["period"]),
                unit,
                mon.target_year(ind, ind["period"]),
                "、".join(ind["owners"]),
            ],
            fixed,
        )
        own_years = set(mvalues.years_of(ind))
        for c, y in enumerate(years, start=len(FIXED)):
            if y not in own_years:
                ws.write_blank(r, c, None, closed)
            elif y in rows:
                ws.write_number(r, c, rows[y]["value"], cell)
            else:
                ws.write_blank(r, c, None, cell)
        sources = sorted({x["source"] for x in rows.values() if x["source"]})
        write_cell(ws, r, len(FIXED) + len(years), "; ".join(sources), cell)
    ws.freeze_panes(1, 2)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 30)
    ws.set_column(2, 5, 14)
    ws.set_column(len(FIXED), len(FIXED) + len(years) - 1, 9)
    ws.set_column(len(FIXED) + len(years), len(FIXED) + len(years), 28)
    _instructions(wb.add_worksheet("说明"), years)
    meta = wb.add_worksheet(META_SHEET)
    for i, (k, v) in enumerate(
        zip(["kind", "version", "generated_at"], [TEMPLATE_KIND, "1", datetime.now().isoformat(timespec="seconds")])
    ):
        write_cells(meta, i, 0, [k, v])
    meta.hide()
    wb.close()
    return buf.getvalue()


def _instructions(ws, years: list[int]) -> None:
    lines = [
        "监测数据导入模板说明",
        "1. 每行一个指标,每列一个年度;只填写数值(如 95 或 95%),单位以“单位”列为准。",
        "2. 比率以“单位”列的单位填写:目标为‰的指标不能填%(1% = 10‰),请先换算。",
        "3. 留空表示不修改该年度数据;填写“删除”表示清除该年度已有数据。灰色单元格不在该指标的监测期内,不能填写。",
        "4. “数据来源”列适用于该行本次填写的所有数值。",
        "5. 请勿修改“指标编号”列和表头。导入时逐格校验,任何一处有误则整个文件不导入,并列出问题所在的行和列。",
        f"6. 年度范围: {years[0]}–{years[-1]} 年(首年为基线年)。",
    ]
    ws.set_column(0, 0, 110)
    for i, line in enumerate(lines):
        write_cell(ws, i, 0, line)


def _open(data: bytes | BinaryIO):
    """The uploaded workbook (checked as a zip, then streamed), or an ImportRejected saying why not."""
    raw = data if isinstance(data, bytes) else data.read(MAX_UPLOAD + 1)
    if len(raw) > MAX_UPLOAD:
        raise ImportRejected([CellError(0, "", f"文件过大(最多 {MAX_UPLOAD >> 20} MB)")])
    try:
        return open_xlsx(raw)
    except WorkbookRefused as exc:
        raise ImportRejected([CellError(0, "", f"无法读取文件: {exc}")]) from None


def read_import(
    data: bytes | BinaryIO, index: dict[str, dict[str, Any]], anchored: dict[str, dict[int, dict]]
) -> list[obsdb.Entry]:
    """Validate every cell of an uploaded template; all entries, or ImportRejected listing each problem."""
    wb = _open(data)
    if SHEET not in wb.sheetnames:
        raise ImportRejected([CellError(0, "", f"找不到工作表“{SHEET}”,请使用系统生成的模板")])
    ws = wb[SHEET]
    if (ws.max_row or 0) > MAX_ROWS + 1:  # the declared size; the real rows are counted while streaming too
        raise ImportRejected([CellError(0, "", f"行数过多({ws.max_row}),最多 {MAX_ROWS} 行")])
    errors: list[CellError] = []
    cols = _header(ws, errors)
    if errors or cols is None:
        raise ImportRejected(errors)
    id_col, year_cols, source_col = cols
    entries: list[obsdb.Entry] = []
    seen: dict[str, int] = {}
    cells = 0
    for r, row in enumerate(ws.iter_rows(min_row=2), start=2):
        cells += len(row)
        if r > MAX_ROWS + 1 or cells > MAX_CELLS:
            raise ImportRejected([CellError(r, "", f"表格过大(最多 {MAX_ROWS} 行、{MAX_CELLS} 个单元格)")])
        values = dict(enumerate(row))  # read-only rows start at column A, one cell per column
        ind_cell = values.get(id_col)
        ind_id = str(ind_cell.value).strip() if ind_cell is not None and ind_cell.value is not None else ""
        filled = [c for c, _y in year_cols if values.get(c) is not None and _blank(values[c].value) is False]
        if not ind_id:
            if filled:
                errors.append(CellError(r, col_letter(id_col), "缺少指标编号"))
            continue
        ind = index.get(ind_id)
        if ind is None:
            errors.append(
                CellError(r, col_letter(id_col), f"没有这个指标编号“{ind_id}”(规划重建后编号可能变化,请重新下载模板)")
            )
            continue
        if ind_id in seen:
            errors.append(CellError(r, col_letter(id_col), f"指标编号与第{seen[ind_id]}行重复"))
            continue
        seen[ind_id] = r
        source_cell = values.get(source_col) if source_col is not None else None
        source = str(source_cell.value).strip() if source_cell is not None and source_cell.value is not None else ""
        known = next((x["unit"] for x in anchored.get(ind_id, {}).values() if x["unit"]), None)
        for c, year in year_cols:
            cellobj = values.get(c)
            if cellobj is None or _blank(cellobj.value):
                continue
            where = CellError(r, col_letter(c), "")
            try:
                entry = _cell_entry(ind, year, cellobj, source, known)
            except obsdb.ObservationError as exc:
                errors.append(CellError(where.row, f"{where.col}", f"({year}年) {exc}"))
                continue
            known = known or entry.unit
            stored = anchored.get(ind_id, {}).get(year)
            if stored is None and entry.value is None:
                continue
            if stored is not None and (stored["value"], stored["unit"]) == (entry.value, entry.unit):
                continue  # unchanged cell: keep its source and note (the row's source is for changed cells)
            entries.append(entry)
    if errors:
        raise ImportRejected(errors)
    return entries


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _header(ws, errors: list[CellError]) -> tuple[int, list[tuple[int, int]], int | None] | None:
    """Locate the id column, the year columns and the source column in row 1; report unknown headers."""
    id_col, source_col, year_cols = None, None, []
    for c, cell in enumerate(next(ws.iter_rows(min_row=1, max_row=1), ())):
        text = "" if cell.value is None else str(cell.value).strip()
        if text == FIXED[0]:
            id_col = c
        elif text == SOURCE:
            source_col = c
        elif text.endswith(".0") and text[:-2].isdigit():
            year_cols.append((c, int(text[:-2])))
        elif text.isdigit() and len(text) == 4:
            year_cols.append((c, int(text)))
        elif text and text not in FIXED:
            errors.append(
                CellError(1, col_letter(c), f"无法识别的列标题“{text}”(模板的列: {', '.join(FIXED)}、年度、{SOURCE})")
            )
    if id_col is None:
        errors.append(CellError(1, "A", f"缺少“{FIXED[0]}”列,请使用系统生成的模板"))
    if not year_cols:
        errors.append(CellError(1, col_letter(len(FIXED)), "缺少年度列(如 2021)"))
    dup = {y for _c, y in year_cols if [yy for _cc, yy in year_cols].count(y) > 1}
    for c, y in year_cols:
        if y in dup:
            errors.append(CellError(1, col_letter(c), f"年度列 {y} 重复"))
    return None if id_col is None else (id_col, year_cols, source_col)


def _cell_entry(ind: dict[str, Any], year: int, cellobj, source: str, known: str | None) -> obsdb.Entry:
    """One non-empty year cell → Entry; a cell formatted as percent (0.95 shown as 95%) counts as 95%."""
    v = cellobj.value
    if isinstance(v, str) and v.strip() in CLEAR_WORDS:
        if year not in mvalues.years_of(ind):
            raise obsdb.ObservationError("该年度不在此指标的监测期内")
        return obsdb.Entry(ind["id"], year, None, source=source)
    if isinstance(v, datetime):
        raise obsdb.ObservationError(f"单元格是日期“{v:%Y-%m-%d}”,应为数值")
    if isinstance(v, (int, float)) and not isinstance(v, bool) and "%" in (cellobj.number_format or ""):
        v = f"{v * 100:.10g}%"
    return mvalues.make_entry(ind, year, v, source=source, known_unit=known)


def import_file(data: bytes | BinaryIO, by: str, index: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Validate the whole file, then write every change in one transaction (nothing on any error)."""
    index = index if index is not None else obsdb.indicator_index()
    anchored, _orphans = obsdb.load(index)
    entries = read_import(data, index, anchored)
    return obsdb.write(entries, by, index, reason="xlsx 批量导入")
