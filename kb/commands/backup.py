"""`kb backup` / `kb restore`: a consistent copy of the durable database, safe while the server writes."""

from __future__ import annotations

import os
import sqlite3
import sys
from pathlib import Path

from kb import paths
from kb.cli import UserError
from kb.store.durable import durable_connection


def register(sub) -> None:
    p = sub.add_parser("backup", help="备份审核、审计、账户和监测数据 (online, consistent)")
    p.add_argument("-o", "--output", required=True, help="备份文件 (.sqlite)")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="从备份恢复 (stop the server first)")
    p.add_argument("file")
    p.set_defaults(func=cmd_restore)


def backup_to(dest: Path) -> None:
    """Copy reviews.sqlite with SQLite's backup API (a snapshot that includes the WAL) into dest."""
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    src = durable_connection()
    out = sqlite3.connect(tmp)
    try:
        src.backup(out)
    finally:
        out.close()
        src.close()
    os.replace(tmp, dest)


def _check(file: Path) -> None:
    """Refuse a file that is not a reviews database (wrong file, truncated copy)."""
    try:
        conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
        ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        conn.close()
    except sqlite3.DatabaseError as exc:
        raise UserError(f"不是有效的备份文件: {file} ({exc})") from exc
    if not ok or "schema_migrations" not in tables:
        raise UserError(f"不是有效的备份文件或已损坏: {file}")


def cmd_backup(args) -> int:
    dest = Path(args.output)
    if dest.resolve() == paths.reviews_db_path().resolve():
        raise UserError("备份文件不能是正在使用的数据库本身")
    backup_to(dest)
    print(f"已备份 → {dest}", file=sys.stderr)
    return 0


def cmd_restore(args) -> int:
    src = Path(args.file)
    if not src.is_file():
        raise UserError(f"找不到备份文件: {src}")
    _check(src)
    live = paths.reviews_db_path()
    if live.exists():  # keep what was there, so a restore can itself be undone
        backup_to(live.with_name("reviews.before-restore.sqlite"))
    tmp = live.with_name(live.name + ".restore")
    conn, out = sqlite3.connect(f"file:{src}?mode=ro", uri=True), sqlite3.connect(tmp)
    try:
        conn.backup(out)
    finally:
        out.close()
        conn.close()
    for suffix in ("-wal", "-shm"):
        Path(str(live) + suffix).unlink(missing_ok=True)
    os.replace(tmp, live)
    print(f"已恢复 {src} → {live}(原数据库另存为 reviews.before-restore.sqlite)", file=sys.stderr)
    return 0
