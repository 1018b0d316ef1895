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


_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_EXT = re.compile(r"\.([A-Za-z0-9]{1,8})$")


def ascii_filename(filename: str, default: str = "") -> str:
    """The ASCII stand-in of a file name for clients that ignore filename*: Chinese words in toneless pinyin (the
    project's jieba cut, so 市卫健委 stays one word: shiweijianwei), ASCII letters and digits kept, anything else a
    separator, the extension kept — 任务分解责任清单(市卫健委).xlsx → renwu_fenjie_zeren_qingdan_shiweijianwei.xlsx.
    `default` (an ASCII name from ids) when nothing of the name is left, as for a name in another script."""
    name = unicodedata.normalize("NFKC", filename or "")
    m = _EXT.search(name)
    stem, ext = (name[: m.start()], m.group(1).lower()) if m else (name, "")
    parts: list[str] = []
    if _HAN.search(stem):
        from pypinyin import lazy_pinyin

        from nlp.lang import cut

        for tok in cut(stem):
            parts.append("".join(lazy_pinyin(tok)) if _HAN.search(tok) else tok)
    else:
        parts.append(stem)
    text = unicodedata.normalize("NFKD", "_".join(parts)).encode("ascii", "ignore").decode()
    text = re.sub(r"[^A-Za-z0-9-]+", "_", text)
    text = re.sub(r"_*-[-_]*", "-", text)  # 2021_-_2025 → 2021-2025
    text = re.sub(r"_+", "_", text).strip("_-")[:150].rstrip("_-")
    if not re.search(r"[A-Za-z0-9]", text):
        return _clean_ascii(default) or (f"export.{ext}" if ext else "export")
    return f"{text}.{ext}" if ext else text


def _clean_ascii(name: str) -> str:
    """An ASCII file name as a header value may carry it (no quotes, spaces or controls); "" for a name that is
    not ASCII (清单.xlsx would be left as "xlsx") or has no letter or digit before its extension."""
    if not (name or "").isascii():
        return ""
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return name if re.search(r"[A-Za-z0-9]", _EXT.sub("", name)) else ""


def content_disposition(filename: str, ascii_fallback: str = "") -> str:
    """attachment header with an ASCII fallback name (`ascii_fallback` when given, else ascii_filename's pinyin of
    the name) and the UTF-8 name per RFC 5987/6266 (filename*). Every download the app sends goes through here."""
    fallback = _clean_ascii(ascii_fallback) or ascii_filename(filename)
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
