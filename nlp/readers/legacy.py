"""Legacy Word .doc (OLE2): LibreOffice when installed, else Debian's antiword; encrypted Office files refused.

LibreOffice converts the .doc to .docx, which the docx reader reads with Word's automatic numbering rendered as the
document shows it; antiword is the light fallback and keeps only numbers typed into the text (it drops automatic
numbering, so the report says so).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from nlp.reader import PlanFormatError

HOW_TO_CONVERT = "请用 Word 或 WPS 打开,选择“另存为”Word 文档(.docx)或 PDF 后再导入"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
CONVERT_TIMEOUT = 120  # seconds; LibreOffice's first start in a fresh profile takes several


def read_doc(data: bytes, path: str | None, converter: str | None = None) -> tuple[str, list[str]]:
    """Text of a Word 97–2003 document, one line per paragraph (converter: "soffice", "antiword" or the best found)."""
    if _ENCRYPTED in data:
        raise PlanFormatError("Office 文档已加密(需要密码),请先解除密码保护再导入", None, path)
    soffice = shutil.which("soffice") if converter in (None, "soffice") else None
    if soffice:
        return _with_libreoffice(soffice, data, path)
    antiword = shutil.which("antiword") if converter in (None, "antiword") else None
    if antiword is None:
        raise PlanFormatError(
            f"这是旧版 Word 文档(.doc),本机未安装 LibreOffice 或 antiword,无法转换;{HOW_TO_CONVERT}", None, path
        )
    return _with_antiword(antiword, data, path)


def _refused(why: str, path: str | None) -> PlanFormatError:
    return PlanFormatError(f"旧版 Word 文档(.doc)无法转换({why or '无文字'});{HOW_TO_CONVERT}", None, path)


def _with_libreoffice(soffice: str, data: bytes, path: str | None) -> tuple[str, list[str]]:
    from nlp.readers.docx import read_docx

    with tempfile.TemporaryDirectory(prefix="plan-doc-") as tmp:
        src = Path(tmp) / "plan.doc"
        src.write_bytes(data)
        # A profile of its own: concurrent conversions never share (or lock) the user's LibreOffice profile.
        cmd = [soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--norestore"]
        cmd += ["--convert-to", "docx", "--outdir", tmp, str(src)]
        try:
            proc = subprocess.run(cmd, capture_output=True, timeout=CONVERT_TIMEOUT)
        except subprocess.TimeoutExpired as exc:
            raise _refused("转换超时", path) from exc
        out = Path(tmp) / "plan.docx"
        if proc.returncode != 0 or not out.exists():
            raise _refused("; ".join(proc.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]), path)
        text, notes = read_docx(out.read_bytes(), path)
    return text, ["旧版 Word 文档已用 LibreOffice 转换", *notes]


def _with_antiword(antiword: str, data: bytes, path: str | None) -> tuple[str, list[str]]:
    with tempfile.NamedTemporaryFile(suffix=".doc") as fh:
        fh.write(data)
        fh.flush()
        # -m UTF-8.txt: Unicode output (Chinese text); -w 0: no re-wrapping, one paragraph per line.
        proc = subprocess.run([antiword, "-m", "UTF-8.txt", "-w", "0", fh.name], capture_output=True, timeout=60)
    if proc.returncode != 0 or not proc.stdout.strip():
        raise _refused("; ".join(proc.stderr.decode("utf-8", "replace").strip().splitlines()[:1]), path)
    text = proc.stdout.decode("utf-8", "replace").replace("\r\n", "\n")
    return text, ["旧版 Word 文档已用 antiword 转为文字(Word 自动编号不会保留,只保留正文中键入的编号)"]
