"""The annual report draft as a Word document in the office layout: 小标宋 title, 黑体/楷体 headings, 仿宋 body,
charts embedded as pictures with captions. Fonts and sizes come from monitoring_sentences.json ("document")."""

from __future__ import annotations

import io
from typing import Any

from kb.exports.safety import xml_clean
from kb.monitoring.annual import Report
from kb.monitoring.findings import sentences


def set_font(run, east_asia: str, size: float | None = None, bold: bool | None = None) -> None:
    """A run's Chinese (eastAsia) and Latin fonts; python-docx sets only the Latin one by itself."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    style = sentences()["document"]
    run.font.name = style["fonts"]["latin"]
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asia)
    if size:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold


def new_document(landscape: bool = False):
    """An A4 document whose Normal style is the body font (仿宋) in both scripts."""
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    style = sentences()["document"]
    doc = Document()
    sec = doc.sections[0]
    if landscape:
        sec.orientation, sec.page_width, sec.page_height = WD_ORIENT.LANDSCAPE, Cm(29.7), Cm(21.0)
        for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
            setattr(sec, side, Cm(1.8))
    else:
        sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
        sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name = style["fonts"]["latin"]
    normal.font.size = Pt(style["sizes"]["table" if landscape else "body"])
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(
        qn("w:eastAsia"), style["fonts"]["table" if landscape else "body"]
    )
    return doc


def _para(doc, text: str, font: str, size: float, bold: bool = False, centre: bool = False, indent: bool = True):
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    p = doc.add_paragraph()
    if centre:
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    elif indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)  # two characters, as official documents indent
    p.paragraph_format.line_spacing = 1.5
    set_font(p.add_run(xml_clean(text)), font, size, bold)
    return p


def report_docx(report: Report) -> bytes:
    """The draft as .docx bytes."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    style = sentences()["document"]
    fonts, sizes = style["fonts"], style["sizes"]
    doc = new_document()
    for b in report.blocks:
        if b.kind == "title":
            _para(doc, b.text, fonts["title"], sizes["title"], centre=True)
        elif b.kind == "h1":
            _para(doc, b.text, fonts["heading1"], sizes["heading1"])
        elif b.kind == "h2":
            _para(doc, b.text, fonts["heading2"], sizes["heading2"])
        elif b.kind == "finding":
            _para(doc, sentences()["finding_number"].format(n=b.number) + b.text, fonts["body"], sizes["body"])
        elif b.kind == "chart" and b.image:
            p = doc.add_paragraph()
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            p.add_run().add_picture(io.BytesIO(b.image), width=Cm(style["chart_width_cm"]))
            _para(doc, b.text, fonts["heading2"], sizes["caption"], centre=True)
        elif b.kind != "chart":
            _para(doc, b.text, fonts["body"], sizes["body"])
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def table_docx(
    title: str,
    header: list[str],
    rows: list[list[Any]],
    landscape: bool = True,
    notes: list[str] | None = None,
    doc=None,
):
    """A titled table (统计监测指标体系, 终期评估表) in the office layout; returns the document for more tables."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    style = sentences()["document"]
    fonts, sizes = style["fonts"], style["sizes"]
    doc = doc or new_document(landscape=landscape)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    set_font(p.add_run(xml_clean(title)), fonts["heading1"], 16)
    tbl = doc.add_table(rows=1, cols=len(header))
    tbl.style = "Table Grid"
    for cell, text in zip(tbl.rows[0].cells, header, strict=False):
        cell.text = ""
        set_font(cell.paragraphs[0].add_run(text), fonts["heading1"], sizes["table"], bold=True)
    for row in rows:
        cells = tbl.add_row().cells
        for cell, value in zip(cells, row, strict=False):
            cell.text = ""
            set_font(
                cell.paragraphs[0].add_run(xml_clean("" if value is None else str(value))),
                fonts["table"],
                sizes["table"],
            )
    for note in notes or []:
        q = doc.add_paragraph()
        set_font(q.add_run(xml_clean(note)), fonts["table"], sizes["table"])
    return doc


def save(doc) -> bytes:
    """A python-docx document as bytes."""
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
