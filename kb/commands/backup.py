"""`kb backup` / `kb restore`: a checked copy of the durable database, and a restore that can always be undone."""

from __future__ import annotations

import os
import shutil
import sqlite3
import sys
import time
from pathlib import Path

from kb import paths
from kb.errors import UserError
from kb.store.durable import durable_connection, forget_migrated, migrations, private

KEEP_RESTORE_POINTS = 10  # pre-restore generations kept (the oldest go once a newer one is safely written)
RESTORE_POINTS = "restore-points"


def register(sub) -> None:
    p = sub.add_parser("backup", help="备份审核、审计、账户和监测数据 (online, consistent, integrity-checked)")
    p.add_argument("-o", "--output", required=True, help="备份文件 (.sqlite)")
    p.set_defaults(func=cmd_backup)
    p = sub.add_parser("restore", help="从备份恢复 (stop the server first; the replaced DB is kept as a restore point)")
    p.add_argument("file")
    p.set_defaults(func=cmd_restore)


def _integrity(conn: sqlite3.Connection) -> str:
    """'ok' or SQLite's first complaint about this database."""
    try:
        return str(conn.execute("PRAGMA integrity_check(1)").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        return str(exc)


def expected_schema(versions: set[int]) -> dict[str, set[str]]:
    """Table → columns a database with these migrations applied must have (built in memory from the files)."""
    conn = sqlite3.connect(":memory:")
    try:
        for version, _name, sql in migrations():
            if version in versions:
                conn.executescript(sql)
        return {
            t: {c[1] for c in conn.execute(f'PRAGMA table_info("{t}")')}
            for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not t.startswith("sqlite_")
        }
    finally:
        conn.close()


def check_database(file: Path) -> int:
    """The schema version of an intact reviews database; UserError naming what is wrong otherwise."""
    try:
        conn = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise UserError(f"不是有效的备份文件: {file} ({exc})") from exc
    try:
        verdict = _integrity(conn)
        if verdict != "ok":
            raise UserError(f"不是有效的备份文件或已损坏: {file} ({verdict})")
        try:
            versions = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            have = {
                t: {c[1] for c in conn.execute(f'PRAGMA table_info("{t}")')}
                for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        except sqlite3.DatabaseError as exc:
            raise UserError(f"不是有效的备份文件: {file} ({exc})") from exc
    finally:
        conn.close()
    known = {v for v, _n, _s in migrations()}
    if not versions or versions - known:
        newer = sorted(versions - known)
        why = f"由更新版本的程序写入 (迁移 {newer})" if newer else "没有迁移记录"
        raise UserError(f"不是可恢复的审核数据库: {file} ({why})")
    for table, columns in expected_schema(versions).items():
        missing = columns - have.get(table, set())
        if missing:
            what = f"缺少表 {table}" if table not in have else f"表 {table} 缺少列 {', '.join(sorted(missing))}"
            raise UserError(f"不是有效的审核数据库: {file} ({what})")
    return max(versions)


def _copy_db(src: Path, dest: Path, check: bool) -> None:
    """Copy a SQLite database (with its WAL) through the backup API into dest, atomically; check it first."""
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(f"file:{src}", uri=True, timeout=30)
    try:
        if check:
            verdict = _integrity(conn)
            if verdict != "ok":
                raise UserError(f"数据库已损坏,拒绝备份 ({verdict});请从上一次的备份恢复: {src}")
        out = sqlite3.connect(tmp)
        try:
            conn.backup(out)
        finally:
            out.close()
    finally:
        conn.close()
    os.chmod(tmp, 0o600)
    os.replace(tmp, dest)


def backup_to(dest: Path) -> None:
    """Copy reviews.sqlite into dest (consistent while the server writes), refusing a corrupt source."""
    try:
        durable_connection().close()  # migrations applied, so the copy is of the current schema
    except sqlite3.DatabaseError as exc:
        raise UserError(f"数据库已损坏,拒绝备份 ({exc});请从上一次的备份恢复: {paths.reviews_db_path()}") from exc
    _copy_db(paths.reviews_db_path(), dest, check=True)
    check_database(dest)


def restore_point(live: Path) -> Path:
    """Keep the live database as a new timestamped generation (never overwriting one); its path.

    A database too damaged for SQLite to copy is kept byte for byte, with its WAL, so nothing is lost.
    """
    folder = paths.data_dir() / RESTORE_POINTS
    folder.mkdir(mode=0o700, exist_ok=True)
    now = time.time()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"  # sorts by time
    dest = folder / f"reviews-{stamp}.sqlite"
    while dest.exists():  # never overwrite a generation
        dest = dest.with_name(dest.stem + "0.sqlite")
    try:
        _copy_db(live, dest, check=False)
    except sqlite3.DatabaseError:
        for suffix in ("", "-wal"):
            if Path(str(live) + suffix).exists():
                shutil.copyfile(str(live) + suffix, str(dest) + suffix)
        os.chmod(dest, 0o600)
    return dest


def _rotate(keep: Path, source: Path) -> None:
    """Drop restore points beyond the newest KEEP_RESTORE_POINTS, never the one just written or restored from."""
    points = sorted((paths.data_dir() / RESTORE_POINTS).glob("reviews-*.sqlite"), key=lambda p: p.name, reverse=True)
    for old in points[KEEP_RESTORE_POINTS:]:
        if old.resolve() not in (keep.resolve(), source.resolve()):
            for suffix in ("", "-wal"):
                Path(str(old) + suffix).unlink(missing_ok=True)


def cmd_backup(args) -> int:
    dest = Path(args.output)
    if dest.resolve() == paths.reviews_db_path().resolve():
        raise UserError("备份文件不能是正在使用的数据库本身")
    backup_to(dest)
    print(f"已备份 → {dest}(完整性检查通过)", file=sys.stderr)
    return 0


def cmd_restore(args) -> int:
    src = Path(args.file)
    live = paths.reviews_db_path()
    if not src.is_file():
        raise UserError(f"找不到备份文件: {src}")
    if live.exists() and src.resolve() == live.resolve():
        raise UserError("不能从正在使用的数据库本身恢复")
    version = check_database(src)
    point = restore_point(live) if live.exists() else None
    tmp = live.with_name(live.name + ".restore")
    _copy_db(src, tmp, check=False)
    for suffix in ("-wal", "-shm"):
        Path(str(live) + suffix).unlink(missing_ok=True)
    os.replace(tmp, live)
    private(live)
    forget_migrated(live)
    durable_connection(live).close()  # migrations of this version applied now, not on the first request
    if point is not None:
        _rotate(point, src)
        print(f"已恢复 {src} → {live}(架构版本 {version});原数据库已保存为 {point}", file=sys.stderr)
        print(f"撤销此次恢复: python -m kb restore {point}", file=sys.stderr)
    else:
        print(f"已恢复 {src} → {live}(架构版本 {version})", file=sys.stderr)
    return 0
