"""The offline packet read back (kb/progress/packet.py writes it): every cell validated, problems named by row and
column, then the changes committed all-or-nothing after the preview."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from dataclasses import dataclass
from typing import Any

from kb import monitoring as mon
from kb.exports.safety import WorkbookRefused, check_xlsx
from kb.monitoring import observations as obsdb
from kb.monitoring import values as mvalues
from kb.monitoring.workbook import CellError, ImportRejected, col_letter
from kb.progress import Conflict, ProgressError, rules, state_label, status_code, status_label, store
from kb.progress.board import Board
from kb.progress.packet import (
    EDIT,
    FIXED,
    IND_FIXED,
    IND_SHEET,
    IND_VALUE,
    KIND,
    MAX_BYTES,
    MAX_ROWS,
    META,
    SHEET,
    SUBMIT_WORDS,
    cell_text,
)


@dataclass
class Change:
    """One report the import would write: the fields that differ, before → after."""

    item: str
    title: str
    diffs: list[dict[str, Any]]
    fields: dict[str, Any]
    submit: bool
    version: int

    def as_dict(self) -> dict[str, Any]:
        return {"item": self.item, "title": self.title, "submit": self.submit, "changes": self.diffs}


def open_packet(data: bytes):
    from openpyxl import load_workbook

    if len(data) > MAX_BYTES:
        raise ImportRejected([CellError(0, "", f"文件过大({len(data) // 1024} KB),填报包最大 {MAX_BYTES >> 20} MB")])
    try:
        check_xlsx(data)  # the one xlsx reader policy: zip caps (a zip bomb) before any XML is parsed
    except WorkbookRefused as exc:
        raise ImportRejected([CellError(0, "", f"无法读取文件: {exc}")]) from None
    try:
        return load_workbook(io.BytesIO(data), data_only=False, read_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise ImportRejected([CellError(0, "", f"无法读取文件: 不是有效的 xlsx 文件 ({type(exc).__name__})")]) from None
    except Exception as exc:  # openpyxl's own InvalidFileException and friends on damaged files
        raise ImportRejected([CellError(0, "", f"无法读取文件: {exc}")]) from None


def _main(c: int) -> str:
    """A column of the 进度报告 sheet, named with its sheet as the 指标数值 sheet's are ("第5行 指标数值 G列")."""
    return f"{SHEET} {col_letter(c)}"


def _cell(row: list[Any], cols: dict[str, int], head: str) -> Any:
    c = cols.get(head)
    return row[c] if c is not None and c < len(row) else None


def read_meta(wb) -> dict[str, str]:
    if META not in wb.sheetnames or SHEET not in wb.sheetnames:
        raise ImportRejected([CellError(0, "", "这不是本系统生成的进度填报包(缺少工作表),请重新下载")])
    out = {str(r[0].value): str(r[1].value) for r in wb[META].iter_rows(max_col=2) if r[0].value is not None}
    if out.get("kind") != KIND:
        raise ImportRejected([CellError(0, "", "这不是本系统生成的进度填报包,请重新下载")])
    return out


def _sheet_cells(ws, sheet: str, errors: list[CellError], wanted: list[str]) -> tuple[dict[str, int], list[list[Any]]]:
    """Column index of each known header, and the rows (formula cells refused, named by sheet/row/column)."""
    if ws.max_row > MAX_ROWS + 1:
        errors.append(CellError(0, "", f"工作表“{sheet}”行数过多({ws.max_row}),最多 {MAX_ROWS} 行"))
        return {}, []
    cols: dict[str, int] = {}
    rows: list[list[Any]] = []
    for r, row in enumerate(ws.iter_rows(), start=1):
        values: list[Any] = []
        for c, cellobj in enumerate(row):
            if cellobj.data_type == "f":
                errors.append(CellError(r, f"{sheet} {col_letter(c)}", "单元格包含公式,请只填写文字或数值"))
                values.append(None)
            else:
                values.append(cellobj.value)
        if r == 1:
            cols = {str(v).strip(): c for c, v in enumerate(values) if v is not None}
            missing = [h for h in wanted if h not in cols]
            if missing:
                errors.append(CellError(0, "", f"工作表“{sheet}”第1行缺少列: {'、'.join(missing)}(请勿修改表头)"))
        else:
            rows.append(values)
    return cols, rows


def read(data: bytes, board: Board, department: str, conn: sqlite3.Connection) -> list[Change]:
    """Validate every cell against the department's duties; the changes it would make, or ImportRejected."""
    wb = open_packet(data)
    meta = read_meta(wb)
    errors: list[CellError] = []
    if meta.get("department") != department:
        raise ImportRejected([CellError(0, "", f"这是{meta.get('department')}的填报包,不能导入到{department}")])
    if meta.get("period") != board.period.code or meta.get("plan") != board.plan:
        raise ImportRejected(
            [CellError(0, "", f"这是 {meta.get('period')} 报告期的填报包,当前导入的是 {board.period.code} 报告期")]
        )
    duties = {r["id"]: r for r in board.rows(department)}
    wanted, ind_wanted = [FIXED[0], *EDIT], [IND_FIXED[0], IND_FIXED[1], IND_VALUE]
    cols, rows = _sheet_cells(wb[SHEET], SHEET, errors, wanted)
    ind_cols: dict[str, int] = {}
    ind_rows: list[list[Any]] = []
    if IND_SHEET in wb.sheetnames:
        ind_cols, ind_rows = _sheet_cells(wb[IND_SHEET], IND_SHEET, errors, ind_wanted)
    # Without every header the cells cannot be told apart (a renamed 工作进展 column was a KeyError, a 500):
    # the header errors alone are the answer.
    if errors and (any(h not in cols for h in wanted) or (ind_rows and any(h not in ind_cols for h in ind_wanted))):
        raise ImportRejected(errors)
    values: dict[str, dict[str, Any]] = {}
    for r, row in enumerate(ind_rows, start=2):
        ind_id, item_id, raw = (
            cell_text(_cell(row, ind_cols, IND_FIXED[0])).strip(),
            cell_text(_cell(row, ind_cols, IND_FIXED[1])).strip(),
            _cell(row, ind_cols, IND_VALUE),
        )
        if raw is None or not str(raw).strip():
            continue
        where = f"{IND_SHEET} {col_letter(ind_cols[IND_VALUE])}"
        item = board.s.by_id.get(item_id)
        if item_id not in duties or item is None:
            errors.append(
                CellError(
                    r, f"{IND_SHEET} {col_letter(ind_cols[IND_FIXED[1]])}", f"条目“{item_id}”不是{department}的职责"
                )
            )
            continue
        if ind_id not in {i["id"] for i in item["indicators"]} or ind_id not in board.index:
            errors.append(CellError(r, f"{IND_SHEET} A", f"指标“{ind_id}”不属于条目 {item_id}"))
            continue
        try:
            e = mvalues.make_entry(board.index[ind_id], board.period.year, raw)
        except obsdb.ObservationError as exc:
            errors.append(CellError(r, where, str(exc)))
            continue
        values.setdefault(item_id, {})[ind_id] = {"value": e.value, "unit": e.unit, "raw": raw}
    changes: list[Change] = []
    seen: dict[str, int] = {}
    for r, row in enumerate(rows, start=2):
        item_id = cell_text(_cell(row, cols, FIXED[0])).strip()
        answers = {h: _cell(row, cols, h) for h in EDIT}
        if not item_id:
            if any(v is not None and str(v).strip() for v in answers.values() if v not in ("草稿",)):
                errors.append(CellError(r, _main(cols[FIXED[0]]), "缺少条目编号"))
            continue
        if item_id not in duties:
            errors.append(CellError(r, _main(cols[FIXED[0]]), f"条目“{item_id}”不是{department}的职责"))
            continue
        if item_id in seen:
            errors.append(CellError(r, _main(cols[FIXED[0]]), f"条目编号与第{seen[item_id]}行重复"))
            continue
        seen[item_id] = r
        change = _row_change(r, cols, answers, board, department, item_id, values.pop(item_id, {}), conn, errors)
        if change is not None:
            changes.append(change)
    for item_id in values:
        errors.append(CellError(0, IND_SHEET, f"条目 {item_id} 填了指标数值,但进度报告表中没有这一行"))
    if errors:
        raise ImportRejected(errors)
    return changes


def _row_change(r, cols, answers, board: Board, department: str, item_id: str, values, conn, errors) -> Change | None:
    """Validate one row's editable cells; the Change when it differs from what is stored."""
    n = len(errors)
    status_cell = cell_text(answers["状态"]).strip()
    stored = store.get(conn, item_id, department, board.period.code)
    filled = any(cell_text(answers[h]).strip() for h in EDIT if h not in ("状态", "提交")) or values
    if not status_cell and not filled and stored is None:
        return None
    code = status_code(status_cell)
    if code is None:
        why = "缺少状态" if not status_cell else f"无法识别的状态“{status_cell}”"
        errors.append(CellError(r, _main(cols["状态"]), f"{why}(应为 {' / '.join(rules()['statuses'].values())})"))
    submit_cell = cell_text(answers["提交"]).strip() or "草稿"
    if submit_cell not in SUBMIT_WORDS:
        errors.append(CellError(r, _main(cols["提交"]), f"“提交”列应填“提交”或“草稿”,而不是“{submit_cell}”"))
    fields: dict[str, Any] = {"status": code}
    for head, name in EDIT.items():
        if name in ("status", "submit"):
            continue
        v = answers[head]
        if v is not None and not isinstance(v, str):
            v = str(v)
        try:
            fields[name] = store.clean_text(name, v)
            if name == "evidence":
                store.check_evidence(fields[name])
        except ProgressError as exc:
            errors.append(CellError(r, _main(cols[head]), str(exc)))
    fields["indicator_values"] = {k: {"value": v["value"], "unit": v["unit"]} for k, v in values.items()}
    if stored and not values:
        fields["indicator_values"] = stored["indicator_values"]  # the sheet had no value: keep what is stored
    if submit_cell in SUBMIT_WORDS and SUBMIT_WORDS[submit_cell] and "progress" in fields:
        try:
            store.check_submission(fields)  # said in the preview, at its cell, not first at commit
        except ProgressError as exc:
            errors.append(CellError(r, _main(cols["工作进展"]), str(exc)))
    if len(errors) > n:
        return None
    submit = SUBMIT_WORDS[submit_cell]
    state = (
        "submitted"
        if submit
        else (stored["state"] if stored and all(stored[k] == fields[k] for k in store.FIELDS) else "draft")
    )
    before = {k: stored[k] for k in store.FIELDS} if stored else {}
    diffs = [
        _diff(k, store.LABELS[k], before.get(k), fields[k], board)
        for k in store.FIELDS
        if before.get(k, "" if k != "indicator_values" else {}) != fields[k]
    ]
    if stored and state != stored["state"]:
        diffs.append(_diff("state", "提交状态", stored["state"], state, board))
    if not diffs and stored is not None:
        return None
    return Change(item_id, board.s.by_id[item_id]["title"], diffs, fields, submit, stored["version"] if stored else 0)


def _diff(field: str, label: str, before: Any, after: Any, board: Board) -> dict[str, Any]:
    """One field's change, stored values and their words (the preview showed "done" and raw indicator dicts)."""
    return {
        "field": field,
        "label": label,
        "before": before,
        "after": after,
        "before_text": shown(field, before, board),
        "after_text": shown(field, after, board),
    }


def shown(field: str, value: Any, board: Board) -> str:
    """A stored report value in words: 已完成, 已退回, 覆盖率 97.2%; (空) for nothing."""
    if field == "status":
        text = status_label(value) if value else ""
    elif field == "state":
        text = state_label(value) if value else ""
    elif field == "indicator_values":
        text = "、".join(
            f"{board.index[k]['name'] if k in board.index else k} {mon.fmt(v['value'])}{v.get('unit') or ''}"
            for k, v in (value or {}).items()
        )
    else:
        text = value or ""
    return text or "(空)"


def commit(conn: sqlite3.Connection, changes: list[Change], board: Board, department: str, user: dict) -> int:
    """Write every change inside the caller's transaction; Conflict (nothing written) if a report moved meanwhile."""
    for ch in changes:
        item = board.s.by_id[ch.item]
        role = board.s.duties(department)[ch.item]["role"]
        try:
            store.save(
                conn,
                user,
                item,
                department,
                role,
                board.period,
                ch.fields,
                submit=ch.submit,
                expected_version=ch.version,
                reason="离线填报包导入",
            )
        except Conflict as exc:
            raise Conflict(f"条目 {ch.item}: {exc}") from None
    return len(changes)
