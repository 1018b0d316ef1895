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
