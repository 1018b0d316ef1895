"""What a typed query asks for, on the real plan (QA session 13, #5–#8): a department's duty list however the
duties are asked for, -exclusions that exclude, spelling help that never replaces a real word's results, and a
notice when no item holds a typed word whole."""

from __future__ import annotations

import pytest

from kb.search import SearchError, engine, search


@pytest.fixture
def real(built_kb_env):
    """The default plan's build as the live one."""
    return built_kb_env


def ids(res: dict) -> list[str]:
    return [r["id"] for r in res["results"]]


def hay(item_id: str) -> str:
    """The normalised text the search matches in (title, text, raw text, indicator names)."""
    ix = engine().ix
    row = ix.row(item_id)
    assert row is not None
    return ix.hay(row)


@pytest.mark.parametrize(
    "query,same_as",
    [
        ("教育局的任务", "教育局"),
        ("教育局的职责", "教育局"),
        ("教育局职责", "教育局"),
        ("教育局有哪些任务", "教育局"),
        ("教育局的分工", "教育局"),
        ("教育局负责哪些工作", "教育局"),
        ("教育局的任務", "教育局"),  # traditional
        ("妇联的任务", "妇联"),
        ("卫健的职责", "卫健"),  # a short name
        ("教育局牵头的任务", "教育局牵头"),  # a role word filters
        ("卫健委配合的任务", "卫健委配合"),
    ],
)
def test_duty_words_next_to_a_department_ask_for_its_duty_list(real, query, same_as):
    res, base = search(query, limit=100), search(same_as, limit=100)
    assert base["total"] > 5
    assert res["total"] == base["total"] and ids(res) == ids(base)
    assert res["understood"]["terms"] == []


def test_a_role_word_filters_to_that_role_and_says_so(real):
    lead = search("教育局牵头的任务", limit=100)
    every = search("教育局", limit=100)
    assert 0 < lead["total"] < every["total"]
    assert all(any(d["name"] == "市教育局" and d["role"] == "lead" for d in r["departments"]) for r in lead["results"])
    assert any("只显示市教育局牵头" in m for m in lead["messages"])
    assert not any("只显示" in m for m in every["messages"])


@pytest.mark.parametrize("query", ["卫健委负责什么", "卫健委负责", "卫健委管什么", "卫健委负责的任务"])
def test_what_a_department_is_responsible_for_is_all_its_duties(real, query):
    """负责 asks for everything the department answers for: its 配合 duties are duties too (lead ones first)."""
    res, every = search(query, limit=100), search("卫健委", limit=100)
    assert res["total"] == every["total"] and ids(res) == ids(every)
    assert any(d["role"] == "co" for r in res["results"] for d in r["departments"] if d["name"] == "市卫健委")
    assert not any("只显示" in m for m in res["messages"])


def test_duty_words_stay_words_to_find_without_a_department(real):
    res = search("任务")
    assert [t["word"] for t in res["understood"]["terms"]] == ["任务"] and res["total"] > 0
    assert search("谁负责儿童近视")["answer"]["role"] == "lead"  # 负责 in a who-question still asks for the lead


@pytest.mark.parametrize("query,positive,excluded", [("近视 -学生", "近视", "学生"), ("近视 -儿童", "近视", "儿童")])
def test_an_exclusion_leaves_only_matches_without_the_word(real, query, positive, excluded):
    res, matches = search(query, limit=100), search(positive, limit=100)
    direct = {r["id"] for r in matches["results"] if not r["related_to"]}
    assert set(ids(res)) <= direct
    assert all(not r["related_to"] for r in res["results"])  # never filled up with related items
    assert all(excluded not in hay(i) for i in ids(res))
    if not res["results"]:
        assert any(f"“{excluded}”" in m for m in res["messages"])


def test_an_exclusion_that_leaves_nothing_says_so(real):
    res = search("近视 -学生")
    assert res["total"] == 0
    assert any("排除" in m and "“学生”" in m for m in res["messages"])


def test_a_real_word_that_finds_items_is_never_replaced(real):
    typed = search("手机", spell=0)
    res = search("手机")
    assert res["corrected"] is None and res["query"] == "手机"
    assert ids(res) == ids(typed)
    assert not any("已显示" in m for m in res["messages"])


def test_a_word_that_is_no_word_is_still_corrected(real):
    res = search("近式")
    assert res["corrected"] == {"query": "近视", "original": "近式"}


def test_no_item_holding_the_whole_word_is_said_before_the_partial_matches(real):
    res = search("课后服务")
    assert res["total"] > 0 and res["partial"] == ["课后服务"]
    assert any("没有条目包含完整的“课后服务”" in m for m in res["messages"])
    whole = search("校园欺凌")
    assert whole["partial"] == [] and not any("完整" in m for m in whole["messages"])


def test_an_unknown_kind_lists_the_chinese_labels(real):
    with pytest.raises(SearchError) as e:
        search("儿童", kind="xx")
    assert "组织实施" in e.value.message and "监测评估" in e.value.message


def test_the_page_says_what_the_json_twin_says_before_the_results(client):
    """The partial-match notice, the role note and the exclusion message are on the page above the results, and
    in the API's payload (messages, partial) for the same query."""
    for q, shown in (
        ("课后服务", "没有条目包含完整的“课后服务”"),
        ("教育局牵头的任务", "只显示市教育局牵头的条目"),
        ("近视 -学生", "排除“学生”后没有剩下匹配的条目"),
    ):
        body = client.get("/api/search", query_string={"q": q}).get_json()
        assert any(shown in m for m in body["messages"]), (q, body["messages"])
        html = client.get("/search", query_string={"q": q}).get_data(as_text=True)
        assert shown in html, q
        first = html.find('data-testid="result"')
        assert first < 0 or html.index(shown) < first, q
    assert client.get("/api/search", query_string={"q": "课后服务"}).get_json()["partial"] == ["课后服务"]
    err = client.get("/api/search", query_string={"q": "儿童", "kind": "xx"}).get_json()
    assert err["ok"] is False and "组织实施(implementation)" in err["error"] and "监测评估(monitoring)" in err["error"]
