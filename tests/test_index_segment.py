"""A segment written from postings held in memory (kb.search.segment) is, read through whoosh, the index whoosh's own
writer makes of the same documents; the part made from those postings is what reading the segment back gives."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as windex
from whoosh.codec.whoosh3 import W3Codec
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC
from whoosh.util.numeric import byte_to_length, length_to_byte

from kb.search import parts as search_parts
from kb.search import writer
from kb.search.schema import INDEX_NAME, schema, whoosh_index


@pytest.fixture(params=["mini", "default", "no items"])
def kb_file(request, tmp_path: Path) -> Path:
    """A KB file: the review plan's build, the default plan's build, or a KB with no plan (no document at all)."""
    if request.param == "no items":
        from kb.store.write import write_kb

        write_kb(tmp_path / "empty.sqlite", [], departments=False)
        return tmp_path / "empty.sqlite"
    data = request.getfixturevalue("mini_kb" if request.param == "mini" else "built_kb")
    return data / "current" / "kb.sqlite"


def _whoosh_written(db: Path, folder: Path) -> None:
    """The index of the KB's documents written by whoosh's own writer (its posting pool and add_postings)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        docs = list(writer._documents(list(writer._rows(conn))))
    finally:
        conn.close()
    folder.mkdir()
    ix = windex.create_in(str(folder), schema(), indexname=INDEX_NAME)
    w = ix.writer(codec=W3Codec(**writer.CODEC))
    for doc in docs:
        w.add_document(**doc)
    w.commit()
    ix.close()


def _read(folder: Path) -> dict:
    """Everything a whoosh reader gives of an index: per field every term's statistics and postings, per document
    its field lengths and stored fields, every column."""
    ix = whoosh_index(folder)
    out: dict = {}
    try:
        with ix.reader() as r:
            n = r.doc_count_all()
            out["docs"] = n
            if not n:  # whoosh's empty reader: no segment, no fields to read
                return out
            for f in r.schema.names():
                if r.schema[f].indexed:
                    terms = []
                    for text, ti in r.iter_field(f):
                        m, got = r.postings(f, text), []
                        while m.is_active():
                            got.append((m.id(), m.weight(), m.value()))
                            m.next()
                        stats = (ti.doc_frequency(), ti.weight(), ti.min_length(), ti.max_length(), ti.max_weight())
                        terms.append((text, stats, ti.min_id(), ti.max_id(), got))
                    out[f] = terms
                    out[f"{f} lengths"] = ([r.doc_field_length(d, f) for d in range(n)], r.field_length(f))
                if r.schema[f].column_type:
                    out[f"{f} column"] = list(r.column_reader(f))
            out["stored"] = [r.stored_fields(d) for d in range(n)]
    finally:
        ix.close()
    return out


def _files(folder: Path) -> dict[str, bytes]:
    """The bytes of every file inside the index's segment, by extension (file names carry the segment's id)."""
    store = FileStorage(str(folder))
    out = {}
    for seg in TOC.read(store, INDEX_NAME).segments:
        inner = seg.open_compound_file(store)
        for name in inner.list():
            with inner.open_file(name) as f:
                out[name.split(".", 1)[1]] = f.read()
        inner.close()
    return out


def test_the_segment_reads_as_whooshs_own_writer_writes_it(kb_file: Path, tmp_path: Path) -> None:
    writer.build_index(kb_file, tmp_path / "ours")
    _whoosh_written(kb_file, tmp_path / "whoosh")
    ours, theirs = _read(tmp_path / "ours"), _read(tmp_path / "whoosh")
    assert ours == theirs
    assert _files(tmp_path / "ours") == _files(tmp_path / "whoosh")  # whoosh's bytes, not only what it reads back
    assert (ours["docs"] > 0) == (kb_file.name != "empty.sqlite")


def test_the_part_from_the_postings_is_the_part_read_back(kb_file: Path, tmp_path: Path) -> None:
    writer.build_index(kb_file, tmp_path / "index", keep_part=True)
    saved = search_parts.SavedPart(tmp_path / "index")
    if kb_file.name == "empty.sqlite":  # nothing to read back (whoosh's empty reader has no columns)
        assert (saved.n_docs, saved.ids, saved.depts, saved.totals()) == (0, [], [], dict.fromkeys(saved.totals(), 0))
        return
    ix = whoosh_index(tmp_path / "index")
    try:
        with ix.reader() as reader:
            read = search_parts.extract(reader)
    finally:
        ix.close()
    assert (saved.n_docs, saved.ids, saved.columns, saved.depts) == (read.n_docs, read.ids, read.columns, read.depts)
    for a, b in ((saved.clause_count, read.clause_count), (saved.has_ind, read.has_ind), (saved.member, read.member)):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert saved.terms() == read.terms() and saved.totals() == read.totals()
    got, want = saved.postings(), read.postings()
    for f in want:
        for a, b in zip(got[f], want[f], strict=True):
            assert np.array_equal(a, b), f


@pytest.mark.parametrize("length", [0, 1, 2, 7, 33, 1000, 4097, 106373, 106374, 250000])
def test_quantised_lengths_are_whooshs(length: int) -> None:
    want = byte_to_length(length_to_byte(length))
    assert search_parts.quantised(np.array([length]))[0] == want


TEXTS = [
    "提高儿童健康水平,降低5岁以下儿童死亡率。",
    "ＡＢＣ全角字母与 Latin words, 123 和 0-6岁",  # full width, Latin, figures
    "的了和与及",  # stop words only
    "",  # nothing
    "兒童發展規劃",  # traditional characters
    "儿童\n\n 友好 城市",  # line breaks and spaces between blocks
]


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("which", ["jieba", "bigram"])
def test_token_texts_are_the_analysers_tokens(text: str, which: str) -> None:
    """The writer's shortcut past whoosh's Token objects keeps exactly the tokens the analyser yields."""
    from whoosh.analysis import unstopped

    from kb.search.analysis import analyzer, bigram_analyzer
    from kb.search.segment import _token_texts

    an = analyzer() if which == "jieba" else bigram_analyzer()
    expected = [t.text for t in unstopped(an(text, mode="index", boosts=True))]
    assert _token_texts(an, text) == expected


@pytest.mark.parametrize(
    "analyser",
    [
        "keyword",  # whoosh's own tokenizer: no shortcut
        "jieba_lowercase",  # a filter other than StopFilter after ours
        "stop_minsize_2",  # a StopFilter that drops one-character words
    ],
)
def test_token_texts_leave_other_analysers_to_whoosh(analyser: str) -> None:
    from whoosh.analysis import KeywordAnalyzer, LowercaseFilter, StopFilter

    from kb.search.analysis import JiebaTokenizer
    from kb.search.segment import _token_texts

    an = {
        "keyword": KeywordAnalyzer(),
        "jieba_lowercase": JiebaTokenizer() | LowercaseFilter(),
        "stop_minsize_2": JiebaTokenizer() | StopFilter(minsize=2),
    }[analyser]
    assert _token_texts(an, "儿童健康") is None
