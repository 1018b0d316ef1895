"""The monitoring report (监测评估报告): 指标 | 目标值 | 各年度值 | 状态 | 预警 | 责任单位, as xlsx or docx."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from kb import monitoring as mon

COLOURS = {"met": "#C6EFCE", "unmet": "#FFC7CE", "nodata": "#EDEDED"}
RULE_NOTES = [
    "状态: 以最近一个有数据年度的数值对照目标判断;“≥/≤”按方向比较,“全覆盖”须达到100%,区间须落在上下限之间,"
    "“较基线下降/提高X%”以基线年度数值计算目标值,“提高/下降”(无数值)与基线年度数值比较。",
    "趋势预警: 有不少于{n}个年度数据且尚未到目标年度时,按最小二乘线性趋势推算目标年度数值,推算值达不到目标即预警。",
    "波动预警: 有不少于{m}个年度数据,相邻年度数值有升有降,且最大年度变化幅度达到{t:.0%}时预警。",
]


def rule_notes() -> list[str]:
    """The status and warning rules in words (shown on the page and in reports)."""
    from kb.monitoring.pace import pace_notes

    r = mon.rules()
    notes = [
        s.format(n=r["trend_min_points"], m=r["volatility_min_points"], t=r["volatility_threshold"]) for s in RULE_NOTES
    ]
    return notes + pace_notes()


def table(rows: list[dict[str, Any]]) -> tuple[list[int], list[dict[str, Any]]]:
    """(years, report lines): 领域, 指标, 目标值, values…, 状态, 预警, 责任单位 plus status codes per cell."""
    years = sorted({y for r in rows for y in r["assessment"]["years"]})
    lines = []
    for r in rows:
        ind, a = r["indicator"], r["assessment"]
        vals = [
            (mon.fmt(r["obs"][y]) if y in r["obs"] else "", a["per_year"].get(y, mon.Status("nodata")).code)
            for y in years
        ]
        lines.append(
            {
                "domain": ind["domain"] or "",
                "name": ind["name"],
                "target": f"{a['target']}({a['target_year']}年)",
                "unit": r["unit"] or "",
                "values": vals,
                "status": a["current"],
                "latest": a["latest_year"],
                "warnings": "; ".join(w.text for w in a["warnings"]),
                "owners": "、".join(ind["owners"]),
            }
        )
    return years, lines


def report_xlsx(rows: list[dict[str, Any]], title: str) -> bytes:
    """The report as an xlsx workbook, cells coloured by status."""
    from kb.exports.safety import new_workbook, write_cell, write_cells

    years, lines = table(rows)
    buf = io.BytesIO()
    wb = new_workbook(buf)  # one xlsx policy: text (the plan's "=36月龄" target too) is never a formula
    ws = wb.add_worksheet("监测评估报告")
    bold = wb.add_format({"bold": True, "font_size": 14})
    head = wb.add_format({"bold": True, "bg_color": "#DDE7F0", "border": 1, "text_wrap": True, "valign": "top"})
    wrap = wb.add_format({"border": 1, "text_wrap": True, "valign": "top"})
    fmts = {
        k: wb.add_format({"border": 1, "bg_color": c, "valign": "top", "text_wrap": True}) for k, c in COLOURS.items()
    }
    write_cell(ws, 0, 0, title, bold)
    write_cell(ws, 1, 0, f"生成日期: {date.today():%Y-%m-%d}")
    header = ["领域", "指标", "目标值", "单位"] + [f"{y}年" for y in years] + ["状态", "预警", "责任单位"]
    write_cells(ws, 3, 0, header, head)
    for i, ln in enumerate(lines, start=4):
        write_cells(ws, i, 0, [ln["domain"], ln["name"], ln["target"], ln["unit"]], wrap)
        for j, (v, code) in enumerate(ln["values"], start=4):
            write_cell(ws, i, j, v, fmts[code] if v else wrap)
        st = ln["status"]
        write_cell(ws, i, 4 + len(years), st.label + (f"({ln['latest']}年)" if ln["latest"] else ""), fmts[st.code])
        write_cell(ws, i, 5 + len(years), ln["warnings"], wrap)
        write_cell(ws, i, 6 + len(years), ln["owners"], wrap)
    ws.set_column(0, 0, 12)
    ws.set_column(1, 1, 30)
    ws.set_column(2, 2, 20)
    ws.set_column(4, 3 + len(years), 8)
    ws.set_column(4 + len(years), 4 + len(years), 12)
    ws.set_column(5 + len(years), 6 + len(years), 36)
    ws.freeze_panes(4, 2)
    notes = wb.add_worksheet("评估规则")
    notes.set_column(0, 0, 120)
    notes.write_column(0, 0, rule_notes())
    wb.close()
    return buf.getvalue()


def report_docx(rows: list[dict[str, Any]], title: str) -> bytes:
    """The report as a Word document (A4 landscape), one table, status cells shaded."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    years, lines = table(rows)
    doc = Document()
    sec = doc.sections[0]
    sec.orientation, sec.page_width, sec.page_height = WD_ORIENT.LANDSCAPE, Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(1.5))
    normal = doc.styles["Normal"]
    normal.font.size = Pt(9)
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), "宋体")
    doc.add_heading(title, level=1)
    doc.add_paragraph(f"生成日期: {date.today():%Y-%m-%d}")
    header = ["指标", "目标值"] + [str(y) for y in years] + ["状态", "预警", "责任单位"]
    tbl = doc.add_table(rows=1, cols=len(header))
    tbl.style = "Table Grid"
    for c, text in zip(tbl.rows[0].cells, header, strict=False):
        c.text = text
        c.paragraphs[0].runs[0].bold = True
    for ln in lines:
        cells = tbl.add_row().cells
        cells[0].text = ln["name"] + (f"({ln['unit']})" if ln["unit"] else "")
        cells[1].text = ln["target"]
        for j, (v, code) in enumerate(ln["values"], start=2):
            cells[j].text = v
            if v:
                _shade(cells[j], COLOURS[code], OxmlElement, qn)
        st = ln["status"]
        cells[2 + len(years)].text = st.label
        _shade(cells[2 + len(years)], COLOURS[st.code], OxmlElement, qn)
        cells[3 + len(years)].text = ln["warnings"]
        cells[4 + len(years)].text = ln["owners"]
    doc.add_heading("评估规则", level=2)
    for note in rule_notes():
        doc.add_paragraph(note)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _shade(cell, colour: str, OxmlElement, qn) -> None:
    """Background colour of a table cell (python-docx has no API for it)."""
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), colour.lstrip("#"))
    cell._tc.get_or_add_tcPr().append(shd)
