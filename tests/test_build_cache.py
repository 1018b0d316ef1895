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

    def fill(key, path, factors, plan=None, repair_rows=None):
        if plan is None:  # given a plan, fill writes it without analysing
            seen.append(Path(path).stem)
        return real(key, path, factors, plan, repair_rows)

    monkeypatch.setattr(build_cache, "fill", fill)
    return seen


def _rows(db: Path) -> dict[str, list]:
    conn = sqlite3.connect(db)
    try:
        return {t: sorted(map(repr, conn.execute(f"SELECT * FROM {t}").fetchall())) for t in PLAN_TABLES}
    finally:
        conn.close()


def _schema(db: Path) -> list[tuple]:
    """Every table and index with its columns (the assembly creates indexes after the rows, a write before)."""
    conn = sqlite3.connect(db)
    try:
        names = conn.execute("SELECT type, name, tbl_name FROM sqlite_master ORDER BY type, name").fetchall()
        return [(*n, conn.execute(f"PRAGMA index_xinfo({n[1]})" if n[0] == "index" else f"PRAGMA table_xinfo({n[1]})")
                 .fetchall()) for n in names]  # fmt: skip
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
    monkeypatch.setattr(build_cache, "code_version", lambda: "other assembly code")  # kb/build.py, webapp …
    second = build(procs=1)
    assert analysed == [] and second != first  # re-assembled from the cache entries, nothing analysed
    assert _rows(second / "kb.sqlite") == _rows(first / "kb.sqlite")
    monkeypatch.setattr(build_cache, "analysis_version", lambda: "another analysis version")
    third = build(procs=1)
    assert analysed == [SLUG] and third != second


# Probe run in a fresh interpreter: every repo file a real cache fill and the index unit made from its rows (a build's
# pool job, kb.build_units.make) open or import (outside the plan itself).
_FILL_PROBE = """
import os, sys
repo, data = sys.argv[1], sys.argv[2]
seen = set()
def hook(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        seen.add(os.path.abspath(os.fsdecode(args[0])))
sys.addaudithook(hook)
from kb import build_units, paths
paths.use_data_dir(data)
# a repair review row too, so the fill runs the matching of reviewed repairs
rows = [{"target": "x", "anchor": "{}", "decision": "accept"}]
build_units.make(("probe",), [("probe", str(paths.DEFAULT_PLAN), rows)], {})
seen |= {os.path.abspath(m.__file__) for m in list(sys.modules.values()) if getattr(m, "__file__", None)}
for f in sorted(seen):
    if f.startswith(repo + os.sep) and os.path.isfile(f):
        print(os.path.relpath(f, repo))
"""


# slow: a fresh interpreter analyses the plan under an audit hook; the fast subset keeps the key's own tests
# (test_analysis_code_changes_the_key_and_other_code_does_not)
@pytest.mark.slow
def test_the_analysis_key_covers_every_file_a_cache_fill_reads(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _FILL_PROBE, str(paths.REPO), str(tmp_path / "data")],
        capture_output=True,
        text=True,
        check=True,
        cwd=paths.REPO,
    ).stdout.split()
    covered = {str(f.relative_to(paths.REPO)) for f in build_cache.source_files(build_cache.ANALYSIS)}
    read = [f for f in out if "__pycache__" not in f and not f.startswith((".venv", "corpus/", "plan_kb.egg-info"))]
    assert "nlp/pipeline.py" in read and "kb/search/writer.py" in read and "kb/store/write.py" in read
    # kb/build_units.py: how a unit is written, versioned in its id by build_units.FORMAT (new units, nothing analysed)
    assert [f for f in read if f not in covered and f != "kb/build_units.py"] == []


@pytest.mark.parametrize(
    "changed, invalidates",
    [
        ("nlp/pipeline.py", True),
        ("nlp/data/NEW.tsv", True),  # language data the analysis reads
        ("kb/search/writer.py", True),  # the per-plan segment
        ("kb/store/write.py", True),  # the per-plan rows
        ("kb/store/schema.sql", True),
        ("kb/repair_match.py", True),  # which repairs reviewers decided: the analysis applies them
        ("kb/build.py", False),  # assembly: re-assembled, not re-analysed
        ("kb/reviews/overlay.py", False),  # review code: the build hands the analysis its plan's repair reviews
        ("kb/reviews/anchoring.py", False),
        ("kb/serving/worker.py", False),
        ("kb/commands/serve.py", False),
        ("kb/exports/docx.py", False),
        ("webapp/app.py", False),
    ],
)
def test_analysis_code_changes_the_key_and_other_code_does_not(tmp_path, changed, invalidates):
    import shutil

    for part in ("nlp", "kb", "webapp"):
        shutil.copytree(paths.REPO / part, tmp_path / part, ignore=shutil.ignore_patterns("__pycache__"))
    before = build_cache.files_hash(build_cache.ANALYSIS, tmp_path), build_cache.files_hash(build_cache.ROOTS, tmp_path)
    target = tmp_path / changed
    target.write_bytes((target.read_bytes() if target.exists() else b"") + b"\n# changed\n")
    after = build_cache.files_hash(build_cache.ANALYSIS, tmp_path), build_cache.files_hash(build_cache.ROOTS, tmp_path)
    assert (after[0] != before[0]) is invalidates
    assert (after[1] != before[1]) is changed.startswith(("nlp/", "kb/"))  # the build manifest sees every change


def test_kb_add_analyses_the_new_plan_once_and_writes_what_a_rebuild_would(kb_data, monkeypatch, tmp_path):
    import nlp.pipeline
    from kb.ingest import prepare, publish

    use_mini(monkeypatch, kb_data)
    build(procs=1)
    src = tmp_path / "new-plan.txt"
    src.write_text(MINI.read_text(encoding="utf-8"), encoding="utf-8")
    calls: list[str] = []
    real = nlp.pipeline.analyse_file

    def counting(path, *args, **kwargs):
        calls.append(Path(path).name)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(nlp.pipeline, "analyse_file", counting)
    plan = prepare(src, "new-plan", None, None)
    live = (publish(src, plan), paths.current_build())[1]
    assert calls == ["new-plan.txt"]  # the parse report's analysis is the one published
    forced = build(procs=1, force=True)  # every plan analysed again from the published files
    assert _rows(live / "kb.sqlite") == _rows(forced / "kb.sqlite")


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


@pytest.mark.slow
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
    assert _schema(whole / "kb.sqlite") == _schema(live / "kb.sqlite")  # the indexes made after the copy too
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


REAL = Path(__file__).parent / "fixtures" / "real"


def _add_real(name: str) -> Path:
    """A real plan excerpt (tests/fixtures/real) in the plans folder: other words, departments and items."""
    dest = paths.plans_dir() / f"real-{name[:2]}.txt"
    dest.write_text((REAL / name).read_text(encoding="utf-8"), encoding="utf-8")
    return dest


@pytest.mark.slow
@pytest.mark.parametrize(
    "others",
    [
        [],  # one plan: the combined arrays of one part are those whoosh's reader gives
        ["plan-a"],  # the same words in two plans: every term's postings span both parts
        ["05_national_women_2021.txt", "07_city_children_2021.txt"],  # other vocabularies, departments, domains
        ["plan-b", "03_local_women_2011_runon.txt", "plan-a"],  # parts in id order, shared and own terms mixed
    ],
)
def test_combined_arrays_equal_the_merged_index_read_through_whoosh(kb_data, monkeypatch, tmp_path, others):
    """The score arrays an assembled build combines from its plans' parts (kb.search.parts) are, byte for byte,
    those derived by reading the assembled whoosh index through whoosh (postings, scores, term table, items)."""
    from whoosh.scoring import BM25F

    from kb.search.arrays import DERIVED, derive
    from kb.search.schema import K1, B, whoosh_index

    use_mini(monkeypatch, kb_data)
    for o in others:
        _add_real(o) if o.endswith(".txt") else _add_plan(o)
    live = build(procs=1)
    combined = live / "index" / DERIVED
    assert combined.is_dir()  # written by the assembly, not left to the first search
    read = tmp_path / "read"
    read.mkdir()
    ix = whoosh_index(live / "index")
    try:
        with ix.searcher(weighting=BM25F(B=B, K1=K1)) as searcher:
            assert searcher.reader().doc_count_all() > 0
            derive(searcher, read)
    finally:
        ix.close()
    names = sorted(p.name for p in combined.iterdir())
    assert names == sorted(p.name for p in read.iterdir())
    for name in names:
        assert (combined / name).read_bytes() == (read / name).read_bytes(), name
    meta = json.loads((combined / "meta.json").read_text(encoding="utf-8"))
    assert len({i.split(":")[0] for i in meta["ids"]}) == 1 + len(others)


def test_a_killed_cache_fill_leaves_no_entry(kb_data, monkeypatch):
    """An entry and an index unit appear whole or not at all: a failure while writing the unit's index leaves the
    plan's entry (written whole before it) and no unit; one while writing the rows leaves no entry."""
    from kb import build_units

    src = use_mini(monkeypatch, kb_data)

    def broken(*_a, **_k):
        raise KeyboardInterrupt

    key = "k" * 32
    monkeypatch.setattr("kb.search.writer.build_index", broken)
    with pytest.raises(KeyboardInterrupt):
        build_units.make((key,), [(key, str(src), [])], {})
    assert build_cache.entry(key) is not None and not build_units.Unit((key,)).ready()
    assert list(build_units.units_dir().iterdir()) == []
    monkeypatch.setattr("kb.store.write.write_kb", broken)
    with pytest.raises(KeyboardInterrupt):
        build_cache.fill("j" * 32, src, {})
    assert build_cache.entry("j" * 32) is None and [d.name for d in build_cache.cache_dir().iterdir()] == [key]


@pytest.mark.slow
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


@pytest.mark.slow
def test_block_read_postings_equal_the_matcher_walk(built_kb):
    """Every posting of every term of a built index, read a block at a time, is the matcher's, in order."""
    from kb.search.parts import matcher_postings, postings
    from kb.search.schema import SEARCH_FIELDS, whoosh_index

    ix = whoosh_index(built_kb / "current" / "index")
    try:
        with ix.reader() as reader:
            seen, longest = 0, 0
            for field in (*SEARCH_FIELDS, "depts", "lead", "has_ind"):
                for text, _ti in reader.iter_field(field):
                    got = postings(reader, field, text)
                    assert got == matcher_postings(reader, field, text), (field, text)
                    seen += len(got[0]) > 1
                    longest = max(longest, len(got[0]))
    finally:
        ix.close()
    assert seen > 1000 and longest > 128  # terms of several postings, and of several blocks (whoosh's 128 a block)
