"""A build after a change reuses the live build's term numbering (kb.search.arrays' term-ids) for the plans both
share, reads only the changed plans' term lists, and still writes, byte for byte, the score arrays derived by
reading its assembled whoosh index through whoosh; `kb add` too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from review_helpers import EDIT, REAL, SLUG, drop_plan, put_plan, use_mini

from kb import paths
from kb.build import build
from kb.search import parts as search_parts


def _equal_to_whoosh_read(live: Path, tmp_path: Path) -> None:
    """The build's derived arrays are those of reading its whoosh index through whoosh."""
    from whoosh.scoring import BM25F

    from kb.search.arrays import DERIVED, derive
    from kb.search.schema import K1, B, whoosh_index

    read = tmp_path / f"read-{live.name}"
    read.mkdir()
    ix = whoosh_index(live / "index")
    try:
        with ix.searcher(weighting=BM25F(B=B, K1=K1)) as searcher:
            derive(searcher, read)
    finally:
        ix.close()
    combined = live / "index" / DERIVED
    names = sorted(p.name for p in combined.iterdir())
    assert names == sorted(p.name for p in read.iterdir())
    for name in names:
        assert (combined / name).read_bytes() == (read / name).read_bytes(), name


@pytest.fixture(autouse=True)
def _a_unit_per_plan(monkeypatch) -> None:
    """A segment per plan (kb.build_units), so the parts a build reads anew are the changed plans' own; units of
    many plans are rebuilt whole when a plan inside changes (tests/test_build_units.py)."""
    monkeypatch.setattr("kb.build_units.MAX_PLANS", 1)


@pytest.fixture
def term_reads(monkeypatch) -> list[str]:
    """The plan ids whose saved part term lists a build reads."""
    seen: list[str] = []
    real = search_parts.SavedPart.terms

    def terms(self):
        seen.append(self.ids[0].split(":")[0] if self.ids else "")
        return real(self)

    monkeypatch.setattr(search_parts.SavedPart, "terms", terms)
    return seen


SLOW = pytest.mark.slow
CHANGES = [
    # (plans before, change: (+ add | - remove | ~ edit, plan), plans whose terms the second build reads)
    (["plan-a"], ("+", "plan-b"), {"plan-b"}),  # the same words: no new term
    (["plan-a"], ("~", "plan-a"), {"plan-a"}),  # an edited plan is another entry: read again
    (["plan-a", "plan-b"], ("-", "plan-a"), set()),  # nothing to read; no term goes (plan-b has them all)
    pytest.param(["plan-a"], ("+", "05_national_women_2021.txt"), {"real-05"}, marks=SLOW),  # new words
    pytest.param(["07_city_children_2021.txt"], ("-", "07_city_children_2021.txt"), set(), marks=SLOW),  # gone
]


@pytest.mark.parametrize(("before", "change", "reads"), CHANGES)
def test_a_change_reads_the_changed_plans_terms_and_writes_what_whoosh_reads(
    kb_data, monkeypatch, tmp_path, term_reads, before, change, reads
):
    use_mini(monkeypatch, kb_data)
    for name in before:
        put_plan(name)
    build(procs=1)
    term_reads.clear()
    op, name = change
    edit = EDIT if op == "~" else ""  # new words too
    drop_plan(name) if op == "-" else put_plan(name, edit)
    live = build(procs=1)
    assert set(term_reads) == reads
    _equal_to_whoosh_read(live, tmp_path)


@pytest.mark.parametrize(
    "state",
    [
        "kept",  # the live build's term numbering reused
        "missing",  # a build from before it (or deleted): every plan's terms read, the same arrays
        "other format",  # written by another arrays format: not trusted
    ],
)
def test_kb_add_writes_the_arrays_whoosh_reads(kb_data, monkeypatch, tmp_path, term_reads, state):
    from kb.ingest import prepare, publish
    from kb.search.arrays import TERM_IDS

    use_mini(monkeypatch, kb_data)
    first = build(procs=1)
    state_file = first / "index" / f"{TERM_IDS}.json"
    if state == "missing":
        state_file.unlink()
    elif state == "other format":
        state_file.write_text(json.dumps({**json.loads(state_file.read_text()), "format": -1}), encoding="utf-8")
    src = tmp_path / "new-plan.txt"
    src.write_text((REAL / "07_city_children_2021.txt").read_text(encoding="utf-8"), encoding="utf-8")
    term_reads.clear()
    publish(src, prepare(src, "new-plan", None, None))
    assert sorted(set(term_reads)) == (["new-plan"] if state == "kept" else ["new-plan", SLUG])
    _equal_to_whoosh_read(paths.current_build(), tmp_path)
