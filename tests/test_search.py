"""Search: synonyms, repaired words, departments, indicators, filters, malformed queries, safe highlighting."""
from __future__ import annotations

import html

import pytest
from hypothesis import given, settings, strategies as st

from kb.search import SearchError, search
from search_fixture import PLAN, item, items, write_build


@pytest.fixture
def fx(kb_data):
    """The fixture plan as the live build."""
    write_build(kb_data)
    return kb_data


def ids(res: dict) -> list[str]:
    return [r["id"].split(":", 1)[1] for r in res["results"]]


@pytest.mark.parametrize("query,expected_first,absent", [
    ("校园欺凌", {"safety-g1", "safety-m1"}, "education-m1"),   # plan says 学生欺凌
    ("龋齿", {"health-g1"}, "safety-g1"),                        # plan says 龋患
    ("托育服务", {"health-m1"}, "family-g1"),                    # plan says 婴幼儿照护服务
    ("打拐", {"family-g1"}, "health-g1"),                        # plan says 拐卖
    ("学生欺凌", {"safety-g1", "safety-m1"}, "health-m1"),       # the literal word still works
])
def test_synonyms_find_the_plan_wording(fx, query, expected_first, absent):
    res = search(query)
    assert set(ids(res)[:len(expected_first)]) == expected_first
    assert absent not in ids(res)
    assert any("同义词" in w for r in res["results"][:1] for w in r["why"]) or query == "学生欺凌"


def test_repaired_word_is_found_and_explained(fx):
    res = search("高中阶段毛入学率")
    assert ids(res)[0] == "education-g1"
    assert any("修复后" in w for w in res["results"][0]["why"])
    assert "<mark>高中阶段毛入学率</mark>" in res["results"][0]["snippet"]


@pytest.mark.parametrize("dept,favoured,other", [
    ("妇联", "family-m1", "education-m1"),      # 妇联 leads family-m1, supports education-m1
    ("教育局", "education-m1", "family-m1"),    # and the other way round for 教育局
    ("卫健委", None, None),                     # leads neither: no change in order
])
def test_department_in_query_boosts_its_items(fx, dept, favoured, other):
    def scores(q):
        return {i: r["score"] for i, r in zip(ids(search(q)), search(q)["results"])}
    plain, boosted = scores("家庭教育指导"), scores(f"{dept} 家庭教育指导")
    if favoured is None:
        assert list(boosted) == list(plain)
    else:
        assert boosted[favoured] / boosted[other] > plain[favoured] / plain[other]


def test_department_alone_lists_what_it_leads_first(fx):
    res = search("卫健委")
    assert set(ids(res)) == {"health-g1", "health-m1"}
    assert all(any(d["name"] == "市卫健委" for d in r["departments"]) for r in res["results"])


@pytest.mark.parametrize("params,expected", [
    ({"dept": "妇联"}, {"health-m1", "education-m1", "family-m1"}),
    ({"dept": "市妇联", "role": "lead"}, {"family-m1"}),
    ({"dept": "妇联", "role": "co"}, {"health-m1", "education-m1"}),
    ({"domain": "健康"}, {"health-g1", "health-m1"}),
    ({"domain": "family", "kind": "goal"}, {"family-g1"}),
    ({"kind": "目标", "has_indicator": "1"}, {"health-g1", "education-g1"}),
])
def test_filters(fx, params, expected):
    assert set(ids(search("", limit=50, **params))) == expected


@pytest.mark.parametrize("query,expected", [
    ("家庭教育 部门:妇联 角色:牵头", {"family-m1"}),
    ("领域:教育 家庭教育", {"education-m1"}),
])
def test_filters_typed_in_the_query(fx, query, expected):
    assert set(ids(search(query))) == expected


@pytest.mark.parametrize("params", [
    {"dept": "不存在的局"}, {"domain": "火星"}, {"kind": "poem"}, {"role": "boss", "dept": "妇联"},
    {"role": "lead"}, {"has_indicator": "maybe"}, {"limit": 0}, {"limit": "ten"}, {"offset": -1},
    {"plan": "nope"},
])
def test_bad_parameters_are_400(fx, params):
    with pytest.raises(SearchError) as exc:
        search("儿童", **params)
    assert exc.value.status == 400 and exc.value.message


def test_indicator_name_finds_its_target(fx):
    res = search("龋患率")
    assert ids(res)[0] == "health-g1"
    assert "12岁儿童龋患率" in res["results"][0]["indicators"]


@pytest.mark.parametrize("query,expected", [
    ('"家长学校"', {"family-m1"}),                     # phrase: only the item with the exact words
    ("“家庭教育指导”", {"family-m1", "education-m1"}),  # Chinese quotes
    ("家庭教育 -家长学校", {"education-m1"}),            # exclusion
])
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


def test_did_you_mean_for_a_typo(fx):
    res = search("婴幼儿照户")
    assert res["did_you_mean"] == ["婴幼儿照护"]


def test_highlight_is_html_safe(fx):
    res = search("恶意链接 script")
    snip = res["results"][0]["snippet"]
    bare = snip.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in bare and ">" not in bare and "&lt;script&gt;" in bare and "&amp;" in bare
    assert html.unescape(bare) == "警惕<script>alert(1)</script>等恶意链接 & 网络诈骗"


def test_review_overlay_shows_in_results(fx, monkeypatch):
    import kb.store

    def overlay(_kb, rows):
        for r in rows:
            r["departments"] = [{"name": "市民政局", "role": "lead", "source": "reviewed", "confidence": 1.0,
                                 "evidence": []}]
        return rows
    monkeypatch.setattr(kb.store, "_overlay", overlay)
    r = search("龋齿")["results"][0]
    assert r["departments"][0]["name"] == "市民政局" and r["departments"][0]["source"] == "reviewed"


def test_new_build_is_picked_up(fx):
    assert ids(search("龋齿")) == ["health-g1"]
    write_build(fx, [item("health", "goal", 7, "降低龋患率")], name="b2")
    assert ids(search("龋齿")) == ["health-g7"]


MALFORMED = ['"未闭合的引号', "(((", ")", "[家庭", "AND", "OR OR", "NOT 儿童", "-", "*", "?", "~2", "^", '"',
             "domain:", "领域:", "a:b:c", "\\", "{}[]()", "儿童 AND", "\x00\x01\x1f儿童", "😀", "😀👨‍👩‍👧 家庭",
             "　", "'", "%", "<script>", "儿童" * 150, "x" * 10_000]


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


@pytest.mark.parametrize("query,must_contain", [
    ("校园欺凌", "学生欺凌"),
    ("高中阶段毛入学率", "高中阶段毛入学率"),
])
def test_full_plan_end_to_end(built_kb_env, query, must_contain):
    top = search(query)["results"][0]
    assert must_contain in top["snippet"].replace("<mark>", "").replace("</mark>", "")


def test_reviews_apply_per_request_and_never_stick_to_the_cache(fx, monkeypatch):
    import kb.store

    original = search("龋齿")["results"][0]["departments"]
    real = kb.store._overlay

    def overlay(_kb, rows):
        for r in rows:
            r["departments"].append({"name": "市民政局", "role": "co", "source": "reviewed"})
            r["serves"].append("x")
        return rows
    monkeypatch.setattr(kb.store, "_overlay", overlay)
    assert search("龋齿")["results"][0]["departments"][-1]["name"] == "市民政局"
    monkeypatch.setattr(kb.store, "_overlay", real)
    again = search("龋齿")["results"][0]
    assert again["departments"] == original and "x" not in again["serves"]


def test_index_of_an_older_format_is_a_clear_503(fx):
    from kb import paths

    write_build(fx, name="b2")  # a new build folder, so the engine is opened afresh
    (paths.index_path() / "meta.json").write_text('{"format": 1}', encoding="utf-8")
    with pytest.raises(SearchError) as exc:
        search("龋齿")
    assert exc.value.status == 503 and "kb build" in exc.value.message


@pytest.mark.parametrize("text,parts,clean", [
    ("加强保健。开展筛查。", ["加强保健。", "开展筛查。"], True),    # split after punctuation
    ("加强保健开展筛查", ["加强保健", "开展筛查"], False),            # split inside a run of Han characters
    ("加强保健。开展筛查。", ["加强保健。", "开展筛查"], False),       # parts do not make the text
    ("比例达到90%。提高", ["比例达到90%", "。提高"], True),          # punctuation starts the next part
])
def test_clause_counts_are_summed_only_at_block_boundaries(text, parts, clean):
    from kb.search_index import _joins_cleanly

    assert _joins_cleanly(text, parts) is clean


@pytest.mark.parametrize("word,vocab", [
    ("婴幼儿照户", ["婴幼儿照护", "婴幼儿", "照护服务", "学生欺凌"]),
    ("学生欺零", ["学生欺凌", "欺凌", "学生"]),
    ("火星", ["学生欺凌", "家庭教育"]),                                  # nothing close: None
    ("aab", ["aba", "baa", "abb", "b"]),                                # repeated characters
])
def test_vocabulary_close_matches_difflib(word, vocab):
    import difflib

    from kb.search_results import Vocabulary

    best = difflib.get_close_matches(word, vocab, n=1, cutoff=0.7)
    assert Vocabulary(sorted(vocab)).close(word) == (best[0] if best else None)


@settings(max_examples=80, deadline=None)
@given(st.text("儿童家庭教育学生欺凌照护ab", min_size=2, max_size=6),
       st.lists(st.text("儿童家庭教育学生欺凌照护ab", min_size=1, max_size=7), min_size=1, max_size=30, unique=True))
def test_vocabulary_prefilter_never_changes_the_answer(word, vocab):
    import difflib

    from kb.search_results import Vocabulary

    best = difflib.get_close_matches(word, sorted(vocab), n=1, cutoff=0.7)
    assert Vocabulary(sorted(vocab)).close(word) == (best[0] if best else None)
