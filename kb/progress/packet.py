"""The offline packet (离线填报包): an xlsx per department and period, imported all-or-nothing after a preview.

It follows the monitoring workbook (kb/monitoring/workbook.py): every cell is validated, problems are named by
row and column, and nothing is written when any cell is wrong. Text is written with write_string (never a formula).
This module lays the packet out and writes it; kb/progress/packet_import.py reads it back.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from kb.exports.safety import new_workbook, xml_clean
from kb.progress import rules, status_label
from kb.progress.board import Board

KIND = "plan-kb-progress-packet"
SHEET, IND_SHEET, META = "进度报告", "指标数值", "read_meta"
# 退回意见: a returned report went out as a plain 草稿, so whoever filled the packet offline never saw why.
FIXED = ["条目编号", "条目", "领域", "职责", "完成时限", "上期状态", "上期工作进展", "退回意见"]
EDIT = {
    "状态": "status",
    "工作进展": "progress",
    "下一步措施": "next_steps",
    "存在困难": "difficulties",
    "佐证材料(文号/链接)": "evidence",
    "提交": "submit",
}
IND_FIXED = ["指标编号", "条目编号", "指标", "目标", "单位", "已有数值"]
IND_VALUE = "本期数值"
SUBMIT_WORDS = {"提交": True, "草稿": False}
MAX_BYTES, MAX_ROWS = 5 << 20, 2000


def cell_text(v: Any) -> str:
    """A cell's value as text the sheet's XML can hold (None is empty)."""
    return xml_clean("" if v is None else str(v))


def template(board: Board, department: str) -> bytes:
    """The packet of one department for the board's period, pre-filled with its current answers."""
    buf = io.BytesIO()
    wb = new_workbook(buf)
    head = wb.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1, "text_wrap": True, "valign": "top"})
    fixed = wb.add_format({"bg_color": "#F3F3F3", "border": 1, "text_wrap": True, "valign": "top"})
    cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top", "locked": False})
    ws = wb.add_worksheet(SHEET)
    header = FIXED + list(EDIT)
    for c, h in enumerate(header):
        ws.write_string(0, c, h, head)
    prev_period = board.report_detail  # (bound method; previous answers come from report_detail)
    for r, row in enumerate(board.rows(department), start=1):
        detail = prev_period(row["id"], department)
        prev = detail["previous"] or {}
        rep = detail["report"] or {}
        values = [
            row["id"],
            row["title"],
            row["domain"],
            row["role_label"],
            row["deadline"]["label"],
            prev.get("status_label", ""),
            prev.get("progress", ""),
            (rep.get("return_comment") or "") if rep.get("state") == "returned" else "",
        ]
        for c, v in enumerate(values):
            ws.write_string(r, c, cell_text(v), fixed)
        answers = [
            status_label(rep["status"]) if rep else "",
            rep.get("progress", ""),
            rep.get("next_steps", ""),
            rep.get("difficulties", ""),
            rep.get("evidence", ""),
            "提交" if rep.get("state") == "submitted" else "草稿",
        ]
        for c, v in enumerate(answers, start=len(FIXED)):
            ws.write_string(r, c, cell_text(v), cell)
    ws.data_validation(
        1,
        len(FIXED),
        max(1, len(board.rows(department))),
        len(FIXED),
        {"validate": "list", "source": list(rules()["statuses"].values())},
    )
    ws.data_validation(
        1,
        len(header) - 1,
        max(1, len(board.rows(department))),
        len(header) - 1,
        {"validate": "list", "source": list(SUBMIT_WORDS)},
    )
    ws.freeze_panes(1, 2)
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 36)
    ws.set_column(2, 6, 12)
    ws.set_column(len(FIXED) - 1, len(FIXED) - 1, 28)
    ws.set_column(len(FIXED), len(header) - 1, 28)
    wi = wb.add_worksheet(IND_SHEET)
    for c, h in enumerate([*IND_FIXED, IND_VALUE]):
        wi.write_string(0, c, h, head)
    r = 1
    for row in board.rows(department):
        for ind in board.report_detail(row["id"], department)["indicators"]:
            latest = "; ".join(f"{x['year']}: {x['value']}" for x in ind["latest"])
            for c, v in enumerate([ind["id"], row["id"], ind["name"], ind["target"], ind["unit"], latest]):
                wi.write_string(r, c, cell_text(v), fixed)
            wi.write_string(r, len(IND_FIXED), cell_text(ind["value"]), cell)
            r += 1
    wi.set_column(0, 1, 30)
    wi.set_column(2, 6, 16)
    notes = wb.add_worksheet("说明")
    notes.set_column(0, 0, 110)
    for i, line in enumerate(
        [
            f"{department} {board.period.label}进度报告离线填报包",
            "1. 只填写白色单元格;灰色列(条目、职责、完成时限、上期情况、退回意见)供参考,修改无效。",
            f"2. “状态”从下拉列表选择:{' / '.join(rules()['statuses'].values())};“提交”填“提交”或“草稿”。",
            "3. 佐证材料可填文号或 http(s) 链接,每行一个;附件请在网页上上传。",
            "4. “指标数值”表填写本单位掌握的本期指标数值,单位以“单位”列为准。",
            "5. 导入时逐格校验,任何一处有误则整个文件不导入,并列出问题所在的工作表、行和列;",
            "   导入前先显示将要修改的内容,确认后一次写入。",
            "6. 本填报包只能导入到本部门、本报告期;请勿修改“条目编号”“指标编号”列和表头。",
        ]
    ):
        notes.write_string(i, 0, line)
    meta = wb.add_worksheet(META)
    for i, (k, v) in enumerate(
        [
            ("kind", KIND),
            ("version", "1"),
            ("department", department),
            ("period", board.period.code),
            ("plan", board.plan),
            ("generated_at", datetime.now().isoformat(timespec="seconds")),
        ]
    ):
        meta.write_string(i, 0, k)
        meta.write_string(i, 1, v)
    meta.hide()
    wb.close()
    return buf.getvalue()
