"""The 通报: reporting status of every department for a period, as docx and xlsx (from Board.overview())."""

from __future__ import annotations

import io
from typing import Any

from kb.exports.safety import xml_clean

HEAD = ["责任单位", "应报", "已报", "未报", "红灯", "黄灯", "绿灯"]
LIGHT_WORDS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯", "grey": "不适用"}


def _rows(ov: dict[str, Any]) -> list[list[Any]]:
    return [
        [d["name"], d["due"], d["reported"], d["missing"], d["red"], d["yellow"], d["green"]] for d in ov["departments"]
    ]


def _title(ov: dict[str, Any]) -> str:
    return f"{ov['plan_title']}{ov['period']['label']}任务落实情况通报"


def _summary(ov: dict[str, Any]) -> list[str]:
    t = ov["totals"]
    lines = [
        f"截至 {ov['today']},{len(ov['departments'])} 个责任单位应报 {t['due']} 项,已报 {t['reported']} 项,"
        f"未报 {t['missing']} 项;红灯 {t['red']} 项,黄灯 {t['yellow']} 项,绿灯 {t['green']} 项。"
    ]
    if ov["not_reported"]:
        lines.append(
            "尚未报齐的单位:" + "、".join(f"{d['name']}(未报 {d['missing']} 项)" for d in ov["not_reported"]) + "。"
        )
    else:
        lines.append("各责任单位均已按时报送。")
    return lines


def docx(ov: dict[str, Any], reds: list[dict[str, Any]]) -> bytes:
    """The 通报 as a Word document: summary, table per department, then every red item with its rule."""
    from docx import Document

    doc = Document()
    doc.add_heading(xml_clean(_title(ov)), level=1)
    for line in _summary(ov):
        doc.add_paragraph(xml_clean(line))
    table = doc.add_table(rows=1, cols=len(HEAD))
    table.style = "Table Grid"
    for c, h in enumerate(HEAD):
        table.rows[0].cells[c].text = h
    for row in _rows(ov):
        cells = table.add_row().cells
        for c, v in enumerate(row):
            cells[c].text = xml_clean(str(v))
    if reds:
        doc.add_heading("红灯事项", level=2)
        for r in reds:
            doc.add_paragraph(
                xml_clean(f"{r['department']}({r['role_label']}){r['title']}:{r['rule']}"), style="List Bullet"
            )
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def xlsx(ov: dict[str, Any], reds: list[dict[str, Any]]) -> bytes:
    """The 通报 as a workbook: one sheet per department summary, one listing red and yellow items."""
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
    head = wb.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1})
    cell = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    ws = wb.add_worksheet("报送情况")
    ws.write_string(0, 0, xml_clean(_title(ov)), wb.add_format({"bold": True, "font_size": 14}))
    for i, line in enumerate(_summary(ov), start=1):
        ws.write_string(i, 0, xml_clean(line))
    top = len(_summary(ov)) + 2
    for c, h in enumerate(HEAD):
        ws.write_string(top, c, h, head)
    for r, row in enumerate(_rows(ov), start=top + 1):
        ws.write_string(r, 0, xml_clean(row[0]), cell)
        for c, v in enumerate(row[1:], start=1):
            ws.write_number(r, c, v, cell)
    ws.set_column(0, 0, 22)
    wl = wb.add_worksheet("红黄灯事项")
    for c, h in enumerate(["责任单位", "职责", "条目编号", "条目", "灯", "触发规则"]):
        wl.write_string(0, c, h, head)
    for r, x in enumerate(reds, start=1):
        values = [x["department"], x["role_label"], x["id"], x["title"], LIGHT_WORDS[x["light"]], x["rule"]]
        for c, v in enumerate(values):
            wl.write_string(r, c, xml_clean(str(v)), cell)
    wl.set_column(0, 2, 18)
    wl.set_column(3, 3, 40)
    wl.set_column(5, 5, 60)
    wb.close()
    return buf.getvalue()
