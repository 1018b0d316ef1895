"""Search as people type (issue 18): question and role words, short department names, traditional characters,
everyday words, typos, fragments, exact phrases, snippets and the answer card — on the real plan."""

from __future__ import annotations

import pytest

from kb.search import SearchError, search
from kb.search.intent import query_words, strip_questions
from kb.search.query import expand, parse
from kb.search.spelling import Speller, pinyin_key


@pytest.fixture
def real(built_kb_env):
    """The default plan's build as the live one."""
    return built_kb_env


def hay(item_id: str) -> str:
    """The normalised text the search matches in (title, text, raw text, indicator names)."""
    from kb.search import engine

    ix = engine().ix
    row = ix.row(item_id)
    assert row is not None
    return ix.hay(row)


def short(res: dict) -> list[str]:
    return [r["id"].split(":", 1)[1] for r in res["results"]]


@pytest.mark.parametrize(
    "query,question,role,depts,words",
    [
        ("谁负责儿童近视", "who", "lead", [], ["儿童", "近视"]),
        ("哪个部门管校车", "who", "lead", [], ["校车"]),
        ("防溺水归谁管", "who", None, [], ["防溺水"]),  # 管 is part of the question phrase
        ("怎么预防校园欺凌", "how", None, [], ["预防", "校园欺凌"]),
        ("残疾儿童康复要做哪些", "what", None, [], ["残疾儿童", "康复"]),
        ("教育局牵头 心理健康", None, "lead", ["市教育局"], ["心理健康"]),
        ("妇联配合 营养", None, "co", ["市妇联"], ["营养"]),
        ("卫健委参与 学生体质", None, "co", ["市卫健委"], ["学生", "体质"]),
        ("誰負責兒童近視", "who", "lead", [], ["儿童", "近视"]),  # traditional question words too
        # negative rows: a role word without a department or a who-question stays a word to find
        ("负责 儿童", None, None, [], ["负责", "儿童"]),
        ("参与 社会", None, None, [], ["参与", "社会"]),
        ("儿童近视", None, None, [], ["儿童", "近视"]),
    ],
)
def test_question_and_role_words(query, question, role, depts, words):
    pq = parse(query)
    assert pq.question == question and pq.role == role
    assert [d for d, _, _ in pq.depts] == depts
    assert [c.word for c in pq.concepts] == words


@pytest.mark.parametrize(
    "chunk,rest,kinds",
    [("谁负责", " 负责", ["who"]), ("归谁管", " ", ["who"]), ("怎么办", " ", ["how"]), ("管理", "管理", [])],
)
def test_question_phrases_are_removed_but_plan_words_stay(chunk, rest, kinds):
    assert strip_questions(chunk) == (rest, kinds)


def test_query_words_are_data():
    qw = query_words()
    assert qw.roles["牵头"] == "lead" and qw.roles["配合"] == "co" and "请问" in qw.fillers
    assert [len(p) for p, _ in qw.questions] == sorted((len(p) for p, _ in qw.questions), reverse=True)


@pytest.mark.parametrize(
    "word,has,lacks",
    [
        ("孩子", "儿童", None),  # an everyday word → the plan's term
        ("托儿所", "托育机构", None),
        ("打疫苗", "预防接种", None),
        ("霸凌", "欺凌", None),
        ("儿童", None, "孩子"),  # one way: the plan's term is not searched as the everyday word
        ("留守儿童", "农村留守儿童", "留守老人"),  # a negative rule keeps these apart
    ],
)
def test_everyday_words_and_negative_rules(word, has, lacks):
    forms = [f for f, _ in expand(word)]
    assert forms[0] == word
    if has:
        assert has in forms
    if lacks:
        assert lacks not in forms


def test_expansions_weigh_less_than_the_typed_word():
    from kb.search.query import build

    terms = build(parse("托育"))
    typed = max(w for (f, t), w in terms.items() if t == "托育")
    assert all(w < typed for (f, t), w in terms.items() if t in ("婴幼儿照护", "婴幼儿", "照护"))


@pytest.mark.parametrize(
    "piece,expected",
    [
        ("近式", "近视"),  # same pinyin
        ("逆水", "溺水"),  # same pinyin
        ("龋患律", "龋患率"),  # same pinyin, a phrase reading
        ("法律援组", "法律援助"),  # one substitution
        ("家长学", "家长学校"),  # a character missed
        ("近视视", "近视"),  # a character typed twice
        ("jinshi", "近视"),  # typed in pinyin
        ("近视", None),  # a known word is left alone
        ("宇宙", None),  # nothing close
    ],
)
def test_speller_candidates(piece, expected):
    vocab = ["近视", "进士", "溺水", "龋患率", "法律援助", "法律", "家长学校", "近期"]
    df = {"近视": 5, "进士": 0, "近期": 40}
    sp = Speller(vocab, lambda w: df.get(w, 1))
    got = sp.candidates(piece)
    assert (got[0] if got else None) == expected


@pytest.mark.parametrize(
    "piece,expected",
    [
        ("打工", None),  # a word of the language one character from 打击: another word, not a typo
        ("游乐场", None),  # nor is 游乐场 a mistyped 娱乐场
        ("心里", "心理"),  # a word of the language, but one that sounds the same: an input method's wrong pick
        ("逆水", "溺水"),
        ("近式", "近视"),  # no word at all: one substitution is enough
        ("打土", "打击"),
    ],
)
def test_real_words_are_corrected_only_by_same_sound(piece, expected):
    vocab = ["打击", "娱乐场", "心理", "溺水", "近视"]
    words = {"打工", "游乐场", "心里", "逆水"}
    sp = Speller(vocab, lambda w: 3, is_word=words.__contains__)
    got = sp.candidates(piece)
    assert (got[0] if got else None) == expected


def test_same_sound_outranks_frequency():
    sp = Speller(["近视", "近期"], lambda w: {"近视": 1, "近期": 1000}[w])
    assert sp.candidates("近式")[0] == "近视" and pinyin_key("近视") == "jinshi"


@pytest.mark.parametrize(
    "query,first",
    [
        ("兒童近視", {"health-g8", "health-m9"}),
        ("校園欺凌", {"safety-g8", "safety-m9"}),
        ("孩子近视", {"health-g8", "health-m9"}),
        ("打疫苗", {"health-m8", "health-g7"}),
        ("校车", {"safety-m4"}),
        ("托位", {"welfare-g5"}),
        ("巩固率", {"education-g4"}),
        ("性教育", {"health-m12"}),  # the exact phrase before items with 教育 alone
        ("电子烟", {"health-m3"}),  # before 电子电气产品及烟花爆竹
        ("卫健 近视", {"health-g8", "health-m9"}),
        ("公安 拐卖", {"law-m7", "law-g5"}),
    ],
)
def test_typed_queries_find_the_plan_items(real, query, first):
    got = short(search(query))
    assert set(got[: len(first)]) == first, got


def test_a_short_department_name_alone_lists_its_items(real):
    res = search("卫健")
    assert res["total"] > 10 and res["understood"]["departments"] == [{"name": "市卫健委", "typed": "卫健"}]
    assert all(any(d["name"] == "市卫健委" for d in r["departments"]) for r in res["results"])


def _duties(dept: str, role: str | None = None, domain: str | None = None) -> set[str]:
    """Ids of the items the department has a duty in (kb.duties over the reviewed snapshot)."""
    from kb.duties import involvements
    from kb.reviews.snapshot import current

    return {
        it["id"]
        for it, duty in involvements(current().items, dept)
        if role in (None, duty.role) and domain in (None, it["domain_code"])
    }


@pytest.mark.parametrize(
    "query, params, dept, all_duties",
    [
        # a bare short name that is a plan word too: its text matches, then every other duty of the body
        ("民政", {}, "市民政局", True),
        ("公安", {}, "市公安局", True),
        ("司法", {}, "市司法局", True),
        ("民政", {"domain": "health"}, "市民政局", True),  # filters apply to the duties as to the matches
        ("民政牵头", {}, "市民政局", True),  # the asked role too (checked below)
        # negative rows: next to another word the short name only weights the matches; a full name was a duty list
        ("民政 儿童福利", {}, "市民政局", False),
        ("公安 拐卖", {}, "市公安局", False),
    ],
)
def test_a_bare_department_short_name_lists_its_duties_after_the_text(real, query, params, dept, all_duties):
    from kb.search.analysis import normalise

    res = search(query, limit=100, **params)
    got = [r["id"] for r in res["results"]]
    role = "lead" if "牵头" in query else None
    duties = _duties(dept, role, params.get("domain"))
    assert duties, dept
    if not all_duties:
        assert not duties <= set(got) and res["total"] < len(duties)
        return
    assert duties <= set(got) and res["total"] == len(got)
    word = query.removesuffix("牵头")
    holds = [word in normalise(r["title"] + r["snippet"]) or word in hay(r["id"]) for r in res["results"]]
    assert holds[0] and holds == sorted(holds, reverse=True)  # the text matches first, then the other duties
    rest = [r for r, h in zip(res["results"], holds, strict=True) if not h]
    assert rest and all(any(d["name"] == dept for d in r["departments"]) for r in rest)
    assert all(any(f"{dept} " in w for w in r["why"]) for r in rest)  # each says why: 市民政局 牵头(查询中的“民政”)
    leads = [any(d["name"] == dept and d["role"] == "lead" for d in r["departments"]) for r in rest]
    assert leads == sorted(leads, reverse=True)  # the items it leads before those it supports
    if role:
        assert all(leads)


def test_a_bare_department_short_name_keeps_exclusions_and_pages(real):
    res = search("民政 -福利", limit=100)
    assert res["total"] > 9 and not any("福利" in hay(r["id"]) for r in res["results"])
    whole = search("民政", limit=100)
    paged = [r["id"] for p in range(0, whole["total"], 10) for r in search("民政", offset=p)["results"]]
    assert paged == [r["id"] for r in whole["results"]]
    assert sorted(short(search("民政", limit=100, sort="plan"))) == sorted(short(whole))


def test_department_with_role_word_alone_filters_by_role(real):
    lead = search("市卫健委牵头", limit=100)
    assert lead["total"] > 5
    assert all(any(d["name"] == "市卫健委" and d["role"] == "lead" for d in r["departments"]) for r in lead["results"])
    co = search("市卫健委配合", limit=100)
    assert co["total"] > 5 and not {r["id"] for r in co["results"]} & {r["id"] for r in lead["results"]}


@pytest.mark.parametrize(
    "query,fixed", [("近式", "近视"), ("逆水", "溺水"), ("孤独证", "孤独症"), ("校园期凌", "校园欺凌")]
)
def test_typos_are_corrected_and_run(real, query, fixed):
    res = search(query)
    assert res["corrected"] == {"query": fixed, "original": query}
    assert res["results"] and "<mark>" in res["results"][0]["snippet"]
    assert any("仍要搜索" in m for m in res["messages"])


@pytest.mark.parametrize(
    "query, corrected",
    [
        # a near-miss of a registered department's name is run as that department, though its fragments (教育 + 居)
        # found items as typed
        ("教育居", "教育局"),
        ("卫建委", "卫健委"),
        ("民证局", "民政局"),
        ("残连", "残联"),
        ("教育居 心理健康", "教育局 心理健康"),
        # negative rows: real words of the index (and the names themselves) are searched as typed
        ("教育", None),
        ("居民", None),
        ("卫健", None),
        ("妇联", None),
        ("手机", None),
    ],
)
def test_a_misspelt_department_name_is_searched_as_the_department(real, query, corrected):
    res = search(query)
    if corrected is None:
        assert res["corrected"] is None and res["query"] == query and not any("已显示" in m for m in res["messages"])
        return
    assert res["corrected"] == {"query": corrected, "original": query}
    assert res["query"] == corrected and res["did_you_mean"] == []
    assert f"已显示“{corrected}”的结果,仍要搜索“{query}”" in res["messages"]
    typed = search(query, spell=0)  # the words as typed stay one click away, the name still offered
    assert typed["corrected"] is None and typed["query"] == query


def test_a_misspelt_department_name_on_the_page_and_its_json_twin(client):
    api = client.get("/api/search", query_string={"q": "教育居"}).get_json()
    assert api["corrected"] == {"query": "教育局", "original": "教育居"} and api["query"] == "教育局"
    assert api["understood"]["departments"] == [{"name": "市教育局", "typed": "教育局"}]
    html = client.get("/search", query_string={"q": "教育居"}).get_data(as_text=True)
    assert 'data-testid="corrected"' in html and "<b>教育局</b>" in html
    assert "spell=0" in html.split('data-testid="corrected"')[1].split("</p>")[0]
    typed = client.get("/api/search", query_string={"q": "教育居", "spell": "0"}).get_json()
    assert typed["corrected"] is None and typed["did_you_mean"] == ["教育局"]


def test_who_question_gets_an_answer_card(real):
    res = search("谁负责儿童近视")
    card = res["answer"]
    assert card and card["question"] == "who" and "市卫健委" in card["lead"]
    assert {it["id"].split(":")[1] for it in card["items"]} == {"health-g8", "health-m9"}
    assert all(it["kind"] in ("goal", "measure") and it["lead"] for it in card["items"])
    assert search("儿童近视")["answer"] is None  # no question, no card


def test_sort_by_plan_order(real):
    rel = search("托育", limit=50)
    plan = search("托育", limit=50, sort="plan")
    assert sorted(short(rel)) == sorted(short(plan)) and short(plan) != short(rel)
    with pytest.raises(SearchError):
        search("托育", sort="random")


def test_snippet_and_match_show_the_matched_word(real):
    for q in ("毛入学", "托位", "近式", "兒童近視"):
        for r in [r for r in search(q)["results"] if not r["related_to"]][:5]:
            assert "<mark>" in r["snippet"], (q, r["id"], r["snippet"])
            assert r["match"]["terms"] and all(t in r["snippet"] for t in r["match"]["terms"][:1])
    m = search("近视")["results"][0]["match"]
    assert m["clause"] and m["clause"].startswith("yiyang-children-2021-2025:health-")


def test_a_fragment_that_finds_one_goal_brings_its_measures_after_it(real):
    res = search("托位")
    assert short(res)[0] == "welfare-g5" and not res["results"][0]["related_to"]
    related = [r for r in res["results"] if r["related_to"]]
    assert related and all(r["related_to"].endswith("welfare-g5") and "相关" in r["why"][0] for r in related)
    assert "welfare-m5" in short(res)


def test_warm_up_answers_every_kind_and_holds_the_items(real):
    """The warm-up searches (nlp/data/search_warm.txt) cover every kind of query a first request may be, and after
    warm_up every item of the 1× build is in the item cache (a first request reads no item from SQLite)."""
    from kb.search import WARM_FILE, engine, warm_queries, warm_up
    from kb.search.analysis import normalise
    from kb.search.engine import ITEM_CACHE
    from nlp.lang import read_lines

    typed = read_lines(WARM_FILE)
    parsed = [parse(q) for q in typed]
    assert any(p.question == "who" for p in parsed) and any(p.question == "what" for p in parsed)
    assert any(p.role and p.depts for p in parsed) and any(any(s for _, _, s in p.depts) for p in parsed)
    assert any(c.phrase for p in parsed for c in p.concepts) and any(p.excluded for p in parsed)
    assert any(normalise(q) != q.lower() for q in typed) and any(q.isascii() for q in typed)  # traditional, pinyin
    assert warm_up()
    eng = engine()
    assert warm_queries(eng)[: len(typed)] == typed and len(warm_queries(eng)) == len(typed) + 3
    assert len(eng._items) == min(ITEM_CACHE, eng.ix.n_items)
