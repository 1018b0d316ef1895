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
