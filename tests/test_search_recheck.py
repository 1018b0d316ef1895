"""Search as people type it, second pass (session 14 recheck): invisible characters pasted into a word, and the
page offering what its JSON twin offers."""

from __future__ import annotations

import re

import pytest

from kb.search import search


@pytest.mark.parametrize("pasted", ["近\u200b视", "近\u200d视", "近\ufeff视", "近\u00ad视", "\u200b近视\u2060"])
def test_an_invisible_character_inside_a_word_is_dropped(built_kb_env, pasted):
    # 近\u200b视 (copied from a web page) was read as 近 and 视 and found nothing, while 近视 finds its items
    typed = search("近视")
    got = search(pasted)
    assert got["query"] == "近视" and got["total"] == typed["total"] > 0


def test_a_control_character_still_separates_words(built_kb_env):
    assert search("近视\t溺水")["query"] == "近视 溺水"


def _offer(html: str) -> list[str]:
    block = re.search(r'data-testid="did-you-mean">(.*?)</p>', html, re.S)
    return re.findall(r">([^<]+)</a>", block.group(1)) if block else []


def test_the_page_offers_the_did_you_mean_of_its_twin_beside_results(client):
    # 手机 keeps its own items and offers 收集; 教育居 searched as typed (spell=0: it is otherwise run as 教育局)
    # finds 教育 items and offers 教育局: the JSON said so, the page showed the offer only when nothing was found
    for q in ("手机", "教育居&spell=0"):
        data = client.get(f"/api/search?q={q}").get_json()
        assert data["total"] > 0 and data["did_you_mean"]
        html = client.get(f"/search?q={q}").get_data(as_text=True)
        assert _offer(html) == data["did_you_mean"]
    nothing = client.get("/search?q=近视").get_data(as_text=True)
    assert _offer(nothing) == []  # no offer where the twin has none


@pytest.mark.parametrize(
    "args, chips",
    [
        # a chip shows the words its facet link showed, not the code the link carries
        ("kind=measure", ["政策措施"]),
        ("kind=goal", ["主要目标"]),
        ("dept=卫健委&role=lead", ["卫健委", "牵头"]),
        ("dept=卫健委&role=co", ["卫健委", "配合"]),
        ("plan=yiyang-children-2021-2025", ["益阳市儿童发展规划(2021-2025年)"]),
        ("has_indicator=1", ["含量化指标"]),
        ("has_indicator=0", ["不含量化指标"]),
        # negatives: a value that is a word already stays as typed; no filter, no chip
        ("domain=儿童与健康", ["儿童与健康"]),
        ("", []),
    ],
)
def test_an_active_filter_chip_shows_its_label(client, args, chips):
    html = client.get(f"/search?q=近视&{args}").get_data(as_text=True)
    block = re.search(r'<p class="filters">(.*?)</p>', html, re.S)
    assert (re.findall(r">([^<]+) ✕</a>", block.group(1)) if block else []) == chips
