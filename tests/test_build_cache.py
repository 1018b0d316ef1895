"""Work proportional to the change: per-plan cache entries keyed by content and code, an unchanged rebuild that
keeps the live build, `kb add` analysing only the new plan, and an assembled KB + index equal to a whole write."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from review_helpers import MINI, SLUG, use_mini

from kb import build_cache, paths
from kb.build import PLAN_TABLES, build, write_kb


def _add_plan(slug: str, edit: str = "") -> Path:
    """Another plan in the plans folder: the review plan's text under its own slug (optionally edited)."""
    text = MINI.read_text(encoding="utf-8") + edit
    dest = paths.plans_dir() / f"{slug}.txt"
    dest.write_text(text, encoding="utf-8")
    dest.with_suffix(".json").write_text(json.dumps({"slug": slug, "title": f"{slug} 规划"}), encoding="utf-8")
    return dest


@pytest.fixture
def analysed(monkeypatch):
    """Record which plan files the build analyses (in this process: procs=1)."""
    seen: list[str] = []
    real = build_cache.fill

    def fill(key, path, factors):
        seen.append(Path(path).stem)
        return real(key, path, factors)

    monkeypatch.setattr(build_cache, "fill", fill)
    return seen


def _rows(db: Path) -> dict[str, list]:
    conn = sqlite3.connect(db)
    try:
        return {t: sorted(map(repr, conn.execute(f"SELECT * FROM {t}").fetchall())) for t in PLAN_TABLES}
    finally:
        conn.close()


def test_unchanged_rebuild_keeps_the_live_build_and_analyses_nothing(kb_data, monkeypatch, analysed):
    use_mini(monkeypatch, kb_data)
    _add_plan("other-plan")
    first = build(procs=1)
    assert sorted(analysed) == ["other-plan", SLUG]
    analysed.clear()
    assert build(procs=1) == first and paths.current_build() == first
    assert analysed == []
    forced = build(procs=1, force=True)  # --force analyses every plan again into a new build
    assert forced != first and sorted(analysed) == ["other-plan", SLUG]
    assert _rows(forced / "kb.sqlite") == _rows(first / "kb.sqlite")


def test_adding_or_editing_a_plan_analyses_that_plan_alone(kb_data, monkeypatch, analysed):
    use_mini(monkeypatch, kb_data)
    _add_plan("plan-a")
    build(procs=1)
    analysed.clear()
    _add_plan("plan-b")
    build(procs=1)
    assert analysed == ["plan-b"]
    analysed.clear()
    _add_plan("plan-a", edit="\n")  # its bytes changed: a miss, even if the analysis would come out the same
    live = build(procs=1)
    assert analysed == ["plan-a"]
    with sqlite3.connect(live / "kb.sqlite") as conn:
        assert {r[0] for r in conn.execute("SELECT id FROM plans")} == {SLUG, "plan-a", "plan-b"}
    assert len(list(build_cache.cache_dir().iterdir())) == 3  # the replaced entry of plan-a is pruned


def test_a_new_analysis_version_misses_every_plan(kb_data, monkeypatch, analysed):
    use_mini(monkeypatch, kb_data)
    first = build(procs=1)
    analysed.clear()
    monkeypatch.setattr(build_cache, "code_version", lambda: "another analysis version")
    second = build(procs=1)
    assert analysed == [SLUG] and second != first


def test_metadata_and_repair_reviews_are_part_of_the_key(kb_data, monkeypatch):
    src = use_mini(monkeypatch, kb_data)
    key = build_cache.plan_key(src, {}, [])
    assert build_cache.plan_key(src, {}, []) == key
    assert build_cache.plan_key(src, {"lexicon:x": 0.5}, []) != key
    assert build_cache.plan_key(src, {}, [{"target": "r1", "decision": "accept"}]) != key
    src.with_suffix(".json").write_text(json.dumps({"title": "改名"}), encoding="utf-8")
    assert build_cache.plan_key(src, {}, []) != key


def test_a_repair_review_rebuilds_only_its_plan(kb_data, monkeypatch, analysed):
    from kb import reviews
    from kb.store import KB

    use_mini(monkeypatch, kb_data)
    _add_plan("plan-a")
    build(procs=1)
    with KB() as kb:
        rep = next(r for r in kb.repairs(SLUG))
    decide = reviews.reject_repair if rep["applied"] else reviews.accept_repair
    decide(rep["id"], "amy", plan=SLUG)
    analysed.clear()
    build(procs=1)
    assert analysed == [SLUG]
    with KB() as kb:
        assert next(r for r in kb.repairs(SLUG) if r["id"] == rep["id"])["applied"] is not rep["applied"]


def test_assembled_build_equals_one_whole_write(kb_data, monkeypatch, tmp_path):
    """Rows and derived search arrays of the per-plan assembly are those of writing every plan at once."""
    from kb.search.arrays import derived
    from kb.search.writer import build_index
    from nlp.pipeline import analyse_file

    use_mini(monkeypatch, kb_data)
    _add_plan("plan-a", edit="\n")
    _add_plan("plan-b")
    live = build(procs=2)  # the pool path
    from kb.build import plan_files

    plans = sorted((analyse_file(f) for f in plan_files()), key=lambda p: p.id)
    whole = tmp_path / "whole"
    whole.mkdir()
    write_kb(whole / "kb.sqlite", plans)
    assert _rows(whole / "kb.sqlite") == _rows(live / "kb.sqlite")
    build_index(whole / "kb.sqlite", whole / "index")
    a, b = derived(live / "index"), derived(whole / "index")
    meta_a, meta_b = (json.loads((d / "meta.json").read_text(encoding="utf-8")) for d in (a, b))
    assert {k: v for k, v in meta_a.items() if k != "terms"} == {k: v for k, v in meta_b.items() if k != "terms"}
    assert meta_a["terms"].keys() == meta_b["terms"].keys()
    docs_a, docs_b = np.load(a / "post_docs.npy"), np.load(b / "post_docs.npy")
    w_a, w_b = np.load(a / "post_weights.npy"), np.load(b / "post_weights.npy")
    for field, terms in meta_a["terms"].items():
        assert terms.keys() == meta_b["terms"][field].keys()
        for term, (s, e) in terms.items():
            s2, e2 = meta_b["terms"][field][term]
            got = sorted(zip(docs_a[s:e].tolist(), w_a[s:e].tolist(), strict=True))
            assert got == sorted(zip(docs_b[s2:e2].tolist(), w_b[s2:e2].tolist(), strict=True)), (field, term)
    assert (live / "index" / "hay.bin").read_bytes() == (whole / "index" / "hay.bin").read_bytes()
    with np.load(a / "items.npz") as za, np.load(b / "items.npz") as zb:
        assert all(np.array_equal(za[k], zb[k]) for k in za.files)


def test_a_killed_cache_fill_leaves_no_entry(kb_data, monkeypatch):
    """An entry appears whole or not at all: a failure while writing its index leaves nothing behind."""
    src = use_mini(monkeypatch, kb_data)

    def broken(db, index_dir, procs=1):
        raise KeyboardInterrupt

    monkeypatch.setattr("kb.search.writer.build_index", broken)
    with pytest.raises(KeyboardInterrupt):
        build_cache.fill("k" * 32, src, {})
    assert build_cache.entry("k" * 32) is None and list(build_cache.cache_dir().iterdir()) == []


def test_a_build_from_a_threaded_process_analyses_in_fresh_processes(kb_data, monkeypatch):
    """A web worker (threads running) publishing an upload that misses several plans: forkserver, same KB."""
    import threading

    use_mini(monkeypatch, kb_data)
    _add_plan("plan-a")
    stop = threading.Event()
    busy = threading.Thread(target=stop.wait, daemon=True)
    busy.start()
    try:
        live = build(procs=2)
    finally:
        stop.set()
    with sqlite3.connect(live / "kb.sqlite") as conn:
        assert {r[0] for r in conn.execute("SELECT id FROM plans")} == {SLUG, "plan-a"}
    assert build(procs=2) == live
