"""佐证材料 files: type sniffed from the bytes, size-limited, stored content-addressed outside the web root."""

from __future__ import annotations

import hashlib
import io
import os
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

from kb import paths
from kb.exports.safety import safe_filename
from kb.progress import NotFound, ProgressError, rules
from kb.reviews.audit import append_entry, now

# Signatures of executables and scripts, refused whatever the file is called.
_EXECUTABLE = (
    (b"MZ", "Windows 可执行程序"),
    (b"\x7fELF", "Linux 可执行程序"),
    (b"#!", "脚本"),
    (b"\xcf\xfa\xed\xfe", "macOS 可执行程序"),
    (b"\xca\xfe\xba\xbe", "可执行程序"),
)
_OOXML_PART = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}


def store_dir() -> Path:
    """data/attachments/: never served directly; files are named by their SHA-256."""
    return paths.data_dir() / "attachments"


def sniff(data: bytes) -> str | None:
    """The kind the bytes really are (pdf, docx, xlsx, jpg, png), or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError, OSError):
            return None
        if "[Content_Types].xml" not in names or any(n.lower().endswith("vbaproject.bin") for n in names):
            return None  # not Office Open XML, or carries macros
        return next((kind for kind, part in _OOXML_PART.items() if part in names), None)
    return None


def check(filename: str, data: bytes) -> str:
    """The sniffed kind when the file may be attached; ProgressError with the reason otherwise."""
    policy = rules()["attachments"]
    limit = int(policy["max_bytes"])
    if not data:
        raise ProgressError("文件为空")
    if len(data) > limit:
        raise ProgressError(f"文件过大({len(data) / 1048576:.1f} MB),单个佐证材料最大 {limit // 1048576} MB")
    for magic, what in _EXECUTABLE:
        if data.startswith(magic):
            raise ProgressError(f"文件内容是{what},不能作为佐证材料上传")
    ext = Path(filename or "").suffix.lower().lstrip(".")
    claimed = policy["extensions"].get(ext)
    if claimed is None:
        allowed = "、".join(sorted(set(policy["extensions"])))
        raise ProgressError(f"不支持的文件类型“.{ext or '(无扩展名)'}”,只接受 {allowed}")
    kind = sniff(data)
    if kind is None:
        raise ProgressError(f"文件内容不是有效的 {ext.upper()} 文件(按内容识别),不能上传")
    if kind != claimed:
        raise ProgressError(f"文件扩展名为 .{ext},但内容是 {kind.upper()},请改正后再上传")
    return kind


def _write_blob(data: bytes) -> str:
    """Store the bytes under their hash (once; concurrent writers of the same file agree) and return the hash."""
    digest = hashlib.sha256(data).hexdigest()
    target = store_dir() / digest[:2] / digest
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{digest}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, target)
    return digest


def blob_path(sha256: str) -> Path:
    if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
        raise ProgressError("无效的文件摘要")
    return store_dir() / sha256[:2] / sha256


def add(conn: sqlite3.Connection, report: dict[str, Any], filename: str, data: bytes, by: str) -> dict[str, Any]:
    """Attach a checked file to a report (inside the caller's transaction; audited)."""
    kind = check(filename, data)
    digest = _write_blob(data)
    name = safe_filename(Path(filename).stem, kind, fallback="佐证材料")
    cur = conn.execute(
        "INSERT INTO progress_attachments (report, sha256, filename, kind, size, uploaded_by, uploaded_at) "
        "VALUES (?,?,?,?,?,?,?)",
        (report["id"], digest, name, kind, len(data), by, now()),
    )
    row = get(conn, int(cur.lastrowid or 0))
    assert row is not None
    append_entry(
        conn,
        actor=by,
        action="progress.attach",
        kind="progress",
        plan=report["plan"],
        item=report["item"],
        target=f"{report['department']}@{report['period']}",
        before=None,
        after={"attachment": row["id"], "filename": name, "sha256": digest, "size": len(data)},
    )
    return row


def remove(conn: sqlite3.Connection, report: dict[str, Any], attachment_id: int, by: str) -> None:
    """Detach a file (the row is kept, marked removed; the bytes stay for the audit trail)."""
    row = get(conn, attachment_id)
    if row is None or row["report"] != report["id"] or row["removed_at"]:
        raise NotFound("没有这个附件")
    conn.execute("UPDATE progress_attachments SET removed_at = ? WHERE id = ?", (now(), attachment_id))
    append_entry(
        conn,
        actor=by,
        action="progress.detach",
        kind="progress",
        plan=report["plan"],
        item=report["item"],
        target=f"{report['department']}@{report['period']}",
        before={"attachment": attachment_id, "filename": row["filename"]},
        after=None,
    )


def get(conn: sqlite3.Connection, attachment_id: int) -> dict[str, Any] | None:
    r = conn.execute("SELECT * FROM progress_attachments WHERE id = ?", (attachment_id,)).fetchone()
    return dict(r) if r else None


def of_reports(conn: sqlite3.Connection, report_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """Live attachments by report id."""
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in report_ids}
    if not report_ids:
        return out
    marks = ",".join("?" * len(report_ids))
    for r in conn.execute(
        f"SELECT * FROM progress_attachments WHERE removed_at IS NULL AND report IN ({marks}) ORDER BY id", report_ids
    ):
        out[r["report"]].append(dict(r))
    return out


def mime(kind: str) -> str:
    return rules()["attachments"]["kinds"].get(kind, "application/octet-stream")
