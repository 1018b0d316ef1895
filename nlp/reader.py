"""Plain-text plans: detect the encoding, refuse binary or empty input, normalise characters for parsing."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

# The full-width forms of ASCII (U+FF01-FF5E: \uff0c\uff1b\uff1a\uff01\uff1f\uff08\uff09, digits, letters) → ASCII,
# as Unicode's NFKC reads them (read_width and for_parsing below).
_WIDTH = {cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F)}
# Length-preserving map (offsets stay aligned with the raw text): full-width ASCII and odd spaces → ASCII.
_PARSE_MAP = {0x3000: " ", 0x00A0: " ", 0x2002: " ", 0x2003: " ", 0x2009: " ", 0x202F: " ", 0xFEFF: " ", 0x3001: "、"}
_PARSE_MAP.update(_WIDTH)
# The full-width comma, semicolon, colon, ! and ? are left to read_width (below), which reads a file's text with
# them as ASCII before any parsing; this map is only what parsing may see differently from the text it keeps.
for _keep in ",;:!?":
    _PARSE_MAP.pop(ord(_keep) + 0xFEE0, None)
_PARSE_TABLE = str.maketrans({k: v for k, v in _PARSE_MAP.items()})
# The characters for_parsing changes: most lines hold none, and a dict-table translate costs per character (layout
# folds every line twice: 15 ms a plan).
_PARSE_CHANGES = re.compile("[" + re.escape("".join(chr(k) for k, v in _PARSE_MAP.items() if v != chr(k))) + "]")
# A file's text is read with every full-width ASCII form as ASCII. The analysis is written for one form of each mark,
# the one this plan's published text uses; a plan typed with full-width marks (most real ones) must read the same:
# it lost titles, targets, repairs and sections to marks no rule saw. Same length, so every offset still holds.
_WIDTH_TABLE = str.maketrans(_WIDTH)
_FULL_WIDTH = re.compile("[\uff01-\uff5e]")
# Radicals and compatibility ideographs that stand for an ordinary character (\u2f09 for 儿, \u2f63 for 生): PDF text
# layers made by some converters write them, and no word of the plan reads with them in it. Read as the ideograph
# NFKC gives each (one character for one: offsets hold).
_IDEOGRAPHS = {
    cp: n
    for cp in (*range(0x2E80, 0x2EF4), *range(0x2F00, 0x2FD6), *range(0xF900, 0xFADA))
    if len(n := unicodedata.normalize("NFKC", chr(cp))) == 1 and n != chr(cp)
}
_IDEOGRAPH_TABLE = str.maketrans(_IDEOGRAPHS)
_STAND_INS = re.compile("[" + "".join(chr(cp) for cp in _IDEOGRAPHS) + "]")


class PlanFormatError(ValueError):
    """A plan file that cannot be ingested; carries the 1-based line where reading gave up."""

    def __init__(self, message: str, line: int | None = None, path: str | None = None):
        self.line, self.path = line, path
        where = f"{path or '文件'}" + (f" 第 {line} 行" if line else "")
        super().__init__(f"{where}: {message}")
        self.message = message

    def with_path(self, path: str) -> PlanFormatError:
        """The same error naming the file (for errors raised by stages that only saw the text)."""
        return self if self.path else PlanFormatError(self.message, self.line, path)


@dataclass
class PlanText:
    """Decoded text of a plan file and how it was decoded."""

    text: str
    encoding: str
    form: str = "txt"  # txt | docx | doc | pdf | html (sniffed from the content)
    notes: list[str] = field(default_factory=list)  # what the reader dropped or converted, for the parse report


def decode(data: bytes, path: str | None = None) -> PlanText:
    """Decode bytes as UTF-8 (with or without BOM) or GB18030; refuse empty or binary data."""
    if not data.strip():
        raise PlanFormatError("文件为空 (empty file)", 1, path)
    if b"\x00" in data[:4096]:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise PlanFormatError("不是文本文件 (binary data: NUL byte)", line, path)
    if data.startswith(b"\xef\xbb\xbf"):
        return PlanText(_checked(data[3:].decode("utf-8"), path), "utf-8-sig")
    try:
        return PlanText(_checked(data.decode("utf-8"), path), "utf-8")
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return PlanText(_checked(data.decode("gb18030"), path), "gb18030")
    except UnicodeDecodeError:
        line = data[: utf8_error.start].count(b"\n") + 1
        raise PlanFormatError("无法识别的编码,既不是 UTF-8 也不是 GB18030 (undecodable bytes)", line, path) from None


def _checked(text: str, path: str | None) -> str:
    """Refuse text that is mostly control characters (a binary file that happened to decode)."""
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if bad > max(8, len(text) // 100):
        first = next(i for i, ch in enumerate(text) if ord(ch) < 32 and ch not in "\n\r\t\f")
        raise PlanFormatError("不是文本文件 (control characters)", text.count("\n", 0, first) + 1, path)
    # Line ends are normalised so offsets mean the same on every platform.
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_plan_file(path: str | Path) -> PlanText:
    """Read a plan file from disk in any supported form (text, Word, PDF, saved web page)."""
    from nlp.readers import read_path  # the readers import this module's errors

    return read_path(path)


def read_width(read: PlanText) -> PlanText:
    """The text read with full-width ASCII forms as ASCII and radicals as the ideographs they stand for, with a note
    saying how many of each there were."""
    notes = list(read.notes)
    if n := len(_FULL_WIDTH.findall(read.text)):
        notes.append(f"全角标点、数字和字母按半角读取: {n} 处")
    if k := len(_STAND_INS.findall(read.text)):
        notes.append(f"部首或兼容汉字按通用汉字读取: {k} 处")
    if not (n or k):
        return read
    return PlanText(fold_width(read.text).translate(_IDEOGRAPH_TABLE), read.encoding, read.form, notes)


def fold_width(text: str) -> str:
    """text with the full-width forms of ASCII as ASCII (_WIDTH_TABLE); same length."""
    return text.translate(_WIDTH_TABLE)


def for_parsing(text: str) -> str:
    """Same-length copy of text with full-width/NBSP variants folded, for pattern matching only."""
    return text.translate(_PARSE_TABLE) if _PARSE_CHANGES.search(text) else text
