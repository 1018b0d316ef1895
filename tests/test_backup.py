"""`kb backup` / `kb restore`: a review written before the backup comes back; junk files are refused."""

from __future__ import annotations

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


def test_backup_then_restore_round_trip(kb_data, tmp_path):
    _write("before")
    assert main(["backup", "-o", str(tmp_path / "b.sqlite")]) == 0
    _write("after")
    assert _probe_rows() == 2
    assert main(["restore", str(tmp_path / "b.sqlite")]) == 0
    assert _probe_rows() == 1
    assert (kb_data / "reviews.before-restore.sqlite").exists()


@pytest.mark.parametrize("content", [b"", b"not a database", b"SQLite format 3\x00" + b"\x00" * 50])
def test_restore_refuses_junk(kb_data, tmp_path, content, capsys):
    _write("kept")
    bad = tmp_path / "bad.sqlite"
    bad.write_bytes(content)
    assert main(["restore", str(bad)]) == 2
    assert "备份文件" in capsys.readouterr().err
    assert _probe_rows() == 1


def test_backup_refuses_live_file(kb_data, capsys):
    assert main(["backup", "-o", str(kb_data / "reviews.sqlite")]) == 2
