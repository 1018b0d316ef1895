"""Export safety: spreadsheet formula injection, characters XML cannot hold, download file names."""

from __future__ import annotations

import re
import unicodedata
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
