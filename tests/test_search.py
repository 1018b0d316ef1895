"""Search: synonyms, repaired words, departments, indicators, filters, malformed queries, safe highlighting."""

from __future__ import annotations

import html

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from search_fixture import PLAN, item, items, write_build

from kb.search import SearchError, search


@pytest.fixture
def fx(kb_data):
    """The fixture plan as the live build."""
    write_build(kb_data)
    return kb_data


def ids(res: dict) -> list[str]:
    return [r["id"].split(":", 1)[1] for r in res["results"]]


@pytest.mark.parametrize(
    "query,expected_first,absent",
    [
        ("校园欺凌", {"safety-g1", "safety-m1"}, "education-m1"),  # plan says 学生欺凌
        ("龋齿", {"health-g1"}, "safety-g1"),  # plan says 龋患
        ("托育服务", {"health-m1"}, "family-g1"),  # plan says 婴幼儿照护服务
        ("打拐", {"family-g1"}, "health-g1"),  # plan says 拐卖
        ("学生欺凌", {"safety-g1", "safety-m1"}, "health-m1"),  # the literal word still works
    ],
)
def test_synonyms_find_the_plan_wording(fx, query, expected_first, absent):
    res = search(query)
    assert set(ids(res)[: len(expected_first)]) == expected_first
    assert absent not in ids(res)
    assert any("同义词" in w for r in res["results"][:1] for w in r["why"]) or query == "学生欺凌"


def test_repaired_word_is_found_and_explained(fx):
    res = search("高中阶段毛入学率")
    assert ids(res)[0] == "education-g1"
    assert any("修复后" in w for w in res["results"][0]["why"])
    assert "<mark>高中阶段毛入学率</mark>" in res["results"][0]["snippet"]


@pytest.mark.parametrize(
    "dept,favoured,other",
    [
        ("妇联", "family-m1", "education-m1"),  # 妇联 leads family-m1, supports education-m1
        ("教育局", "education-m1", "family-m1"),  # and the other way round for 教育局
        ("卫健委", None, None),  # leads neither: no change in order
    ],
)
def test_department_in_query_boosts_its_items(fx, dept, favoured, other):
    def scores(q):
        return {i: r["score"] for i, r in zip(ids(search(q)), search(q)["results"], strict=False)}

    plain, boosted = scores("家庭教育指导"), scores(f"{dept} 家庭教育指导")
    if favoured is None:
        assert list(boosted) == list(plain)
    else:
        assert boosted[favoured] / boosted[other] > plain[favoured] / plain[other]


def test_department_alone_lists_what_it_leads_first(fx):
    res = search("卫健委")
    assert set(ids(res)) == {"health-g1", "health-m1"}
    assert all(any(d["name"] == "市卫健委" for d in r["departments"]) for r in res["results"])


@pytest.mark.parametrize(
    "params,expected",
    [
        ({"dept": "妇联"}, {"health-m1", "education-m1", "family-m1"}),
        ({"dept": "市妇联", "role": "lead"}, {"family-m1"}),
        ({"dept": "妇联", "role": "co"}, {"health-m1", "education-m1"}),
        ({"domain": "健康"}, {"health-g1", "health-m1"}),
        ({"domain": "family", "kind": "goal"}, {"family-g1"}),
        ({"kind": "目标", "has_indicator": "1"}, {"health-g1", "education-g1"}),
    ],
)
def test_filters(fx, params, expected):
    assert set(ids(search("", limit=50, **params))) == expected


@pytest.mark.parametrize(
    "query,expected",
    [
        ("家庭教育 部门:妇联 角色:牵头", {"family-m1"}),
        ("领域:教育 家庭教育", {"education-m1"}),
    ],
)
def test_filters_typed_in_the_query(fx, query, expected):
    assert set(ids(search(query))) == expected


@pytest.mark.parametrize(
    "params",
    [
        {"dept": "不存在的局"},
        {"domain": "火星"},
        {"kind": "poem"},
        {"role": "boss", "dept": "妇联"},
        {"role": "lead"},
        {"has_indicator": "maybe"},
        {"limit": 0},
        {"limit": "ten"},
        {"offset": -1},
        {"plan": "nope"},
    ],
)
def test_bad_parameters_are_400(fx, params):
    with pytest.raises(SearchError) as exc:
        search("儿童", **params)
    assert exc.value.status == 400 and exc.value.message


def test_indicator_name_finds_its_target(fx):
    res = search("龋患率")
    assert ids(res)[0] == "health-g1"
    assert "12岁儿童龋患率" in res["results"][0]["indicators"]


@pytest.mark.parametrize(
    "query,expected",
    [
        ('"家长学校"', {"family-m1"}),  # phrase: only the item with the exact words
        ("“家庭教育指导”", {"family-m1", "education-m1"}),  # Chinese quotes
        ("家庭教育 -家长学校", {"education-m1"}),  # exclusion
    ],
)
def test_phrases_and_exclusions(fx, query, expected):
    assert set(ids(search(query))) == expected


def test_results_carry_owner_and_served_goal(fx):
    r = search("学生欺凌 早期预警")["results"][0]
    assert r["id"] == f"{PLAN}:safety-m1" and r["kind"] == "measure" and r["number"] == 1
    assert {"name": "市教育局", "role": "lead"}.items() <= r["departments"][0].items()
    assert r["serves"] == [f"{PLAN}:safety-g1"] and r["serves_detail"][0]["title"].startswith("提高")


def test_facets_count_every_match(fx):
    res = search("家庭教育")
    assert res["total"] == len(res["results"]) == 2
    assert res["facets"]["domain"] == {"儿童与教育": 1, "儿童与家庭": 1}
    assert res["facets"]["department"]["市妇联"] == 2


def test_pagination(fx):
    full = ids(search("儿童", limit=50))
    assert ids(search("儿童", limit=2, offset=1)) == full[1:3]


def test_a_typo_is_corrected_and_run_with_the_original_one_click_away(fx):
    res = search("婴幼儿照户")
    assert res["corrected"] == {"query": "婴幼儿照护", "original": "婴幼儿照户"}
    assert res["results"] and all(
        "婴幼儿照护" in r["snippet"].replace("<mark>", "").replace("</mark>", "") for r in res["results"][:1]
    )
    assert any("仍要搜索“婴幼儿照户”" in m for m in res["messages"])
    as_typed = search("婴幼儿照户", spell="0")
    assert as_typed["corrected"] is None and as_typed["did_you_mean"] == ["婴幼儿照护"]


def test_highlight_is_html_safe(fx):
    res = search("恶意链接 script")
    snip = res["results"][0]["snippet"]
    bare = snip.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in bare and ">" not in bare and "&lt;script&gt;" in bare and "&amp;" in bare
    assert html.unescape(bare) == "警惕<script>alert(1)</script>等恶意链接 & 网络诈骗"


def test_review_overlay_shows_in_results(fx):
    from kb import reviews

    top = search("龋齿")["results"][0]
    reviews.add_assignment(top["id"], "市民政局", "amy", role="lead")
    r = search("龋齿")["results"][0]
    named = {d["name"]: d for d in r["departments"]}
    assert named["市民政局"]["role"] == "lead" and named["市民政局"]["source"] == "reviewed"


def test_new_build_is_picked_up(fx):
    assert ids(search("龋齿")) == ["health-g1"]
    write_build(fx, [item("health", "goal", 7, "降低龋患率")], name="b2")
    assert ids(search("龋齿")) == ["health-g7"]


MALFORMED = [
    '"未闭合的引号',
    "(((",
    ")",
    "[家庭",
    "AND",
    "OR OR",
    "NOT 儿童",
    "-",
    "*",
    "?",
    "~2",
    "^",
    '"',
    "domain:",
    "领域:",
    "a:b:c",
    "\\",
    "{}[]()",
    "儿童 AND",
    "\x00\x01\x1f儿童",
    "😀",
    "😀👨‍👩‍👧 家庭",
    "　",
    "'",
    "%",
    "<script>",
    "儿童" * 150,
    "x" * 10_000,
]


@pytest.mark.parametrize("query", MALFORMED)
def test_malformed_queries_answer_or_refuse_cleanly(fx, query):
    try:
        res = search(query)
    except SearchError as exc:
        assert exc.status == 400 and exc.message
        return
    assert res["ok"] is True and isinstance(res["results"], list)
    if not res["results"]:
        assert res["messages"] or res["total"] == 0


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=60))
def test_any_text_never_crashes(kb_data_once, q):
    try:
        assert search(q)["ok"] is True
    except SearchError as exc:
        assert exc.status == 400


@pytest.fixture(scope="module")
def kb_data_once(tmp_path_factory):
    """One fixture build for the property test (hypothesis reruns the body, not the fixture)."""
    import os

    data = tmp_path_factory.mktemp("search-fuzz")
    write_build(data)
    old = os.environ.get("KB_DATA_DIR")
    os.environ["KB_DATA_DIR"] = str(data)
    yield data
    if old is None:
        os.environ.pop("KB_DATA_DIR", None)
    else:
        os.environ["KB_DATA_DIR"] = old


@pytest.mark.parametrize(
    "query,must_contain",
    [
        ("校园欺凌", "学生欺凌"),
        ("高中阶段毛入学率", "高中阶段毛入学率"),
    ],
)
def test_full_plan_end_to_end(built_kb_env, query, must_contain):
    top = search(query)["results"][0]
    assert must_contain in top["snippet"].replace("<mark>", "").replace("</mark>", "")


def test_reviews_apply_per_request_and_never_stick_to_the_cache(fx):
    """A review shows in the next search; undoing it restores the result exactly (the base cache was not touched)."""
    from kb import reviews

    first = search("龋齿")["results"][0]
    original = first["departments"]
    aid = reviews.add_assignment(first["id"], "市民政局", "amy", role="co")
    assert "市民政局" in {d["name"] for d in search("龋齿")["results"][0]["departments"]}
    reviews.undo(aid, "amy")
    assert search("龋齿")["results"][0]["departments"] == original


def test_index_of_an_older_format_is_a_clear_503(fx):
    import shutil

    from kb import paths

    write_build(fx, name="b2")  # a new build folder, so the engine is opened afresh
    for f in paths.index_path().glob("*items*"):  # the whoosh index of record is gone: only a rebuild helps
        f.unlink()
    shutil.rmtree(paths.index_path() / "derived", ignore_errors=True)
    with pytest.raises(SearchError) as exc:
        search("龋齿")
    assert exc.value.status == 503 and "kb build" in exc.value.message


def test_stale_derived_arrays_are_derived_again(fx):
    from kb import paths
    from kb.search.arrays import DERIVED, FORMAT

    write_build(fx, name="b3")
    derived = paths.index_path() / DERIVED
    assert not derived.exists()  # derived on the first search, not at build time
    first = search("龋齿")["results"][0]["id"]
    (derived / "meta.json").write_text('{"format": 1}', encoding="utf-8")
    write_build(fx, name="b4")  # the engine is re-opened for a new build; make b3's arrays stale and reuse them
    (paths.index_path() / DERIVED).mkdir()
    (paths.index_path() / DERIVED / "meta.json").write_text('{"format": 1}', encoding="utf-8")
    assert search("龋齿")["results"][0]["id"] == first
    assert f'"format": {FORMAT}' in (paths.index_path() / DERIVED / "meta.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("eager_from,derived_at_build", [(1, True), (10**9, False)])
def test_large_kbs_derive_at_build_small_ones_on_first_search(kb_data, monkeypatch, eager_from, derived_at_build):
    from kb import paths
    from kb.search import writer
    from kb.search.arrays import DERIVED

    monkeypatch.setattr(writer, "EAGER_DERIVE_ITEMS", eager_from)
    write_build(kb_data)
    assert (paths.index_path() / DERIVED / "meta.json").exists() is derived_at_build
    assert ids(search("龋齿"))[0] == "health-g1"


@pytest.mark.parametrize(
    "text",
    [
        "加强保健。开展筛查。",  # blocks split at punctuation
        "比例达到90%。提高Ｈｅｌｌｏ，１２３",  # full-width forms, numbers with %
        "①校园欺凌 abc-def 3.5%",  # symbols jieba yields one by one
        "",  # nothing
    ],
)
def test_block_wise_cut_equals_jieba_on_the_whole_text(text):
    """The analyzer cuts jieba block by block (cached); jieba cuts each block alone, so nothing may change."""
    from kb.search.analysis import _WORD, same_length_norm, search_jieba, search_tokens, stopwords

    norm = same_length_norm(text)
    whole = [t for t in search_jieba().tokenize(norm, mode="search") if _WORD.search(t[0]) and t[0] not in stopwords()]
    assert search_tokens(text) == whole


def test_whoosh_index_of_record_has_the_fields_and_both_levels(fx):
    from whoosh.query import And, Term
    from whoosh.searching import Searcher

    from kb import paths
    from kb.search.schema import FIELD_BOOSTS, whoosh_index

    ix = whoosh_index(paths.index_path())
    names = set(ix.schema.names())
    assert {"text", "raw", "title", "kind", "domain", "plan", "depts", "lead", "indicators", "groups"} <= names
    assert set(FIELD_BOOSTS) <= names and ix.schema.stored_names() == ["id"]  # lean: results come from the KB
    with Searcher(ix.reader()) as s:
        assert s.doc_frequency("level", "item") == len(items())
        assert s.doc_frequency("level", "clause") > len(items())
        at_item_level = Term("level", "item")
        assert len(s.search(And([Term("lead", "市妇联"), at_item_level]))) == 1  # leads family-m1
        assert len(s.search(And([Term("depts", "市妇联"), at_item_level]))) == 3  # and supports two more
        assert s.doc_frequency("kind", "goal") >= 4 and s.doc_frequency("title", "欺凌") == 2
        assert s.doc_frequency("plan", PLAN) == s.doc_count_all()
    ix.close()


def test_one_analyzer_indexes_and_reads_queries(fx):
    from kb import paths
    from kb.search.analysis import analyzer, search_tokens
    from kb.search.schema import SEARCH_FIELDS, schema, whoosh_index

    an = analyzer()
    assert all(schema()[f].analyzer is an for f in SEARCH_FIELDS if f != "ngram")
    ix = whoosh_index(paths.index_path())
    assert ix.schema["text"].analyzer == an  # the stored schema unpickles to the same chain
    ix.close()
    assert [t.text for t in an("校园欺凌的预防", mode="query")] == [w for w, _, _ in search_tokens("校园欺凌的预防")]


@pytest.mark.parametrize(
    "field,term",
    [
        ("text", "欺凌"),
        ("title", "口腔"),
        ("indicators", "龋患率"),
        ("ngram", "欺凌"),
        ("raw", "阶段"),
        ("text", "没有的词"),
    ],
)
def test_score_arrays_are_whooshs_bm25f(fx, field, term):
    """Each derived weight equals whoosh's own BM25F score of the term in that field and document."""
    from whoosh.query import Term
    from whoosh.scoring import BM25F
    from whoosh.searching import Searcher

    from kb import paths
    from kb.search.arrays import open_index
    from kb.search.schema import K1, B, whoosh_index

    arrays = open_index(paths.index_path())
    ix = whoosh_index(paths.index_path())
    with Searcher(ix.reader(), weighting=BM25F(B=B, K1=K1)) as s:
        whoosh = {hit.docnum: hit.score for hit in s.search(Term(field, term), limit=None)}
    ix.close()
    found = arrays.postings(field, term)
    assert len(whoosh) == (0 if found is None else len(found[0]))
    if found is None:
        return
    # whoosh numbers items, then clauses, as the arrays do
    mine = {int(d): float(w) for d, w in zip(*found, strict=False)}
    assert mine.keys() == whoosh.keys() and all(abs(whoosh[d] - w) < 1e-4 * max(1.0, w) for d, w in mine.items())


@pytest.mark.parametrize(
    "word,vocab",
    [
        ("婴幼儿照户", ["婴幼儿照护", "婴幼儿", "照护服务", "学生欺凌"]),
        ("学生欺零", ["学生欺凌", "欺凌", "学生"]),
        ("火星", ["学生欺凌", "家庭教育"]),  # nothing close: None
        ("aab", ["aba", "baa", "abb", "b"]),  # repeated characters
    ],
)
def test_vocabulary_close_matches_difflib(word, vocab):
    import difflib

    from kb.search.results import Vocabulary

    best = difflib.get_close_matches(word, vocab, n=1, cutoff=0.7)
    assert Vocabulary(sorted(vocab)).close(word) == (best[0] if best else None)


@settings(max_examples=80, deadline=None)
@given(
    st.text("儿童家庭教育学生欺凌照护ab", min_size=2, max_size=6),
    st.lists(st.text("儿童家庭教育学生欺凌照护ab", min_size=1, max_size=7), min_size=1, max_size=30, unique=True),
)
def test_vocabulary_prefilter_never_changes_the_answer(word, vocab):
    import difflib

    from kb.search.results import Vocabulary

    best = difflib.get_close_matches(word, sorted(vocab), n=1, cutoff=0.7)
    assert Vocabulary(sorted(vocab)).close(word) == (best[0] if best else None)
