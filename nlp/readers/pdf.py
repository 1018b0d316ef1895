"""PDF with a text layer (pdfplumber, chosen by bench/pdf_readers.py): lines in reading order, page furniture dropped.

Page headers, footers and page numbers are lines in the top or bottom band of a page that are page numbers
("- 3 -", "第 3 页", "3/12") or that repeat, digits aside, on most pages. A PDF whose pages carry no text is a
scan and is refused; an encrypted one is refused unless it opens with an empty password.
"""

from __future__ import annotations

import io
import re
from collections import Counter

from nlp.reader import PlanFormatError

BAND = 0.1  # share of the page height at top and bottom where headers and footers live
MIN_TEXT_PER_PAGE = 5  # fewer characters than this on every page: a scanned image
_PAGE_NO = re.compile(
    r"^\s*(?:[-—–]\s*\d{1,4}\s*[-—–]|第\s*\d{1,4}\s*页(?:\s*[,/共]\s*共?\s*\d+\s*页)?|\d{1,4}\s*/\s*\d{1,4}|\d{1,4}|page\s*\d+)\s*$",
    re.I,
)
_DIGITS = re.compile(r"\d+")


def _open(data: bytes, path: str | None):
    """The pdfplumber document, refusing encrypted or damaged files with a clear reason."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise PlanFormatError("PDF 已加密(需要密码),请先解除密码保护再导入", None, path)
    except PdfReadError as exc:
        raise PlanFormatError(f"PDF 文件已损坏,无法读取 ({exc})", None, path) from None
    try:
        return pdfplumber.open(io.BytesIO(data))
    except PDFPasswordIncorrect:
        raise PlanFormatError("PDF 已加密(需要密码),请先解除密码保护再导入", None, path) from None
    except Exception as exc:  # pdfminer raises many kinds on a damaged file
        raise PlanFormatError(f"PDF 文件已损坏,无法读取 ({type(exc).__name__})", None, path) from None


def _page_lines(page) -> list[tuple[str, float, float]]:
    """(text, top, bottom) of each text line on a page, top to bottom."""
    return [(ln["text"], ln["top"], ln["bottom"]) for ln in page.extract_text_lines(layout=False, strip=True)]


def read_pdf(data: bytes, path: str | None) -> tuple[str, list[str]]:
    """Text of a PDF's pages, one line per printed line, without page headers, footers and numbers."""
    with _open(data, path) as pdf:
        pages = []
        for page in pdf.pages:
            height = float(page.height)
            lines = _page_lines(page)
            pages.append([(t, top < BAND * height, bottom > (1 - BAND) * height) for t, top, bottom in lines])
    if not pages or all(sum(len(t) for t, _h, _f in p) < MIN_TEXT_PER_PAGE for p in pages):
        raise PlanFormatError("PDF 没有文字层(可能是扫描件),请先 OCR 识别成文字再导入", None, path)
    # Furniture repeats: the same band line (digits aside) on at least half of the pages.
    repeats = Counter(_DIGITS.sub("#", t) for p in pages for t, head, foot in p if head or foot)
    common = {k for k, n in repeats.items() if len(pages) >= 2 and n >= max(2, len(pages) / 2)}
    out, dropped = [], 0
    for p in pages:
        for t, head, foot in p:
            if (head or foot) and (_PAGE_NO.match(t) or _DIGITS.sub("#", t) in common):
                dropped += 1
                continue
            out.append(t)
    notes = [f"PDF 共 {len(pages)} 页;去掉页眉、页脚和页码 {dropped} 行"]
    return "\n".join(out), notes
