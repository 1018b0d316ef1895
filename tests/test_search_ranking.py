"""The vectorised ranking (kb.search.ranking) against the previous item-by-item scorer (tests/search_oracle.py):
the same hits, scores to the last bit, order and facets, on the real plan, with filters, reviews and bad queries."""

from __future__ import annotations

import numpy as np
import pytest
import search_oracle as oracle
from hypothesis import given, settings
from hypothesis import strategies as st

from kb import reviews
from kb.reviews import snapshot
from kb.search import SearchError, engine, search
from kb.search import _filters as search_filters
from kb.search.hay import Hay
from kb.search.query import parse, refine
from kb.search.ranking import rank

# (query, filters): exact words, synonyms, everyday words, traditional characters, typos, fragments, departments,
# roles, questions, phrases, exclusions and negative rules; then rows that find nothing or are filtered to nothing.
QUERIES = [
    ("校园欺凌", {}),
    ("儿童", {}),
    ("儿童健康", {"kind": "goal"}),
    ("家长学校", {}),
    ("高中阶段毛入学率", {}),
    ("妇联 家庭教育指导", {}),
    ("民政局 儿童福利", {"has": "1"}),
    ("卫健委", {}),
    ("市卫健委牵头", {}),
    ("教育局 配合", {}),
    ("教育局牵头 心理健康", {}),
    ("卫健 近视", {}),
    ("谁负责儿童近视", {}),
    ("兒童近視", {}),
    ("孩子营养", {}),
    ("近式", {}),
    ("托位", {}),
    ("巩固率", {}),
    ('"性教育"', {}),
    ('"儿童 健康"', {}),
    ("儿童 -健康", {}),
    ("留守儿童", {}),
    ("心理健康", {"domain": "健康"}),
    ("安全", {"dept": "公安局"}),
    ("", {"dept": "教育局", "role": "lead"}),
    ("", {"kind": "measure"}),
    ("溺水", {"plan": "yiyang-children-2021-2025"}),
    # negative rows: nothing matches, only stop words, filters that exclude everything
    ("zzzqqq", {}),
    ("的", {}),
    ("的 和 与", {}),
    ("龋齿", {"kind": "monitoring"}),
    ("近视", {"has": "1", "kind": "implementation"}),
    ('"没有这样的短语"', {}),
]


def _plans(entries: list[dict]) -> list[str]:
    ix = engine().ix
    return [ix.plans[ix.arr["plan"][e["row"]]] for e in entries]


def _both(eng, q: str, filters: dict, want: int = 10):
    pq = parse(q, filters)
    refine(pq, eng.ix.df)
    snap = snapshot.current()
    mask, _ = search_filters(eng, pq, snap)
    return rank(eng, pq, mask, want, snap), oracle.rank(eng, pq, mask, want)


@pytest.mark.parametrize("q,filters", QUERIES)
def test_vectorised_ranking_equals_the_item_by_item_scorer(built_kb_env, q, filters):
    eng = engine()
    new, old = _both(eng, q, filters)
    assert list(new) == old  # rows, ids, scores (float equality), coverage, whole, hay, kind, domain, departments
    assert new.facets() == oracle.facets(old, _plans(old))


@pytest.mark.parametrize(
    "q,dense",
    [
        ("儿童", True),
        ("孩子营养", True),
        ("兒童近視", True),
        ("发展 建设 服务", True),
        ("溺水", False),
        ("zzzqqq", False),
    ],
)
def test_ranking_by_position_equals_gathering_the_matched_documents(built_kb_env, monkeypatch, q, dense):
    """A common word's postings are summed over every document and read off by position (ranking._dense): the
    rows and scores are those of gathering the matched documents, to the last bit; rare words take the other way."""
    from kb.search import ranking

    eng = engine()
    pq = parse(q)
    refine(pq, eng.ix.df)
    snap = snapshot.current()
    taken: list[int] = []
    real = ranking._dense
    monkeypatch.setattr(ranking, "_dense", lambda *a: taken.append(1) or real(*a))
    new = ranking._matches(eng, pq, snap)
    monkeypatch.setattr(eng, "by_position", False)
    old = ranking._matches(eng, pq, snap)
    assert new[0].tobytes() == old[0].tobytes() and new[1].tobytes() == old[1].tobytes()
    assert bool(taken) == dense


def test_the_table_covers_empty_and_full_rankings(built_kb_env):
    eng = engine()
    sizes = {q: len(_both(eng, q, f)[0]) for q, f in QUERIES if q != "的"}
    assert sizes["zzzqqq"] == sizes["龋齿"] == sizes['"没有这样的短语"'] == 0  # no match; filtered out
    assert sizes["儿童"] > 100  # most of the plan: the candidate cut applies
    assert search("的")["total"] == search("的 和 与")["total"] == 0  # only stop words: nothing is searched


def test_a_long_page_takes_more_candidates_alike(built_kb_env):
    eng = engine()
    new, old = _both(eng, "儿童", {}, want=150)
    assert list(new) == old and len(new) > 120


def test_reviewed_departments_count_in_filters_and_facets_alike(mon_kb):
    reviews.add_assignment("law-m13", "市审计局", "测试员", reason="审核添加", role="lead")
    reviews.reject_assignment("family-m1", "市妇联", "测试员", reason="审核删除")
    eng = engine()
    for q, filters in [("监护", {}), ("监护", {"dept": "市审计局"}), ("家庭", {}), ("家庭", {"dept": "市妇联"})]:
        new, old = _both(eng, q, filters, want=50)
        assert list(new) == old
        assert new.facets() == oracle.facets(old, _plans(old))
    assert search("监护", dept="市审计局")["facets"]["department"]["市审计局"] >= 1


def test_sorting_by_plan_order_keeps_the_same_hits(built_kb_env):
    by_relevance, by_plan = search("心理健康", limit=100), search("心理健康", limit=100, sort="plan")
    assert by_relevance["total"] == by_plan["total"] > 1
    assert {r["id"] for r in by_relevance["results"]} == {r["id"] for r in by_plan["results"]}
    rows = [engine().ix.row(r["id"]) for r in by_plan["results"]]
    assert rows == sorted(rows)


def test_a_bad_filter_is_still_refused(built_kb_env):
    with pytest.raises(SearchError):
        search("儿童", kind="nonsense")


@pytest.mark.parametrize(
    "texts,needle,expected",
    [
        (["儿童健康", "健康儿童", "儿"], "儿童", [True, True, False]),
        (["ab", "cd"], "bc", [False, False]),  # across two items' texts is no hit
        (["", "x", ""], "x", [False, True, False]),
        (["儿童 健康"], "童 健", [True]),
        (["近视防控"], "", [True]),  # the empty string is in every text, as `"" in s` says
        (["兒童", "儿童"], "儿童", [False, True]),  # bytes, not characters that look alike
        (["aaa", "aab"], "ab", [False, True]),
        ([], "儿童", []),
    ],
)
def test_hay_finds_what_in_finds(texts, needle, expected):
    blob = np.frombuffer(b"".join(t.encode("utf-8") for t in texts), dtype=np.uint8)
    ptr = np.concatenate([[0], np.cumsum([len(t.encode("utf-8")) for t in texts])]).astype(np.int64)
    rows = np.arange(len(texts))
    assert Hay(blob, ptr, rows).contains(needle).tolist() == expected == [needle in t for t in texts]


def test_hay_without_spaces_and_in_another_order():
    texts = ["性 教育", "教育", "性教育 课程"]
    blob = np.frombuffer("".join(texts).encode("utf-8"), dtype=np.uint8)
    ptr = np.concatenate([[0], np.cumsum([len(t.encode("utf-8")) for t in texts])]).astype(np.int64)
    rows = np.array([2, 0, 1])
    assert Hay(blob, ptr, rows, drop_spaces=True).contains("性教育").tolist() == [True, True, False]
    assert Hay(blob, ptr, rows).contains("性教育").tolist() == [True, False, False]


def _spans_by_marking(text: str, terms: list[str]) -> list[tuple[int, int]]:
    """find_spans as it was: mark every covered character, read the runs."""
    from kb.search.analysis import same_length_norm

    norm = same_length_norm(text)
    covered = [False] * (len(text) + 1)
    for t in terms:
        start = norm.find(t)
        while start != -1:
            for i in range(start, start + len(t)):
                covered[i] = True
            start = norm.find(t, start + 1)
    spans, begin = [], None
    for i, on in enumerate(covered):
        if on and begin is None:
            begin = i
        elif not on and begin is not None:
            spans.append((begin, i))
            begin = None
    return spans


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet="儿童健康近视ab 兒", max_size=30),
    st.lists(st.text(alphabet="儿童健康近视ab 兒", max_size=4), max_size=5),
)
def test_spans_are_the_runs_of_covered_characters(text, terms):
    from kb.search.results import find_spans

    assert find_spans(text, terms) == _spans_by_marking(text, terms)
