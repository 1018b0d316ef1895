"""docx rendering (python-docx): the 公文 list — A4 landscape, 仿宋 body / 黑体 headings, repeating header.

The document is the 任务分解表 offices publish (序号 | 领域 | 主要目标/任务 | 牵头单位 | 责任单位 | 完成时限 | 备注,
kb/data/exports.json), with full-width punctuation; the working columns (类别, 状态, 依据 …) stay in the xlsx.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from functools import lru_cache
from typing import BinaryIO
from xml.sax.saxutils import escape

from lxml import etree

from kb.exports.package import write_package
from kb.exports.safety import xml_clean
from kb.exports.table import REMARK_COLUMN, Table, display_width, rules

BODY_FONT, HEAD_FONT = "仿宋", "黑体"
PAGE_W, PAGE_H, MARGIN_CM = 29.7, 21.0, 1.8
CM_PER_UNIT = 0.19  # one Latin-width unit at 9 pt; a Chinese character is two
CELL_PAD_CM = 0.45  # Word's default left+right cell margins, plus a little air
SHORT = 10  # wrapping columns up to this width are fitted too (领域, 完成时限)
DOCUMENT = "word/document.xml"


def _chinese_side(text: str, i: int) -> bool:
    """Whether the mark at i belongs to Chinese text: a non-ASCII neighbour, or an ASCII run without letters in it."""
    prev, nxt = text[:i].rstrip()[-1:], text[i + 1 :].lstrip()[:1]
    if prev.isdigit() and nxt.isdigit():
        return False  # 1,000 · 3:1
    if not (prev.isascii() and nxt.isascii()):
        return True
    start, end = i, i + 1
    while start > 0 and text[start - 1].isascii():
        start -= 1
    while end < len(text) and text[end].isascii():
        end += 1
    run = text[start:end]
    return not any(c.isalpha() for c in run) and not text.isascii()


@lru_cache(maxsize=1)
def _marks() -> re.Pattern[str]:
    """A half-width mark of the rules' table with the spaces after it."""
    return re.compile("([" + re.escape("".join(rules()["fullwidth"])) + "]) *")


def fullwidth(text: str) -> str:
    """Half-width , ; : ! ? ( ) next to Chinese text in their full-width form; 1,000 and 3:1 stay as they are."""
    table = rules()["fullwidth"]

    def mark(m: re.Match[str]) -> str:
        if not _chinese_side(text, m.start()):
            return m[0]
        wide = table[m[1]]
        return wide + m[0][1:] if wide == "（" else wide  # a full-width mark carries its own space

    return _marks().sub(mark, text)


def office_table(table: Table) -> Table:
    """The table in the 公文 column set (编号 kept only when the export asked for ids), text in full-width style."""
    if table.layout == "indicators":  # already the indicator list's own office layout
        out = table.project([c.key for c in table.columns])
    else:
        keys = list(rules()["office_columns"])
        if any(c.key == "id" for c in table.columns):
            keys.insert(keys.index("task"), "id")
        out = table.project(keys, {"remark": REMARK_COLUMN})
    for row in out.rows:
        row.cells = [fullwidth(v) for v in row.cells]
        row.title = fullwidth(row.title)
    out.title = fullwidth(out.title)
    return out


def _font(run_or_style, name: str, size: float | None = None, bold: bool | None = None) -> None:
    """Set a font for Latin and East-Asian text alike (Word picks w:eastAsia for Chinese characters)."""
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = run_or_style.font
    font.name = name
    if size:
        font.size = Pt(size)
    if bold is not None:
        font.bold = bold
    rpr = run_or_style.element.get_or_add_rPr()
    rfonts = rpr.get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        rfonts.set(qn(attr), name)


def _landscape(section) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.shared import Cm

    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Cm(PAGE_W), Cm(PAGE_H)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(MARGIN_CM))
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(1.8)


def _page_number_footer(section) -> None:
    """第 N 页 centred in the footer (a PAGE field, so Word fills it in)."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(p.add_run("第 "), BODY_FONT, 9)
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    p._p.append(fld)
    _font(p.add_run(" 页"), BODY_FONT, 9)


def _repeat_header(row) -> None:
    """Mark a table row as header: Word and LibreOffice repeat it at the top of every page (w:tblHeader)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    for tag in ("w:tblHeader", "w:cantSplit"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), "true")
        trpr.append(el)


def _write(
    cell,
    text: str,
    bold_prefix: str = "",
    font: str = BODY_FONT,
    size: float = 9,
    bold: bool = False,
    center: bool = False,
) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    para = cell.paragraphs[0]
    if center:
        para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    lines = xml_clean(text).split("\n")
    for i, line in enumerate(lines):
        if i:
            para = cell.add_paragraph()
        if i == 0 and bold_prefix and line.startswith(bold_prefix):
            _font(para.add_run(bold_prefix), font, size, True)
            line = line[len(bold_prefix) :]
        if line:
            _font(para.add_run(line), font, size, bold or None)


def _column_cm(table: Table) -> list[float]:
    """Column widths in cm: short columns fitted to their content, the page's rest shared by the text columns."""
    fitted: dict[int, float] = {}
    for ci, col in enumerate(table.columns):
        if col.wrap and col.width > SHORT:
            continue
        longest = max(display_width(line) for r in table.rows for line in r.cells[ci].split("\n") or [""])
        units = min(max(longest, display_width(col.name) / 2), col.width if col.wrap else longest)
        fitted[ci] = max(units, 2) * CM_PER_UNIT + CELL_PAD_CM
    rest = PAGE_W - 2 * MARGIN_CM - sum(fitted.values())
    flex = sum(c.width for ci, c in enumerate(table.columns) if ci not in fitted)
    return [fitted.get(ci, rest * c.width / flex if flex else 0) for ci, c in enumerate(table.columns)]


def _table(doc, table: Table, number: int) -> Iterator[str]:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(title.add_run(xml_clean(fullwidth(table.title))), HEAD_FONT, 16, True)
    cap = doc.add_paragraph()
    cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(cap.add_run(xml_clean(fullwidth(table.caption()))), BODY_FONT, 10.5)
    widths = [Cm(w) for w in _column_cm(table)]
    t = doc.add_table(rows=1, cols=len(table.columns))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    for col, w in zip(t.columns, widths, strict=False):
        col.width = w  # w:gridCol, which LibreOffice follows; Word follows the cell widths set below
    header = t.rows[0]
    _repeat_header(header)
    for ci, (cell, col) in enumerate(zip(header.cells, table.columns, strict=False)):
        cell.width = widths[ci]
        _write(cell, col.name, font=HEAD_FONT, size=10, bold=True, center=True)
    centered = {ci for ci, c in enumerate(table.columns) if not c.wrap or c.key in table.merge}
    task_col = next((i for i, c in enumerate(table.columns) if c.key == "task"), None)
    twips = [cell._tc.tcPr.find(qn("w:tcW")).get(qn("w:w")) for cell in header.cells]
    t._tbl.append(etree.Comment(_placeholder(number)))  # where write_docx streams the body rows
    return _body_rows(table, twips, centered, task_col)


def _placeholder(number: int) -> str:
    return f" kb-body-rows-{number} "


def _body_rows(table: Table, twips: list[str], centered: set[int], task_col: int | None) -> Iterator[str]:
    """The body rows as WordprocessingML written directly, one string per row: python-docx's cell API and its
    recursive merge take minutes on a province's list, and even parsing the rows into its tree holds hundreds of
    MB. Each equal 领域 run is merged vertically the way Word writes it: w:vMerge="restart" on its first cell, a
    bare w:vMerge on the cells it covers."""
    starts: dict[tuple[int, int], bool] = {}  # (row, column) → True for a run's first cell, False for covered
    for ci, rs in table.merge_runs().items():
        for a, b in rs:
            starts[(a, ci)] = True
            starts.update({(r, ci): False for r in range(a + 1, b + 1)})
    for ri, row in enumerate(table.rows):
        cells = []
        for ci, value in enumerate(row.cells):
            merge = starts.get((ri, ci))
            vmerge = "" if merge is None else '<w:vMerge w:val="restart"/>' if merge else "<w:vMerge/>"
            pr = f'<w:tcPr><w:tcW w:type="dxa" w:w="{twips[ci]}"/>{vmerge}</w:tcPr>'
            if merge is False:
                cells.append(f"<w:tc>{pr}<w:p/></w:tc>")  # covered: Word shows the run's first cell
                continue
            prefix = row.title if ci == task_col else ""
            cells.append(f"<w:tc>{pr}{_paragraphs(value, prefix, ci in centered)}</w:tc>")
        yield "<w:tr>" + "".join(cells) + "</w:tr>"


_BODY_RPR = f'<w:rFonts w:ascii="{BODY_FONT}" w:hAnsi="{BODY_FONT}" w:eastAsia="{BODY_FONT}"/>'


def _run(text: str, bold: bool, size: float = 9) -> str:
    """One run in the body font, as python-docx writes it (tabs as w:tab, xml:space kept where it matters)."""
    rpr = f'<w:rPr>{_BODY_RPR}{"<w:b/>" if bold else ""}<w:sz w:val="{round(size * 2)}"/></w:rPr>'
    parts = []
    for i, chunk in enumerate(text.split("\t")):
        if i:
            parts.append("<w:tab/>")
        if chunk:
            space = ' xml:space="preserve"' if chunk != chunk.strip() else ""
            parts.append(f"<w:t{space}>{escape(chunk)}</w:t>")
    return f"<w:r>{rpr}{''.join(parts)}</w:r>"


def _paragraphs(text: str, bold_prefix: str, center: bool) -> str:
    """A cell's paragraphs, one per line; the first line's title prefix in bold (what _write does)."""
    out = []
    for i, line in enumerate(xml_clean(text).split("\n")):
        ppr = '<w:pPr><w:jc w:val="center"/></w:pPr>' if center and i == 0 else ""
        runs = ""
        if i == 0 and bold_prefix and line.startswith(bold_prefix):
            runs, line = _run(bold_prefix, True), line[len(bold_prefix) :]
        if line:
            runs += _run(line, False)
        out.append(f"<w:p>{ppr}{runs}</w:p>" if ppr or runs else "<w:p/>")
    return "".join(out)


def write_docx(tables: list[Table], out: BinaryIO) -> None:
    """The document into `out`: each table with its title and date, further tables (departments) each on a new
    page. python-docx writes the package with a placeholder in each table; the body rows are streamed into
    word/document.xml in its place, so memory stays flat on a province's list."""
    from docx import Document
    from docx.enum.section import WD_SECTION

    doc = Document()
    normal = doc.styles["Normal"]
    _font(normal, BODY_FONT, 10.5)
    doc.core_properties.title = tables[0].title
    doc.core_properties.author = "规划措施知识库"
    bodies = []
    for i, table in enumerate(tables):
        section = doc.sections[0] if i == 0 else doc.add_section(WD_SECTION.NEW_PAGE)
        _landscape(section)
        if i == 0:
            _page_number_footer(section)
        bodies.append(_table(doc, office_table(table), i))
    template = io.BytesIO()
    doc.save(template)
    write_package(template, out, lambda name: (lambda xml: _document(xml, bodies)) if name == DOCUMENT else None)


def _document(xml: str, bodies: list[Iterator[str]]) -> Iterator[str]:
    """document.xml with each table's body rows in place of its placeholder."""
    for i, rows in enumerate(bodies):
        head, xml = xml.split(f"<!--{_placeholder(i)}-->", 1)
        yield head
        yield from rows
    yield xml
