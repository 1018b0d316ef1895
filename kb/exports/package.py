"""Office packages written around streamed rows: a template zip (made by xlsxwriter or python-docx) copied member
by member, a member's XML replaced by pieces (its head, the rows, its tail) written in chunks as they come."""

from __future__ import annotations

import io
import itertools
import zipfile
from collections.abc import Callable, Iterable
from typing import BinaryIO

CHUNK = 500  # pieces (rows) joined, encoded and compressed at a time

Pieces = Callable[[str], Iterable[str]]  # a member's template XML -> the pieces of the XML written instead


def write_package(template: io.BytesIO, out: BinaryIO, rewrite: Callable[[str], Pieces | None]) -> None:
    """The template's members into `out`; a member for which rewrite(name) gives a function is written as the
    pieces that function makes of its XML, the others copied as they are."""
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            pieces = rewrite(info.filename)
            if pieces is None:
                dst.writestr(info, src.read(info))
                continue
            with dst.open(info.filename, "w", force_zip64=True) as fh:
                parts = iter(pieces(src.read(info).decode("utf-8")))
                while chunk := list(itertools.islice(parts, CHUNK)):
                    fh.write("".join(chunk).encode("utf-8"))
