"""Word .docx: paragraphs and tables in document order, automatic numbering rendered as Word shows it."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from nlp.numerals import cn_numeral
from nlp.reader import PlanFormatError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_TIANGAN = "甲乙丙丁戊己庚辛壬癸"


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l")):
        while n >= value:
            out, n = out + sym, n - value
    for value, sym in ((40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + sym, n - value
    return out


def format_number(n: int, fmt: str) -> str:
    """A counter in one of Word's number formats (decimal, chineseCounting, decimalEnclosedCircle …)."""
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "japaneseCounting"):
        return cn_numeral(n) if n < 100 else str(n)
    if fmt.startswith("decimalEnclosedCircle") and 1 <= n <= 20:
        return _CIRCLED[n - 1]
    if fmt == "ideographTraditional" and 1 <= n <= 10:
        return _TIANGAN[n - 1]
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (n - 1) % 26)
        return letter.upper() if fmt == "upperLetter" else letter
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(n).upper() if fmt == "upperRoman" else _roman(n)
    if fmt in ("none", "bullet"):
        return ""
    return str(n)


class Numbering:
    """Word's list definitions and running counters, so each numbered paragraph gets its visible label."""

    def __init__(self, doc: Any):
        self.levels: dict[tuple[str, int], tuple[int, str, str]] = {}  # (numId, ilvl) → start, format, text
        self.counters: dict[str, dict[int, int]] = {}
        self.abstract_of: dict[str, str] = {}
        try:
            root = doc.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return  # a document without lists
        abstract: dict[str, dict[int, tuple[int, str, str]]] = {}
        for an in root.iter(f"{W}abstractNum"):
            abstract[an.get(f"{W}abstractNumId")] = {
                int(lvl.get(f"{W}ilvl")): self._level(lvl) for lvl in an.iter(f"{W}lvl")
            }
        for num in root.iter(f"{W}num"):
            num_id, ref = num.get(f"{W}numId"), num.find(f"{W}abstractNumId")
            levels = dict(abstract.get(ref.get(f"{W}val") if ref is not None else "", {}))
            self.abstract_of[num_id] = ref.get(f"{W}val") if ref is not None else num_id
            for ov in num.iter(f"{W}lvlOverride"):
                ilvl, start = int(ov.get(f"{W}ilvl")), ov.find(f"{W}startOverride")
                if start is not None and ilvl in levels:
                    levels[ilvl] = (int(start.get(f"{W}val")), *levels[ilvl][1:])
            for ilvl, spec in levels.items():
                self.levels[(num_id, ilvl)] = spec

    @staticmethod
    def _level(lvl: Any) -> tuple[int, str, str]:
        def val(tag: str, default: str) -> str:
            el = lvl.find(f"{W}{tag}")
            return el.get(f"{W}val", default) if el is not None else default

        return int(val("start", "1")), val("numFmt", "decimal"), val("lvlText", "")

    def label(self, num_id: str, ilvl: int) -> str:
        """The next label of list num_id at level ilvl ("1.", "(一)", "①"); deeper levels restart."""
        spec = self.levels.get((num_id, ilvl))
        if spec is None or num_id == "0":
            return ""
        counters = self.counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, spec[0] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        _start, fmt, text = spec
        if fmt == "bullet":
            return ""
        for lvl in range(ilvl, -1, -1):
            lspec = self.levels.get((num_id, lvl))
            if lspec:
                text = text.replace(f"%{lvl + 1}", format_number(counters.get(lvl, lspec[0]), lspec[1]))
        return text


def _num_pr(paragraph: Any) -> tuple[str, int] | None:
    """(numId, ilvl) of a paragraph, from its own properties or its style's (following basedOn)."""
    ppr = paragraph._p.pPr
    if ppr is not None and ppr.numPr is not None and ppr.numPr.numId is not None:
        ilvl = ppr.numPr.ilvl
        return str(ppr.numPr.numId.val), int(ilvl.val) if ilvl is not None else 0
    style = paragraph.style
    while style is not None:
        spp = style.element.pPr
        if spp is not None and spp.numPr is not None and spp.numPr.numId is not None:
            ilvl = spp.numPr.ilvl
            return str(spp.numPr.numId.val), int(ilvl.val) if ilvl is not None else 0
        style = style.base_style
    return None


def read_docx(data: bytes, path: str | None) -> tuple[str, list[str]]:
    """Text of a .docx: one line per paragraph (numbering label first) and per table row (cells by tabs)."""
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        raise PlanFormatError("ZIP 文件已损坏,无法打开", None, path) from None
    if "word/document.xml" not in names:
        raise PlanFormatError("这是 ZIP 压缩包,但不是 Word 文档 (.docx);请上传 .docx、PDF、网页或文本文件", None, path)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on a damaged package
        raise PlanFormatError(f"Word 文档已损坏,无法读取 ({type(exc).__name__})", None, path) from None
    numbering = Numbering(doc)
    lines: list[str] = []
    labelled = rows = 0
    for child in doc.element.body.iterchildren():
        if child.tag == f"{W}p":
            para = Paragraph(child, doc)
            num = _num_pr(para)
            label = numbering.label(*num) if num else ""
            labelled += bool(label)
            lines.append(label + para.text)
        elif child.tag == f"{W}tbl":
            for row in Table(child, doc).rows:
                cells: list[str] = []
                for cell in row.cells:  # a merged cell repeats: keep it once
                    text = " ".join(cell.text.split())
                    if not cells or cells[-1] != text:
                        cells.append(text)
                lines.append("\t".join(cells))
                rows += 1
    notes = [f"Word 自动编号已按显示效果写出: {labelled} 段"] if labelled else []
    if rows:
        notes.append(f"表格按行读出: {rows} 行")
    return "\n".join(lines), notes
