"""Shared by the crash, fuzz and reliability tests: a real build in a subprocess, and the live KB as read."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def subprocess_env(data: Path) -> dict[str, str]:
    """The environment of a child `python -m kb` working on the data dir `data`."""
    return {**os.environ, "KB_DATA_DIR": str(data), "PYTHONPATH": str(REPO)}


def build_in_subprocess(data: Path) -> None:
    """A complete `python -m kb build` in its own process; fails the test with its stderr."""
    done = subprocess.run(
        [sys.executable, "-m", "kb", "build", "--quiet", "--force"],
        cwd=REPO,
        env=subprocess_env(data),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr


def live_kb_state() -> tuple[Path, int, str]:
    """(live build folder, item count, integrity check) read the way the app reads it."""
    from kb import paths

    live = paths.current_build()
    conn = sqlite3.connect(f"file:{live / 'kb.sqlite'}?mode=ro", uri=True)
    try:
        return (
            live,
            conn.execute("SELECT count(*) FROM items").fetchone()[0],
            conn.execute("PRAGMA integrity_check").fetchone()[0],
        )
    finally:
        conn.close()


def data_dir_over(build_root: Path, where: Path, monkeypatch, name: str = "data") -> Path:
    """A fresh data dir (own reviews, users, secret key) whose live build is build_root's; KB_DATA_DIR points at it."""
    data = where / name
    data.mkdir()
    link_build(build_root, data)
    monkeypatch.setenv("KB_DATA_DIR", str(data))
    return data


def link_build(build_root: Path, data: Path) -> None:
    """Make build_root's live build the live build of the data dir `data` (a symlink; the build stays read-only)."""
    (data / "current").symlink_to((build_root / "current").resolve(), target_is_directory=True)
    from pg.fixtures import publish_if_other

    publish_if_other((build_root / "current").resolve())  # the search on PostgreSQL needs the build there too


def copy_analyses(build_root: Path, data: Path) -> None:
    """build_root's per-plan analysis cache (kb.build_cache) copied into the data dir `data`, as an earlier build
    there would have left it: a build or `kb add` in `data` analyses only the plans that differ (a forced build
    analyses all). A copy, not a link: builds there add and prune entries."""
    shutil.copytree(build_root / "cache", data / "cache", dirs_exist_ok=True)
