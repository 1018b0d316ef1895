"""Link evidence in words: the parts of nlp.links' `why`, strong / weak by the link score, the sentence shown."""

import pytest
from test_links import HEALTH, _copy, _plan

from nlp.link_evidence import describe, parse, strength, tied_indicators
from nlp.links import BACKFILL_MARK, PREFIX_LABELS, WHY_SEP


@pytest.mark.parametrize(
    "why, terms, topics, indicators, groups, backfill",
    [
        ("口腔、主题口腔、指标龋患率、保健", ("口腔", "保健"), ("口腔",), ("龋患率",), (), False),
        (
            "新生、生儿、新生儿、死亡、主题死亡与急救",
            ("新生儿", "死亡"),
            ("死亡与急救",),
            (),
            (),
            False,
        ),  # older builds
        ("心理健康、对象留守儿童(补充)", ("心理健康",), (), (), ("留守儿童",), True),
        ("主题教育、心理", ("主题教育", "心理"), (), (), (), False),  # 主题教育 is a word, not the topic 教育
        ("(补充)", (), (), (), (), True),
        ("", (), (), (), (), False),
        (None, (), (), (), (), False),
    ],
)
def test_parse(why, terms, topics, indicators, groups, backfill):
    ev = parse(why)
    assert (ev.terms, ev.topics, ev.indicators, ev.groups, ev.backfill) == (terms, topics, indicators, groups, backfill)


@pytest.mark.parametrize(
    "why, score, reviewed, expected",
    [
        ("口腔、保健", 0.45, False, "strong"),
        ("指标龋患率", 0.2, False, "strong"),  # the same measured quantity
        ("健康、医疗", 0.2, False, "moderate"),
        ("健康、医疗", 0.1, False, "weak"),
        ("口腔、保健(补充)", 0.45, False, "weak"),  # chosen for the goal, not by the measure
        ("", 0.5, False, "weak"),  # nothing shared
        ("健康", None, False, "weak"),
        ("健康", 0.05, True, "reviewed"),
    ],
)
def test_strength(why, score, reviewed, expected):
    assert strength(score, parse(why), reviewed) == expected


@pytest.mark.parametrize(
    "kwargs, has, lacks",
    [
        (
            {"why": "口腔、主题口腔、指标龋患率", "score": 0.62, "goal_indicators": ["儿童龋患率", "近视率"]},
            [
                "强关联",
                "相似度 0.62",
                "共有词语“口腔”",
                "同属主题“口腔”",
                "共同指标“龋患率”",
                "对应目标指标“儿童龋患率”",
            ],
            ["近视率", "未找到"],
        ),
        ({"why": "", "score": 0.1}, ["弱关联", "未找到共同词语或指标"], ["共有词语"]),  # no shared term says so
        ({"why": "(补充)", "score": 0.2}, ["弱关联", "未找到共同词语或指标", "补充"], []),
        ({"why": "暴力、主题暴力", "score": 0.2, "cross_domain": True}, ["一般关联", "跨领域关联"], []),
        (
            {
                "why": "应由民政部门承担",
                "score": 1.0,
                "reviewed": True,
                "added": True,
                "review_reason": "应由民政部门承担",
            },
            ["人工确认", "由审核人员添加", "审核理由:应由民政部门承担"],
            ["相似度", "共有词语"],
        ),
        ({"why": "口腔", "score": 0.4, "reviewed": True}, ["人工确认", "相似度 0.40", "共有词语“口腔”"], []),
    ],
)
def test_describe_in_words(kwargs, has, lacks):
    why, score = kwargs.pop("why"), kwargs.pop("score")
    out = describe(why, score, **kwargs)
    for text in has:
        assert text in out["text"], (text, out["text"])
    for text in lacks:
        assert text not in out["text"], (text, out["text"])
    assert out["text"].startswith(out["strength_label"]) and out["text"].endswith("。")
    assert out["shared"] == bool(out["terms"] or out["topics"] or out["indicators"] or out["groups"])


@pytest.mark.parametrize(
    "why, indicators, expected",
    [
        ("近视", ["儿童青少年总体近视率", "龋患率"], ["儿童青少年总体近视率"]),
        ("指标龋患率", ["12岁儿童龋患率"], ["12岁儿童龋患率"]),
        ("健康", ["近视率"], []),
    ],
)
def test_tied_indicators(why, indicators, expected):
    assert tied_indicators(parse(why), indicators) == expected


def test_links_why_parses_back_into_its_parts():
    plan = _plan([_copy(i) for i in HEALTH])
    kinds = set()
    for m in (i for i in plan.items if i.kind == "measure"):
        for lk in m.serves:
            ev = parse(lk.why)
            pieces = [p for p in lk.why.removesuffix(BACKFILL_MARK).split(WHY_SEP) if p]
            assert len(ev.terms + ev.topics + ev.indicators + ev.groups) <= len(pieces)
            assert not any(t != o and t in o for t in ev.terms for o in ev.terms)  # no word inside another
            kinds |= {k for k, v in PREFIX_LABELS.items() if v and any(p.startswith(v) for p in pieces)}
    m3 = next(i for i in plan.items if i.id == "p:health-m3")
    assert "龋患率" in parse(m3.serves[0].why).indicators + parse(m3.serves[0].why).terms
    assert "#" in kinds  # topics are written and read back
