"""Lost title stops: a class's confidence is its measured rate; a strong opener after a title of the plan's typical
length is applied, every other candidate (long titles, clauses of their own, weak openers) is suggested."""

from __future__ import annotations

import pytest

from nlp.pipeline import analyse

INTACT = [
    "加强儿童保健服务",
    "完善儿童福利制度",
    "加强儿童食品安全",
    "推进学前教育普及",
    "加强学生欺凌治理",
    "落实儿童监护制度",
]
PLAN = (
    "\n\n".join(
        [
            "某市儿童发展规划(2021-2025年)",
            "一、发展领域、主要目标和策略措施",
            "(一)儿童与健康",
            "主要目标",
            "1.儿童健康水平不断提高。",
            "策略措施",
            *[f"{n}.{t}。完善相关工作机制,规范服务流程。" for n, t in enumerate(INTACT, 1)],
            "7.有效控制儿童近视构建儿童眼病防治工作网络,完善眼保健服务体系。",
            "8.构建覆盖城乡的家庭教育指导服务体系推动城乡社区建立家长学校。",
            "9.儿童遭受意外伤害的急救和康复服务水平加强儿童急救知识宣传,提高救治能力。",
            "10.加强儿童伤害防控和安全教育工作规范校外活动场所管理,落实安全责任。",
            "11.加强儿童意外伤害防控和应急救护工作宣传安全救护知识,落实安全责任。",
            "二、组织实施",
            "(一)加强组织领导。各级政府负责规划实施。",
        ]
    )
    + "\n"
)
META = {"slug": "t", "title": "某市儿童发展规划(2021-2025年)", "level": "市"}


def _measures(plan):
    return {i.number: i for i in plan.items if i.kind == "measure"}


# (the four characters before the stop, item number, class, applied?, the item's title)
TITLE_STOPS = [
    ("儿童近视", 7, "title_stop", True, "有效控制儿童近视"),  # short: the genre's typical title
    ("服务体系", 8, "title_stop_other", False, "构建覆盖城乡的家庭教育指导服务体系"),  # long, though a clause
    ("服务水平", 9, "title_stop_other", False, "儿童遭受意外伤害的急救和康复服务水平"),  # long, led by a noun
    ("教育工作", 10, "title_stop_other", False, "加强儿童伤害防控和安全教育工作"),  # long; weak 规范 after it
    ("救护工作", 11, "title_stop_other", False, "加强儿童意外伤害防控和应急救护工作"),  # long; weak 宣传 after it
]


@pytest.mark.parametrize("before,number,cls,applied,title", TITLE_STOPS)
def test_title_stop_confidence_is_its_class_rate(before, number, cls, applied, title):
    plan = analyse(PLAN, META)
    stops = {plan.raw_text[r.start - 4 : r.start]: r for r in plan.repairs if r.rule.startswith("title_stop")}
    assert stops[before].rule == cls and stops[before].applied is applied
    assert (stops[before].confidence >= 0.75) is applied
    assert _measures(plan)[number].title == title
    assert plan.raw_text == PLAN  # the published text is never changed


def test_a_reviewer_rejection_wins_over_the_automatic_stop():
    first = analyse(PLAN, META)
    short = next(r for r in first.repairs if r.rule.startswith("title_stop") and r.applied)
    plan = analyse(PLAN, META, repair_review=lambda _p, _raw, reps: {short.id: False})
    again = next(r for r in plan.repairs if r.id == short.id)
    assert not again.applied
    assert _measures(plan)[7].text.startswith("有效控制儿童近视构建")


def test_too_few_intact_titles_promote_nothing():
    few = PLAN.replace("。完善相关工作机制", "完善相关工作机制")
    plan = analyse(few, META)
    assert not any(r.applied for r in plan.repairs if r.rule.startswith("title_stop"))
