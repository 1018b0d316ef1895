"""SQLite connections: the derived KB of the live build, and the durable reviews database."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kb import paths
from kb.errors import NoKnowledgeBase


def connect(path: Path, readonly: bool = False) -> sqlite3.Connection:
    """A connection with rows as sqlite3.Row, foreign keys on, and a busy timeout instead of 'locked' errors."""
    uri = f"file:{path}?mode=ro" if readonly else f"file:{path}"
    conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def kb_connection() -> sqlite3.Connection:
    """Read-only connection to the live build's knowledge base."""
    path = paths.kb_db_path()
    if path is None or not path.exists():
        raise NoKnowledgeBase("知识库尚未构建,请先运行 `python -m kb build` (no KB built yet)")
    return connect(path, readonly=True)
