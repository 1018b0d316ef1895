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
