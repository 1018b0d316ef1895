"""Items: measure titles (with and without the 。 after them), clauses, domain codes, stable ids, default plan."""

from collections import Counter
from pathlib import Path

import pytest
from kb_cache import default_analysis

from nlp.items import TITLE_MAX, domain_code, find_title_end, split_clauses
from nlp.lang import cut
from nlp.pipeline import analyse_file

DEFAULT = Path(__file__).parent.parent / "corpus" / "yiyang-children-2021-2025.txt"
FUNCTION_WORDS = {
    "的",
    "和",
    "与",
    "及",
    "或",
    "、",
    "对",
    "在",
    "为",
    "把",
    "将",
    "并",
    "且",
    "以",
    "等",
    "及其",
    "并且",
}


def default_plan():
    """The default plan's analysis (analyse_file(DEFAULT)), made once by the session's cached build."""
    return default_analysis()


@pytest.mark.parametrize(
    "body,title,rule",
    [
        ("完善儿童健康服务体系。构建三级网络", "完善儿童健康服务体系", "stop"),
        ("加强儿童保健服务和管理加强儿童保健门诊标准化建设,扎实开展", "加强儿童保健服务和管理", "title_stop"),
        (
            "强化对家庭教育指导服务的支持保障县级以上人民政府将促进家庭教育纳入规划",
            "强化对家庭教育指导服务的支持保障",
            "title_stop",
        ),  # a two-word opener (县级 + 以上)
        ("加强留守儿童关爱保护进一步完善留守儿童关爱保护工作体系。强化家庭监护", "加强留守儿童关爱保护", "title_stop"),
        ("预防和控制针对儿童的暴力伤害宣传倡导对儿童暴力零容忍理念", "预防和控制针对儿童的暴力伤害", "title_stop"),
        ("加强妇幼健康服务体系建设健全以妇幼保健机构为核心的网络", "加强妇幼健康服务体系建设", "title_stop"),
        # negatives: openers bound to what precedes them, or inside a longer word, do not end the title
        ("预防和依法严惩性侵害儿童违法犯罪行为。加强", "预防和依法严惩性侵害儿童违法犯罪行为", "stop"),
        ("在突发事件预防和应对中加强对儿童的保护在制定预案时", "在突发事件预防和应对中加强对儿童的保护", "title_stop"),
        (
            "创新开展面向儿童的生态文明宣传教育活动将生态文明纳入教育",
            "创新开展面向儿童的生态文明宣传教育活动",
            "title_stop",
        ),
        ("儿童医疗保障水平。强化基本医疗保险", "儿童医疗保障水平", "stop"),
        ("加强组织领导\n各级政府负责规划的实施工作。", "加强组织领导", "line"),
        ("落实儿童优先原则,在制定政策时优先考虑儿童", "落实儿童优先原则", "comma"),
    ],
)
def test_find_title_end(body, title, rule):
    end, conf, got_rule = find_title_end(body)
    assert (body[:end], got_rule) == (title, rule)
    assert (conf == 1.0) == (rule in ("stop", "comma", "line"))


@pytest.mark.parametrize(
    "text,breaks,clauses",
    [
        ("完善体系。构建网络;加强管理", [], ["完善体系。", "构建网络;", "加强管理"]),
        ("加强儿童保健服务和管理加强门诊建设", [11], ["加强儿童保健服务和管理", "加强门诊建设"]),
        ("一句话。\n\n另一句", [], ["一句话。", "另一句"]),
        ("。;", [], []),
    ],
)
def test_split_clauses(text, breaks, clauses):
    assert [text[a:b] for a, b in split_clauses(text, breaks)] == clauses


@pytest.mark.parametrize(
    "heading,code",
    [
        ("儿童与健康", "health"),
        ("儿童与安全", "safety"),
        ("儿童与社会环境", "environment"),
        ("儿童与法律保护", "law"),
        ("妇女参与决策和管理", "decision"),
        ("妇女与社会保障", "social_security"),
        ("妇女与家庭建设", "family"),
        ("妇女与经济", "economy"),
        ("妇女与法律", "law"),
        ("扩大儿童健康资源供给,提升儿童健康服务水平", "health"),
        ("推进家庭教育和学校教育协同", "family"),  # the keyword found first names the domain
        ("儿童与文化", "d4"),
        (None, None),  # unknown → positional code; no domain → none
    ],
)
def test_domain_code(heading, code):
    assert domain_code(heading, 4) == code


def test_default_plan_counts_domains_and_numbers():
    items = default_plan().items
    assert Counter(i.kind for i in items)["goal"] == 73
    assert Counter(i.kind for i in items)["measure"] == 87
    assert Counter(i.kind for i in items)["implementation"] == 6
    assert Counter(i.kind for i in items)["monitoring"] == 5
    per_domain = Counter((i.domain_code, i.kind) for i in items if i.kind in ("goal", "measure"))
    assert per_domain == {
        ("health", "goal"): 12,
        ("health", "measure"): 13,
        ("safety", "goal"): 10,
        ("safety", "measure"): 12,
        ("education", "goal"): 11,
        ("education", "measure"): 14,
        ("welfare", "goal"): 11,
        ("welfare", "measure"): 13,
        ("family", "goal"): 8,
        ("family", "measure"): 9,
        ("environment", "goal"): 10,
        ("environment", "measure"): 12,
        ("law", "goal"): 11,
        ("law", "measure"): 14,
    }
    for (code, kind), n in per_domain.items():
        numbers = [i.number for i in items if i.domain_code == code and i.kind == kind]
        assert numbers == list(range(1, n + 1))
        assert all(
            i.id.endswith(f":{code}-{kind[0]}{i.number}") for i in items if i.domain_code == code and i.kind == kind
        )
    assert [i.id.split(":")[1] for i in items if i.kind == "implementation"] == [f"impl-{n}" for n in range(1, 7)]
    assert next(i.domain for i in items if i.kind == "measure") == "儿童与健康"


def test_default_plan_measure_titles_are_sensible():
    for it in default_plan().items:
        if it.kind not in ("measure", "implementation", "monitoring", "principle"):
            continue
        assert 4 <= len(it.title) <= TITLE_MAX, it.id
        assert cut(it.title)[-1] not in FUNCTION_WORDS, it.id  # 行为 is fine, a dangling 为 is not
        assert it.text.startswith(it.title), it.id
        assert it.clauses[0].text.startswith(it.title), it.id


def test_clauses_point_into_item_text():
    for it in default_plan().items:
        assert [c.index for c in it.clauses] == list(range(1, len(it.clauses) + 1))
        for c in it.clauses:
            assert it.text[c.start : c.end] == c.text and c.id == f"{it.id}.c{c.index}"
            assert c.raw_text.strip() and c.raw_text in it.raw_text


@pytest.mark.slow
def test_ids_titles_and_clauses_stable_across_analyses():
    # The second analysis runs after the department stage registered its names with jieba.
    first = [(i.id, i.title, [(c.id, c.text) for c in i.clauses]) for i in default_plan().items]
    again = [(i.id, i.title, [(c.id, c.text) for c in i.clauses]) for i in analyse_file(DEFAULT).items]
    assert first == again
    assert len({row[0] for row in first}) == len(first)


@pytest.mark.slow
def test_ids_survive_an_edit_elsewhere(tmp_path):
    raw = DEFAULT.read_text(encoding="utf-8")
    edited = raw.replace("儿童是国家的未来、民族的希望。", "儿童是国家的未来、民族的希望,是社会的重要资源。")
    assert edited != raw
    (tmp_path / "p.txt").write_text(edited, encoding="utf-8")
    ids = [i.id.split(":")[1] for i in analyse_file(tmp_path / "p.txt").items]
    assert ids == [i.id.split(":")[1] for i in default_plan().items]


def test_duplicate_domain_codes_get_distinct_ids():
    from nlp.pipeline import analyse

    raw = (
        "一、发展领域、主要目标和政策措施\n(一)儿童与健康\n主要目标\n1.健康水平提高。\n"
        "(二)儿童心理健康\n主要目标\n1.心理健康水平提高。\n"
    )
    ids = [i.id for i in analyse(raw, {"slug": "p"}).items]
    assert ids == ["p:health-g1", "p:health2-g1"]
