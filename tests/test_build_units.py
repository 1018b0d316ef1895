"""Index units (kb.build_units): a segment of many plans gives the index a segment per plan gives (documents, score
arrays, search results), and adding, changing or removing a plan inside a unit re-indexes its neighbours from their
cached rows, analysing only that plan."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import pytest
from review_helpers import SLUG, use_mini
from test_build_cache import _add_plan, _add_real, analysed  # noqa: F401 (a fixture)

from kb import build_cache, build_units, paths
from kb.build import build

QUERIES = ("儿童 健康", "妇女", "教育", "妇女 健康")


def _index_state(index: Path) -> dict:
    """What a build's index holds: every derived array's bytes, the items' texts, whoosh's documents in order."""
    from kb.search.arrays import DERIVED
    from kb.search.schema import whoosh_index

    state = {p.name: p.read_bytes() for p in sorted((index / DERIVED).iterdir())}
    state["hay"] = (index / "hay.bin").read_bytes() + (index / "hay_ptr.npy").read_bytes()
    ix = whoosh_index(index)
    try:
        with ix.reader() as reader:
            state["docs"] = list(reader.all_stored_fields())
            state["columns"] = {f: list(reader.column_reader(f)) for f in ("item", "level", "plan")}
    finally:
        ix.close()
    return state


def _results() -> list:
    from kb.search import search

    return [[(r["id"], r["score"]) for r in search(q, limit=50)["results"]] for q in QUERIES]


def _per_plan_reference(tmp: Path) -> dict:
    """The live build's plans indexed a segment per plan from their cached rows, assembled (nothing analysed)."""
    from kb.search.writer import assemble_index, build_index

    keys = [k for _p, k in json.loads((paths.current_build() / "build.json").read_text())["plans"]]
    for n, key in enumerate(keys):
        build_index(build_cache.cache_dir() / key / build_cache.FRAGMENT, tmp / f"p{n}", keep_part=True)
    assemble_index([tmp / f"p{n}" for n in range(len(keys))], tmp / "index")
    return _index_state(tmp / "index")


def _units() -> list[int]:
    """The sizes of the live build's units, in plan order (the units folder holds only those)."""
    keys = [k for _p, k in json.loads((paths.current_build() / "build.json").read_text())["plans"]]
    units = [json.loads((d / build_units.MEMBERS).read_text()) for d in build_units.units_dir().iterdir()]
    units.sort(key=lambda m: keys.index(m[0]))
    assert [k for m in units for k in m] == keys
    return [len(m) for m in units]


@pytest.mark.slow
def test_one_unit_of_every_plan_equals_a_segment_per_plan(kb_data, monkeypatch):
    """The same plans built a unit per plan and then one unit of all (--force): the same whoosh documents in the
    same order, the same score arrays byte for byte and the same search results."""
    use_mini(monkeypatch, kb_data)
    for name in ("05_national_women_2021.txt", "07_city_children_2021.txt"):
        _add_real(name)
    _add_plan("plan-a")
    monkeypatch.setattr(build_units, "MAX_PLANS", 1)
    build(procs=1)
    assert _units() == [1, 1, 1, 1]
    per_plan, found = _index_state(paths.current_build() / "index"), _results()
    monkeypatch.setattr(build_units, "MAX_PLANS", 16)
    build(procs=1, force=True)
    assert _units() == [4]
    assert _index_state(paths.current_build() / "index") == per_plan
    assert _results() == found and all(found)


@pytest.mark.slow
def test_adding_changing_removing_a_plan_inside_a_unit(kb_data, monkeypatch, tmp_path, analysed):
    """Units of two or three plans; a plan added into the middle of one, one changed, one removed: each build
    analyses only the new or changed plan, remakes the broken unit from its plans' cached rows, keeps the others
    whole, prunes the units no longer used, and its index equals a segment per plan of the same plans."""
    use_mini(monkeypatch, kb_data)
    for slug in ("plan-a", "plan-c", "plan-e", "plan-g"):
        _add_plan(slug, edit=f"\n{slug}")
    monkeypatch.setattr(build_units, "MAX_PLANS", 2)
    build(procs=1)
    assert _units() == [1, 2, 2] and sorted(analysed) == ["plan-a", "plan-c", "plan-e", "plan-g", SLUG]
    first = {d.name for d in build_units.units_dir().iterdir()}
    steps = [
        (lambda: _add_plan("plan-d", edit="\nplan-d"), ["plan-d"]),  # between plan-c and plan-e: inside a unit
        (
            lambda: _add_plan("plan-e", edit="\n改"),
            ["plan-e"],
        ),  # inside a unit: its other plan re-indexed from its rows
        (lambda: [p.unlink() for p in paths.plans_dir().glob("plan-d.*")], []),
    ]
    for n, (change, expect) in enumerate(steps):
        analysed.clear()
        change()
        build(procs=1)
        assert analysed == expect
        assert _index_state(paths.current_build() / "index") == _per_plan_reference(tmp_path / str(n))
        _units()  # the units folder holds the live build's units alone
    assert first & {d.name for d in build_units.units_dir().iterdir()}  # a unit nothing broke was kept whole


def test_units_are_cut_into_even_jobs_for_the_pool():
    """A run of plans in as few units of up to MAX_PLANS as a multiple of the pool's processes allows."""

    def jobs(plans: int, procs: int) -> list[int]:
        size = build_units.chunk_size(plans, procs)
        return [len(c) for c in build_units._chunks([str(i) for i in range(plans)], size)]

    assert sorted(jobs(1000, 2)) == [15] * 24 + [16] * 40  # 64 jobs, 32 a process (not 63 of 16: one alone last)
    assert sorted(jobs(100, 2)) == [12] * 4 + [13] * 4  # 8 jobs, 4 a process
    assert jobs(14, 2) == [7, 7]
    assert jobs(3, 1) == [3]
    assert jobs(1, 2) == [1]
    for plans, procs in [(n, p) for n in range(1, 400, 7) for p in (1, 2, 3, 4)]:
        got = jobs(plans, procs)
        assert sum(got) == plans and max(got) <= build_units.MAX_PLANS and max(got) - min(got) <= 1
        assert len(got) % procs == 0 or plans < procs
    assert [len(c) for c in build_units._chunks([str(i) for i in range(5)], Fraction(2))] == [1, 2, 2]
