"""Export safety: formula injection, characters XML cannot hold, download names, the one xlsx read/write policy."""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from typing import Any, BinaryIO
from urllib.parse import quote

# A spreadsheet treats a cell starting with one of these as a formula (or DDE payload): OWASP CSV injection.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 forbids most C0 controls; python-docx/xlsxwriter would write a file Word/Excel refuses to open.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def is_formula_like(value: str) -> bool:
    """True when a spreadsheet would read this text as the start of a formula."""
    return bool(value) and value.startswith(FORMULA_TRIGGERS)


def neutralise(value: str) -> str:
    """Text safe for a csv cell: a leading ' makes Excel and LibreOffice show it as text, never evaluate it."""
    return "'" + value if is_formula_like(value) else value


def xml_clean(value: str) -> str:
    """Drop the control characters an Office XML file cannot contain."""
    return _XML_ILLEGAL.sub("", value)


def safe_filename(name: str, ext: str, fallback: str = "export") -> str:
    """A file name without path separators, reserved characters or leading dots; Chinese is kept."""
    base = unicodedata.normalize("NFC", name or "")
    base = _UNSAFE_NAME.sub("_", base).strip(" ._")
    base = re.sub(r"_+", "_", base)[:120] or fallback
    ext = re.sub(r"[^a-z0-9]", "", (ext or "").lower())
    return f"{base}.{ext}" if ext else base


def content_disposition(filename: str, ascii_fallback: str = "") -> str:
    """attachment header with an ASCII fallback name and the UTF-8 name per RFC 5987/6266 (filename*)."""
    fallback = ascii_fallback or unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "_", fallback).strip("._") or "export"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# -- one xlsx policy for every workbook the app writes or reads ----------------------------------------
# Writing: text is always a string cell (never a formula, URL or number, whatever it starts with).
WORKBOOK_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}
# Reading: an upload is checked as a zip before any XML is parsed, then streamed (openpyxl read-only mode).
MAX_XLSX_UNCOMPRESSED = 20 << 20  # bytes all members may expand to (a zip bomb claims gigabytes)
MAX_XLSX_MEMBERS = 200


class WorkbookRefused(ValueError):
    """An uploaded workbook refused before parsing (message in Chinese)."""


def new_workbook(buf: BinaryIO | str, constant_memory: bool = False):
    """An xlsxwriter workbook writing into buf with the policy's options; constant_memory (rows written in order,
    each flushed to a temporary file when the next begins) needs a file name, since it cannot work in memory."""
    import xlsxwriter

    if constant_memory:
        return xlsxwriter.Workbook(buf, {**WORKBOOK_OPTIONS, "in_memory": False, "constant_memory": True})
    return xlsxwriter.Workbook(buf, WORKBOOK_OPTIONS)


def write_cell(ws, row: int, col: int, value: Any, fmt=None) -> None:
    """One cell by the policy: numbers as numbers, None blank, anything else as a text cell (XML-clean)."""
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, xml_clean(str(value)), fmt)


def write_cells(ws, row: int, col: int, values: list[Any], fmt=None) -> None:
    """A row of cells from (row, col) rightwards, each by write_cell."""
    for i, v in enumerate(values):
        write_cell(ws, row, col + i, v, fmt)


def check_xlsx(raw: bytes) -> None:
    """Refuse an upload that is not a zip, has too many members or would expand past the caps."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise WorkbookRefused(f"不是有效的 xlsx 文件 ({type(exc).__name__})") from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_XLSX_MEMBERS:
            raise WorkbookRefused(f"文件结构异常(含 {len(infos)} 个部件,最多 {MAX_XLSX_MEMBERS} 个)")
        total = sum(i.file_size for i in infos)  # zipfile never inflates a member past its declared size
        if total > MAX_XLSX_UNCOMPRESSED:
            raise WorkbookRefused(f"文件解压后过大({total >> 20} MB,最多 {MAX_XLSX_UNCOMPRESSED >> 20} MB)")


def open_xlsx(raw: bytes):
    """The upload as a streaming (read-only, values-only) openpyxl workbook, after check_xlsx."""
    from openpyxl import load_workbook

    check_xlsx(raw)
    try:
        return load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (InvalidFileException, KeyError …) on damaged files
        raise WorkbookRefused(f"无法读取文件: {type(exc).__name__}") from None
