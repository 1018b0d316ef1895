"""The multi-plan scale benchmark: its corpus is made of distinct plans that parse, and its quick mode runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import scale_corpus  # noqa: E402


def test_places_are_distinct_for_a_thousand_plans():
    names = [scale_corpus.place(n) for n in range(1001)]
    assert len(set(names)) == len(names)
    assert all(len(n) == 2 and "益" not in n for n in names)


def test_corpus_plans_are_distinct_and_mix_fixture_sentences(tmp_path):
    files = scale_corpus.write_corpus(4, tmp_path)
    texts = [f.read_text(encoding="utf-8") for f in files]
    assert len(files) == 3 and len(set(texts)) == 3
    pool = scale_corpus.fixture_sentences()
    assert pool
    for t in texts:
        assert "益阳" not in t
        assert sum(s in t for s in pool) >= 5  # real-plan sentences replace some of the default plan's
    base_lines = set(scale_corpus.DEFAULT.read_text(encoding="utf-8").splitlines())
    own = [set(t.splitlines()) - base_lines for t in texts]
    assert own[0] != own[1] != own[2]


@pytest.mark.slow
@pytest.mark.parametrize("n", [1, 2])
def test_corpus_plans_parse_with_their_own_title(tmp_path, n):
    from nlp.pipeline import analyse_file

    path = scale_corpus.write_corpus(n + 1, tmp_path, start=n)[0]
    plan = analyse_file(path)
    assert plan.id == path.stem
    assert scale_corpus.place(n) in plan.title
    assert len(plan.items) > 100


@pytest.mark.slow
def test_quick_mode_runs_and_reports_every_section(tmp_path):
    proc = subprocess.run(
        [sys.executable, "bench/scale_bench.py", "--quick", "--keep", str(tmp_path / "root")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    for section in ("machine:", "full build", "unchanged rebuild", "kb add (one more plan)", "/download/plan.docx"):
        assert section in out
    assert "5xx: 0" in out


def _term_sets(derived: Path) -> dict:
    """Per field and term, the sorted (doc, weight) pairs of its postings."""
    import json

    import numpy as np

    meta = json.loads((derived / "meta.json").read_text(encoding="utf-8"))
    docs, w = np.load(derived / "post_docs.npy"), np.load(derived / "post_weights.npy")
    return {
        (f, t): sorted(zip(docs[s:e].tolist(), w[s:e].tolist(), strict=True))
        for f, terms in meta["terms"].items()
        for t, (s, e) in terms.items()
    }


@pytest.mark.slow
@pytest.mark.parametrize("times", [1, 3, 12])
def test_exact_replica_arrays_are_a_whole_write_of_the_replicated_kb(kb_data, monkeypatch, tmp_path, times):
    """bench/scale_index.py: the arrays of an N× replica made from the 1× part are a whole whoosh write's of
    search_bench's replicated KB (same terms, spans, (doc, weight) sets, items, ids and texts; 12 puts r10 before
    r2, the replicated KB's plan order)."""
    import json

    import numpy as np
    from review_helpers import use_mini
    from scale_index import write_index
    from search_bench import replicate

    from kb.build import build
    from kb.search.arrays import DERIVED, derived
    from kb.search.writer import build_index

    use_mini(monkeypatch, kb_data)
    live = build(procs=1)
    replicate(live / "kb.sqlite", tmp_path / "kb.sqlite", times)
    build_index(tmp_path / "kb.sqlite", tmp_path / "whole")
    whole, exact = derived(tmp_path / "whole"), tmp_path / "exact" / DERIVED
    info = write_index(live / "index", tmp_path / "exact", times)
    for name in ("meta.json", "vocab.json"):
        assert json.loads((whole / name).read_text("utf-8")) == json.loads((exact / name).read_text("utf-8")), name
    assert _term_sets(whole) == _term_sets(exact)
    with np.load(whole / "items.npz") as a, np.load(exact / "items.npz") as b:
        assert a.files == b.files and all(np.array_equal(a[k], b[k]) for k in a.files)
    for name in ("hay.bin", "hay_ptr.npy"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "exact" / name).read_bytes()
    assert info["items"] == times * json.loads((derived(live / "index") / "meta.json").read_text("utf-8"))["n_items"]


def test_exact_replicas_refuse_a_source_of_several_plans(kb_data, monkeypatch, tmp_path):
    from review_helpers import use_mini
    from scale_index import write_index
    from search_bench import replicate

    from kb.build import build
    from kb.search.writer import build_index

    use_mini(monkeypatch, kb_data)
    live = build(procs=1)
    replicate(live / "kb.sqlite", tmp_path / "kb.sqlite", 2)
    build_index(tmp_path / "kb.sqlite", tmp_path / "two")
    with pytest.raises(SystemExit, match="one plan expected, found 2"):
        write_index(tmp_path / "two", tmp_path / "out", 3)
