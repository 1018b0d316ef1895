"""Legacy Word .doc (OLE2) through Debian's antiword; an encrypted Office file is refused with its reason."""

from __future__ import annotations

import shutil
import subprocess
import tempfile

from nlp.reader import PlanFormatError

HOW_TO_CONVERT = "请用 Word 或 WPS 打开,选择“另存为”Word 文档(.docx)或 PDF 后再导入"
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


def read_doc(data: bytes, path: str | None) -> tuple[str, list[str]]:
    """Text of a Word 97–2003 document, one line per paragraph."""
    if _ENCRYPTED in data:
        raise PlanFormatError("Office 文档已加密(需要密码),请先解除密码保护再导入", None, path)
    antiword = shutil.which("antiword")
    if antiword is None:
        raise PlanFormatError(f"这是旧版 Word 文档(.doc),本机未安装 antiword,无法转换;{HOW_TO_CONVERT}", None, path)
    with tempfile.NamedTemporaryFile(suffix=".doc") as fh:
        fh.write(data)
        fh.flush()
        # -m UTF-8.txt: Unicode output (Chinese text); -w 0: no re-wrapping, one paragraph per line.
        proc = subprocess.run([antiword, "-m", "UTF-8.txt", "-w", "0", fh.name], capture_output=True, timeout=60)
    if proc.returncode != 0 or not proc.stdout.strip():
        why = proc.stderr.decode("utf-8", "replace").strip().splitlines()[:1]
        raise PlanFormatError(
            f"旧版 Word 文档(.doc)无法转换({'; '.join(why) or '无文字'});{HOW_TO_CONVERT}", None, path
        )
    text = proc.stdout.decode("utf-8", "replace").replace("\r\n", "\n")
    return text, ["旧版 Word 文档已用 antiword 转为文字"]
