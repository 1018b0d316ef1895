"""A build that keeps the live build's first plans copies its SQLite file and replaces only the last plans' rows
(kb.store.assemble.extend_kb): every table, row ids included, and the statistics equal those of assembling every
plan whole; any other change, or --force, assembles whole."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from review_helpers import EDIT, drop_plan, put_plan, use_mini

from kb import build_cache
from kb.build import PLAN_TABLES, build
from kb.store import assemble


def _dump(db: Path) -> dict[str, list]:
    """Every row of every table by row id, the statistics and the schema (meta's build time aside)."""
    conn = sqlite3.connect(db)
    try:
        out = {t: conn.execute(f"SELECT rowid, * FROM {t} ORDER BY rowid").fetchall() for t in PLAN_TABLES}
        out["departments"] = conn.execute("SELECT * FROM departments ORDER BY name").fetchall()
        out["stat"] = conn.execute("SELECT * FROM sqlite_stat1 ORDER BY tbl, idx").fetchall()
        out["schema"] = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        out["meta"] = conn.execute("SELECT key FROM meta ORDER BY key").fetchall()
        return out
    finally:
        conn.close()


@pytest.fixture
def extended(monkeypatch) -> list[int]:
    """How many plans each extend_kb call appended (no call: the build assembled whole)."""
    calls: list[int] = []
    real = assemble.extend_kb

    def spy(db, live_db, gone, fragments, first):
        fragments = list(fragments)  # each one's plan analysed by now (the build streams them as their entries fill)
        calls.append(len(fragments))
        return real(db, live_db, gone, fragments, first)

    monkeypatch.setattr("kb.build.extend_kb", spy)
    return calls


# The default plan is review-mini; plans build in id order.
CHANGES = [
    # (plans before, change, plans extend_kb appends: None when the build assembles whole)
    (["plan-a"], ("+", "zz-last"), 1),  # sorts last: only its rows are added
    (["plan-a", "plan-b"], ("+", "plan-c"), 2),  # before review-mini: its rows are re-appended after plan-c's
    (["plan-a", "zz-last"], ("-", "zz-last"), 0),  # the last plan removed: rows deleted, nothing appended
    (["plan-a", "zz-last"], ("~", "zz-last"), 1),  # the last plan edited
    (["plan-b"], ("+", "plan-a"), None),  # sorts first: nothing shared
    (["plan-b", "plan-c"], ("~", "plan-b"), None),  # fewer plans kept (0) than re-appended
    (["plan-a"], ("force", ""), None),  # --force writes every row from the fresh entries
]


@pytest.mark.parametrize(("before", "change", "appended"), CHANGES)
def test_a_build_extending_the_live_file_writes_what_a_whole_assembly_writes(
    kb_data, monkeypatch, tmp_path, extended, before, change, appended
):
    use_mini(monkeypatch, kb_data)
    for slug in before:
        put_plan(slug)
    build(procs=1)
    op, slug = change
    if op == "-":
        drop_plan(slug)
    elif op in "+~":
        put_plan(slug, EDIT if op == "~" else "")
    live = build(procs=1, force=op == "force")
    assert extended == ([] if appended is None else [appended])
    entries = [build_cache.cache_dir() / k for _p, k in json.loads((live / "build.json").read_text())["plans"]]
    whole = tmp_path / "whole.sqlite"
    assemble.assemble_kb(whole, [e / build_cache.FRAGMENT for e in entries])
    assert _dump(live / "kb.sqlite") == _dump(whole)
