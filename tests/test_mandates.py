"""What each body is for: the mandates data and the BM25 match against plan text."""

import pytest

from nlp import mandates, registry

LEVELS = {"municipal", "county", "provincial", "national", "generic"}


def test_every_mandate_row_names_a_registry_body_a_level_and_its_source():
    src = mandates.sources()
    assert len(src) >= 50
    for body, (level, url) in src.items():
        assert registry.get(body) is not None, body
        assert level in LEVELS, (body, level)
        if level != "generic":  # a published page's functions always name the page
            assert url.startswith("http"), body


def test_every_mandate_row_names_its_source_or_says_why_not():
    for body, (level, src) in mandates.sources().items():
        if src.startswith("none:"):  # only a compiled row may lack a page, and it says why
            assert level == "generic" and len(src.removeprefix("none:").strip()) >= 10, body
        else:
            assert src.startswith(("http://", "https://")) and "." in src.split("/")[2], body


@pytest.mark.parametrize(
    "text, body",
    [
        ("加强环境污染防治的监督管理和饮用水水源地保护", "市生态环境局"),
        ("开展农村留守儿童和困境儿童关爱保护", "市民政局"),
        ("加强平安建设和社会治安综合治理", "市委政法委"),
    ],
)
def test_a_clause_that_reads_like_a_function_matches_its_body(text, body):
    got = mandates.match(text)
    assert got and got[0].body == body
    assert got[0].clause and got[0].words  # the evidence: the function matched and the shared words


@pytest.mark.parametrize("text", ["加强预防工作", "提高儿童发展水平", ""])
def test_one_common_word_is_no_match(text):
    assert mandates.match(text) == []


def _scan(text: str) -> list[tuple[str, float, str]]:
    """The match as a scan of every clause with textbook BM25: the oracle for the inverted-list lookup."""
    import math
    from collections import Counter

    words, ms = mandates.words(text), mandates.mandates()
    query = set(words)
    df = Counter(w for m in ms for w in set(m.words))
    avg = sum(len(m.words) for m in ms) / len(ms)
    best: dict[str, tuple[str, float, str]] = {}
    for m in ms:
        tf, norm = Counter(m.words), mandates.K1 * (1 - mandates.B + mandates.B * len(m.words) / avg)
        s = sum(
            math.log(1 + (len(ms) - df[w] + 0.5) / (df[w] + 0.5)) * tf[w] * (mandates.K1 + 1) / (tf[w] + norm)
            for w in query
            if w in tf
        )
        if s <= 0 or (m.body in best and s <= best[m.body][1]):
            continue
        shared = [w for w in words if w in m.words and not any(w != o and w in o and o in m.words for o in words)]
        if len(set(shared)) >= 2 or df[shared[0]] <= mandates.RARE_DF:  # one common word is no shared purpose
            best[m.body] = (m.body, s, m.clause)
    return sorted(best.values(), key=lambda x: -x[1])


@pytest.mark.parametrize(
    "text",
    [
        "加强环境污染防治的监督管理和饮用水水源地保护",
        "开展农村留守儿童和困境儿童关爱保护",
        "完善城乡居民基本医疗保险制度,做好困难家庭儿童医疗救助",
        "加强学校体育工作,保障学生每天校内体育活动时间不少于1小时",
        "依法严厉打击拐卖、性侵害等侵害儿童人身权利的违法犯罪行为",
        "提高儿童发展水平",
    ],
)
def test_the_indexed_match_scores_as_a_scan_of_every_clause(text):
    """The same bodies, best clauses and scores as a scan of every clause."""
    scan = {body: (round(s, 3), clause) for body, s, clause in _scan(text)}
    assert {m.body: (m.score, m.clause) for m in mandates.match(text, top=100)} == scan
