"""Readers for every form a plan arrives in: plain text, Word (.docx, legacy .doc), PDF and saved web pages.

The form is sniffed from the bytes, never trusted from the file name. Every reader returns line-structured
text (one paragraph, heading or table row per line) and notes on what it dropped, for the parse report.
"""

from __future__ import annotations

from pathlib import Path

from nlp.reader import PlanFormatError, PlanText, decode, read_width

# Suffixes `kb add` and the upload accept; the form itself is sniffed from the content.
SUFFIXES = (".txt", ".docx", ".pdf", ".html", ".htm", ".doc")
FORM_LABELS = {"txt": "纯文本", "docx": "Word 文档", "doc": "旧版 Word 文档", "pdf": "PDF", "html": "网页"}
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_HTML_START = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<?xml")


def sniff(data: bytes) -> str:
    """The file's form from its first bytes: pdf, zip (docx or not), doc (OLE2), html or txt."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    if data.startswith(_OLE2):
        return "doc"
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith(_HTML_START) or (head.startswith(b"<") and (b"<p" in head or b"<div" in head)):
        return "html"
    return "txt"


def read_bytes(data: bytes, path: str | None = None) -> PlanText:
    """Decode a plan file of any supported form into line-structured text, full-width ASCII forms read as ASCII."""
    return read_width(_read_form(data, path))


def _read_form(data: bytes, path: str | None) -> PlanText:
    """The text of the plan file's own form (sniffed), as its reader gives it."""
    form = sniff(data)
    if form == "pdf":
        from nlp.readers.pdf import read_pdf

        text, notes = read_pdf(data, path)
    elif form == "zip":
        from nlp.readers.docx import read_docx

        text, notes = read_docx(data, path)
        form = "docx"
    elif form == "doc":
        from nlp.readers.legacy import read_doc

        text, notes = read_doc(data, path)
    elif form == "html":
        from nlp.readers.html import read_html

        text, notes = read_html(data, path)
    else:
        return decode(data, path)
    if not text.strip():
        raise PlanFormatError(f"{FORM_LABELS[form]}中没有读到任何文字", None, path)
    return PlanText(text, form, form, notes)


def read_path(path: str | Path) -> PlanText:
    """Read a plan file from disk, whatever its form."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise PlanFormatError(f"无法读取文件: {exc.strerror}", None, str(p)) from exc
    return read_bytes(data, str(p))
