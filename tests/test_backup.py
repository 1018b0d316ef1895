"""`kb backup` / `kb restore`: round trips, junk and corrupt files refused, every restore can be undone."""

from __future__ import annotations

import sqlite3
import stat

import pytest

from kb.cli import main
from kb.store.durable import durable_connection


def _probe_rows() -> int:
    conn = durable_connection()
    try:
        conn.execute("CREATE TABLE IF NOT EXISTS probe (v TEXT)")
        return conn.execute("SELECT count(*) FROM probe").fetchone()[0]
    finally:
        conn.close()


def _write(value: str) -> None:
    conn = durable_connection()
    conn.execute("CREATE TABLE IF NOT EXISTS probe (v TEXT)")
    conn.execute("INSERT INTO probe VALUES (?)", (value,))
    conn.close()


def _points(kb_data):
    return sorted((kb_data / "restore-points").glob("reviews-*.sqlite"))


def test_backup_then_restore_round_trip(kb_data, tmp_path):
    _write("before")
    assert main(["backup", "-o", str(tmp_path / "b.sqlite")]) == 0
    _write("after")
    assert _probe_rows() == 2
    assert main(["restore", str(tmp_path / "b.sqlite")]) == 0
    assert _probe_rows() == 1
    [point] = _points(kb_data)
    assert stat.S_IMODE(point.stat().st_mode) & 0o077 == 0


@pytest.mark.slow
def test_a_restore_can_be_undone_and_undoing_loses_nothing(kb_data, tmp_path):
    """The report's sequence: restore, then restore the saved generation; both states survive."""
    for n in range(5):
        _write(f"live-{n}")
    assert main(["backup", "-o", str(tmp_path / "old.sqlite")]) == 0  # five rows
    for n in range(5, 845):
        _write(f"live-{n}")
    assert main(["restore", str(tmp_path / "old.sqlite")]) == 0
    assert _probe_rows() == 5
    [first] = _points(kb_data)
    assert main(["restore", str(first)]) == 0  # undo the restore
    assert _probe_rows() == 845
    assert first.exists() and len(_points(kb_data)) == 2  # the source was not overwritten; a new generation
    assert main(["restore", str(first)]) == 0  # and again: still the same 845
    assert _probe_rows() == 845


def test_restore_points_rotate_but_keep_the_one_restored_from(kb_data, tmp_path, monkeypatch):
    from kb.commands import backup

    monkeypatch.setattr(backup, "KEEP_RESTORE_POINTS", 2)
    _write("x")
    assert main(["backup", "-o", str(tmp_path / "b.sqlite")]) == 0
    for _ in range(4):
        assert main(["restore", str(tmp_path / "b.sqlite")]) == 0
    assert len(_points(kb_data)) == 2


@pytest.mark.parametrize("content", [b"", b"not a database", b"SQLite format 3\x00" + b"\x00" * 50])
def test_restore_refuses_junk(kb_data, tmp_path, content, capsys):
    _write("kept")
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(content)
    assert main(["restore", str(bad)]) == 2
    assert "备份文件" in capsys.readouterr().err
    assert _probe_rows() == 1


def _db(path, sql: str) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.close()


MIGRATIONS_TABLE = "CREATE TABLE schema_migrations (version INTEGER, name TEXT);"


@pytest.mark.parametrize(
    "sql,why",
    [
        (MIGRATIONS_TABLE, "没有迁移记录"),  # the report's case
        (
            MIGRATIONS_TABLE + "INSERT INTO schema_migrations VALUES (1, 'r');",
            "缺少表",
        ),
        (
            MIGRATIONS_TABLE + "INSERT INTO schema_migrations VALUES (999, 'x');",
            "更新版本",
        ),
    ],
)
def test_restore_checks_the_schema_not_just_one_table(kb_data, tmp_path, capsys, sql, why):
    _write("kept")
    fake = tmp_path / "fake.sqlite"
    _db(fake, sql)
    assert main(["restore", str(fake)]) == 2
    assert why in capsys.readouterr().err
    assert _probe_rows() == 1


def test_restore_refuses_a_missing_column(kb_data, tmp_path, capsys):
    _write("kept")
    good = tmp_path / "good.sqlite"
    assert main(["backup", "-o", str(good)]) == 0
    conn = sqlite3.connect(good)
    conn.executescript("ALTER TABLE users DROP COLUMN last_login_at;")
    conn.close()
    assert main(["restore", str(good)]) == 2
    assert "缺少列 last_login_at" in capsys.readouterr().err


def _corrupt(path) -> None:
    """Overwrite the middle of the file: pages SQLite will find broken."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("CREATE TABLE IF NOT EXISTS filler (v TEXT)")
    conn.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,) for _ in range(400)])
    conn.commit()
    conn.close()
    data = bytearray(path.read_bytes())
    for off in range(4096 * 3, len(data) - 4096, 4096 * 2):
        data[off : off + 200] = b"\xa5" * 200
    path.write_bytes(bytes(data))


def test_backup_refuses_a_corrupt_database(kb_data, tmp_path, capsys):
    _write("kept")
    durable_connection().close()
    _corrupt(kb_data / "reviews.sqlite")
    out = tmp_path / "b.sqlite"
    assert main(["backup", "-o", str(out)]) == 2
    assert "损坏" in capsys.readouterr().err and not out.exists()


def test_restore_over_a_corrupt_database_keeps_its_bytes(kb_data, tmp_path):
    _write("x")
    good = tmp_path / "good.sqlite"
    assert main(["backup", "-o", str(good)]) == 0
    _corrupt(kb_data / "reviews.sqlite")
    assert main(["restore", str(good)]) == 0
    assert _probe_rows() == 1
    assert _points(kb_data)


def test_backup_refuses_live_file(kb_data, capsys):
    assert main(["backup", "-o", str(kb_data / "reviews.sqlite")]) == 2


def test_a_failing_migration_reports_its_own_error(kb_data, monkeypatch):
    """The report's log said only "cannot rollback - no transaction is active"; the real cause must surface."""
    from kb.store import durable

    real = durable.migrations()
    # RAISE(ROLLBACK) ends the transaction itself, as a full or read-only disk does on COMMIT
    sql = (
        "CREATE TABLE broken (x);\n"
        "CREATE TRIGGER broken_t BEFORE INSERT ON broken BEGIN SELECT RAISE(ROLLBACK, 'disk full (simulated)'); END;\n"
        "INSERT INTO broken VALUES (1);\n"
    )
    monkeypatch.setattr(durable, "migrations", lambda: [*real, (999, "broken", sql)])
    conn = sqlite3.connect(kb_data / "reviews.sqlite", isolation_level=None)
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        durable.migrate(conn)
    conn.close()
