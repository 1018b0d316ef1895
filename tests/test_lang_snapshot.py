"""jieba's dictionary read from the project's snapshot is exactly what jieba's own initialize() builds: with no
snapshot, a damaged one, or a valid one (then it is read, not rebuilt)."""

from __future__ import annotations

import logging
import marshal
import tempfile

import jieba
import pytest

from nlp import lang


@pytest.fixture(scope="module")
def reference() -> tuple[dict[str, int], int]:
    """FREQ and total as jieba's initialize() builds them (read before any temp dir is redirected)."""
    jieba.setLogLevel(logging.WARNING)
    tok = jieba.Tokenizer()
    tok.initialize()
    return tok.FREQ, tok.total


@pytest.mark.parametrize(
    "state, rebuilt",
    [
        ("missing", True),  # the first process builds it as jieba does and writes it
        ("damaged", True),  # a truncated or foreign file is not trusted: rebuilt and rewritten
        ("valid", False),  # negative row: a good snapshot is read as it is
    ],
)
def test_snapshot_gives_jiebas_dictionary(state, rebuilt, reference, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    calls = []

    def initialize(self, dictionary=None):  # jieba's build, without re-reading dict.txt in the empty temp dir
        calls.append(self)
        self.FREQ, self.total, self.initialized = dict(reference[0]), reference[1], True

    monkeypatch.setattr(jieba.Tokenizer, "initialize", initialize)
    lang._initialize(jieba.Tokenizer())  # the first process: writes the snapshot into tmp_path
    (snap,) = tmp_path.glob("plan-kb-jieba-*.marshal")
    if state == "missing":
        snap.unlink()
    elif state == "damaged":
        snap.write_bytes(marshal.dumps((1, 2))[:-3])
    calls.clear()
    tok = jieba.Tokenizer()
    lang._initialize(tok)
    assert (tok.FREQ, tok.total, tok.initialized) == (*reference, True)
    assert bool(calls) == rebuilt
    assert marshal.loads(snap.read_bytes()) == reference  # what the next process reads
    assert [p.name for p in tmp_path.iterdir()] == [snap.name]  # no temporary file left behind
