"""Learning from reviews: rule factors from accept/reject decisions, applied at the next build, never over a review."""

from __future__ import annotations

import pytest

from kb.reviews import learning
from nlp import departments


@pytest.mark.parametrize(
    "decisions, key, expected",
    [
        ([(["lexicon:家长→市妇联(co,0.5)"], False)] * 8, "家长→市妇联", learning.LOW),  # always rejected: fades
        ([(["lexicon:疫苗→市卫健委(lead,0.9)"], True)] * 8, "疫苗→市卫健委", learning.HIGH),  # always kept: capped
        (
            [(["lexicon:学校→市教育局(co,0.4)"], True), (["lexicon:学校→市教育局(co,0.4)"], False)] * 2,
            "学校→市教育局",
            1.0,
        ),
    ],
)
def test_factors(decisions, key, expected):
    assert learning.factors(decisions)[key] == expected


def test_only_lexicon_rules_are_learned():
    got = learning.factors([(["mention:市公安局", "prior:*domain=health", "mandate:x"], False)])
    assert got == {}


def test_factors_scale_the_lexicon_and_reset():
    text = "引导家长科学育儿"
    plain = {h.dept: h.weight for h in departments.find_hits(text)}
    departments.set_rule_factors({"家长→市妇联": 0.3})
    try:
        scaled = {h.dept: h.weight for h in departments.find_hits(text)}
    finally:
        departments.set_rule_factors({})
    assert scaled["市妇联"] < plain["市妇联"]
    assert {h.dept: h.weight for h in departments.find_hits(text)} == plain


def test_next_build_learns_but_keeps_the_review(web_data, monkeypatch):
    from kb import reviews
    from kb.build import build
    from kb.store import KB

    monkeypatch.setenv("KB_DATA_DIR", str(web_data))
    with KB() as kb:
        it, d = next(
            (it, d)
            for it in kb.items(kind="measure")
            for d in it["departments"]
            if d["source"] == "inferred" and any(e["rule"].startswith("lexicon:") for e in d["evidence"])
        )
    reviews.reject_assignment(it["id"], d["name"], by="tester", reason="学习测试")
    assert learning.learned_factors() == {}  # one decision is about its item, not yet about the rule
    rules = [e["rule"] for e in d["evidence"]]
    assert min(learning.factors([(rules, False)] * learning.MIN_DECISIONS).values()) < 1.0
    try:
        build()
    finally:
        departments.set_rule_factors({})
    again = reviews.reviewed_item(it["id"])
    assert d["name"] not in {x["name"] for x in again["departments"]}  # the review still holds after the rebuild


def test_an_item_reading_follows_the_factors_and_survives_setting_them_again():
    from nlp.model import Item

    text = "引导家长科学育儿"
    item = Item("t-m1", "t", "measure", "儿童与家庭", 1, "", text, text, 1, 0, len(text), domain_code="family")
    plain = {h.dept: h.weight for h in departments.item_hits(item)[0]}
    departments.set_rule_factors({})  # what a build does before every plan: the memo stays
    assert departments._read.cache_info().currsize > 0
    departments.set_rule_factors({"家长→市妇联": 0.3})
    try:
        assert departments._read.cache_info().currsize == 0  # new factors: read again
        assert {h.dept: h.weight for h in departments.item_hits(item)[0]}["市妇联"] < plain["市妇联"]
    finally:
        departments.set_rule_factors({})
    assert {h.dept: h.weight for h in departments.item_hits(item)[0]} == plain
