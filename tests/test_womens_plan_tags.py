"""A women's plan read as an officer would: the word 妇女 is in every item, so it names no owner, and the stock phrases
of its 健康 chapter are the health commission's."""

from pathlib import Path

import pytest

from nlp.departments import assign_text
from nlp.pipeline import analyse_file

PLAN = Path(__file__).parent / "fixtures" / "plans" / "women_chapters.txt"


@pytest.fixture(scope="module")
def items():
    return {it.id.split(":")[-1]: it for it in analyse_file(PLAN).items}


@pytest.mark.parametrize("iid", ["economy-g1", "social_security-g1"])
def test_the_group_word_in_every_item_makes_nobody_lead(items, iid):
    """The domain lists 妇联 on every measure (妇女 is a group word there): that convention backs it as a co-unit,
    never as the owner of a goal whose text names no one; the goal goes to review."""
    it = items[iid]
    assert it.needs_review
    assert all(not (a.name == "市妇联" and a.role == "lead") for a in it.departments)


def test_a_body_the_text_reads_still_leads(items):
    # negative: 家庭 is the 妇联's own topic (a co word with a lead share), so it leads the family goal
    assert [a.name for a in items["family-g1"].departments if a.role == "lead"] == ["市妇联"]


@pytest.mark.parametrize(
    "text, body",
    [
        ("全面推进健康湖南建设,把保障人民健康放在优先发展的战略位置", "市卫健委"),
        ("深入实施健康中国行动", "市卫健委"),
        ("促进全民健康,提高健康素养", "市卫健委"),
    ],
)
def test_the_health_chapters_stock_phrases_are_the_health_commissions(text, body):
    got = assign_text(text, kind="measure", domain="health")
    assert [a.name for a in got if a.role == "lead"] == [body]
    # 人民 (人民健康, 人民群众) is no match of 人民调解: it is in every government text
    assert all(not e.rule.startswith("mandate:") or "人民" not in e.text for a in got for e in a.evidence)
