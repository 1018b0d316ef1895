"""Everyday words through the thesaurus (kb.search.thesaurus) and short department names that are plan words too."""

from __future__ import annotations

import pytest

from kb.search.query import parse, refine
from kb.search.thesaurus import groups, phrases, related


@pytest.mark.parametrize(
    "word,held,expected",
    [
        ("人贩子", {"拐卖": 6, "反拐": 1}, ["拐卖", "反拐"]),  # the commoner plan word first
        ("逃学", {"辍学": 2, "控辍保学": 1}, ["辍学", "控辍保学"]),
        ("喂奶", {"母乳喂养": 2}, ["母乳喂养"]),
        ("孤儿院", {"儿童福利机构": 5, "孤儿": 10}, ["儿童福利机构"]),  # an orphanage is no orphan
        ("胖墩", {"肥胖": 4}, ["肥胖"]),
        ("太胖", {"肥胖": 4}, ["肥胖"]),  # a degree adverb dropped; one character takes the compounds built on it
        ("被打", {"殴打": 2, "打造": 5}, ["殴打"]),  # a passive's verb is done to a person, not 打造
        ("被拐", {"拐卖": 6}, ["拐卖"]),
        ("太胖", {"胖": 3}, ["胖"]),  # the rest is itself a plan word
        ("性骚扰", {"性骚扰": 2, "性侵害": 9}, ["性侵害"]),  # a word the plan uses only in passing: its group too
        # negative rows: a word the plan holds keeps its meaning; one character takes no other words; no group;
        # nothing held; a passive of no act done to a person; a topic-less piece itself
        ("近视", {"近视": 7, "视力不良": 1}, []),
        ("性骚扰", {"性骚扰": 3, "性侵害": 9}, []),
        ("打", {"打骂": 3}, ["打骂"]),  # one character: a compound built on it
        ("打", {"虐待": 3}, []),  # never a group's other words
        ("被卖", {"贩卖": 3}, []),
        ("小", {"微小": 3}, []),
        ("宇宙飞船站", {"务工": 4}, []),
        ("人贩子", {}, []),
    ],
)
def test_related_plan_words(word, held, expected):
    assert related(word, lambda w: held.get(w, 0)) == expected


@pytest.mark.parametrize(
    "word,member,expected",
    [
        ("蛀牙", "龋齿", True),
        ("生二胎", "生育政策", True),
        ("人贩子", "性侵害", False),  # one meaning a group: no loose topics
        ("生孩子", "生产", False),  # 生产 is production in a plan
    ],
)
def test_thesaurus_groups(word, member, expected):
    assert any(member in grp for grp in groups().get(word, ())) is expected


@pytest.mark.parametrize(
    "term,held,expected",
    [
        ("儿童福利机构", {"儿童": 50, "福利": 3, "机构": 7}, 3),  # cut into words: by its rarest word
        ("拐卖", {"拐卖": 6}, 6),  # one word: its own count
        # negative rows: a word missing; a single word the index lacks; a one-character piece
        ("儿童福利机构", {"儿童": 50, "机构": 7}, 0),
        ("孤儿院", {"孤儿": 9}, 0),
        ("被拐卖", {"被": 9, "拐卖": 6}, 0),
    ],
)
def test_phrases_held_by_their_words(term, held, expected):
    assert phrases(lambda w: held.get(w, 0))(term) == expected


class DF:
    """A tiny index: documents per token, in every field."""

    def __init__(self, counts: dict[str, int]):
        self.counts = counts

    def __call__(self, field: str, token: str) -> int:
        return self.counts.get(token, 0)


@pytest.mark.parametrize(
    "query,held,depts,words",
    [
        # a plan word typed as the department's short name next to a topic: the department
        ("生态环境 污染", {"生态环境": 9, "污染": 2}, ["市生态环境局"], ["污染"]),
        ("卫健 近视", {"近视": 3}, ["市卫健委"], ["近视"]),  # no plan word: the department
        ("公安", {"公安": 9}, ["市公安局"], ["公安"]),  # alone: the department and the word
        ("公安 交通", {"公安": 9, "交通": 4}, ["市公安局", "市交通运输局"], ["公安", "交通"]),  # only names: both
        ("生态环境保护", {"生态": 9, "环境保护": 3}, [], ["生态", "环境保护"]),  # inside a word: only the words
        ("司法 普法", {"司法": 4, "普法": 3}, ["市司法局"], ["普法"]),  # the registry's stem 司法 of 市司法局
    ],
)
def test_short_department_names(query, held, depts, words):
    pq = parse(query)
    refine(pq, DF(held))
    assert [d for d, _, _ in pq.depts] == depts
    assert [c.word for c in pq.concepts] == words


@pytest.mark.parametrize(
    "query,held,words,joined",
    [
        ("小胖墩", {"肥胖": 4}, ["胖墩"], []),  # 小 of 小/胖墩 is no word to find
        ("小", {}, ["小"], []),  # alone it stays
        ("留守孩子", {"留守": 9, "留守儿童": 8, "儿童": 50}, ["留守", "孩子"], ["留守儿童"]),  # the official head
        ("留守 孩子", {"留守": 9, "留守儿童": 8, "儿童": 50}, ["留守", "孩子"], []),  # typed apart: not one word
        ("残疾孩子", {"残疾": 9, "儿童": 50}, ["残疾", "孩子"], []),  # the plan lacks the whole word
    ],
)
def test_affixes_and_official_heads(query, held, words, joined):
    pq = parse(query)
    refine(pq, DF(held))
    assert [c.word for c in pq.concepts] == words
    assert [j for j in pq.joined if j not in query] == joined


def test_thesaurus_forms_weigh_as_synonyms_and_say_so():
    pq = parse("人贩子")
    refine(pq, DF({"拐卖": 4}))
    word = next(c for c in pq.concepts if c.word == "人贩子")
    assert word.forms == [("人贩子", None), ("拐卖", "人贩子")]


@pytest.mark.parametrize(
    "query,held,forms",
    [
        # a word our synonym data expands takes the thesaurus's new words too
        ("玩手机", {"电子产品": 3, "防沉迷": 4, "沉迷网络": 2}, ["玩手机", "电子产品", "防沉迷", "沉迷网络"]),
        # negative rows: no longer or shorter form of a word already searched; no other group's words
        ("霸凌", {"欺凌": 9, "学生欺凌": 3, "校园欺凌": 4}, ["霸凌", "欺凌"]),
        ("打游戏", {"网络游戏": 5, "游戏": 9}, ["打游戏", "网络游戏"]),
        ("霸凌", {"欺凌": 9, "虐待": 3}, ["霸凌", "欺凌"]),
    ],
)
def test_thesaurus_adds_new_words_only(query, held, forms):
    pq = parse(query)
    refine(pq, DF(held))
    assert pq.concepts[0].strings == forms
