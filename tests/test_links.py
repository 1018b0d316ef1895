"""Measure → goal linking and the unserved-goal gap check on small hand-made plans."""

import pytest

from nlp.indicators import tag_indicators
from nlp.links import link_measures, unserved_goals
from nlp.model import Item, Plan


def _item(iid, kind, domain, number, title, body=""):
    text = title + ("。" + body if body else "")
    return Item(
        id=f"p:{iid}",
        plan="p",
        kind=kind,
        domain=domain,
        number=number,
        title=title,
        text=text,
        raw_text=text,
        line=1,
        raw_start=0,
        raw_end=0,
        domain_code=domain,
    )


def _plan(items):
    plan = Plan(id="p", title="规划(2021-2025年)", raw_text="", text="", items=items)
    tag_indicators(plan)
    link_measures(plan)
    return plan


HEALTH = [
    _item("health-g1", "goal", "health", 1, "儿童新发近视率明显下降", "小学生近视率降至38%以下"),
    _item("health-g2", "goal", "health", 2, "增强儿童心理健康服务能力", "提升儿童心理健康水平"),
    _item("health-g3", "goal", "health", 3, "重视儿童口腔保健", "降低龋患率"),
    _item(
        "health-m1",
        "measure",
        "health",
        1,
        "有效控制儿童近视",
        "加强0-6岁儿童眼保健和视力检查工作,减轻学生学业负担,组织学生做好眼保健操,近视率逐年下降",
    ),
    _item(
        "health-m2",
        "measure",
        "health",
        2,
        "加强儿童心理健康服务",
        "构建儿童心理健康教育、咨询服务、危机干预和心理援助公共服务网络",
    ),
    _item("health-m3", "measure", "health", 3, "加强儿童口腔保健", "强化儿童口腔保健意识,12岁儿童龋患率控制在25%以内"),
    _item("education-g1", "goal", "education", 1, "加强儿童的心理教育和法治教育", "营造健康向上的学习氛围"),
    _item("education-g2", "goal", "education", 2, "学前三年毛入园率达到92%"),
    _item("education-m1", "measure", "education", 1, "推进学前教育普及普惠发展", "提高学前三年毛入园率,加强幼儿园建设"),
    _item(
        "education-m2",
        "measure",
        "education",
        2,
        "加强青少年心理健康教育",
        "优化心理健康课程设置,配备心理健康教师,建设心理辅导室",
    ),
]


@pytest.mark.parametrize(
    "measure,goal",
    [
        ("health-m1", "health-g1"),  # shared title words and the shared indicator 近视率
        ("health-m2", "health-g2"),
        ("health-m3", "health-g3"),  # shared indicator 龋患率
        ("education-m1", "education-g2"),
        ("education-m2", "education-g1"),  # same domain wins over the stronger-worded health goal
    ],
)
def test_primary_link(measure, goal):
    plan = _plan([_copy(i) for i in HEALTH])
    m = next(i for i in plan.items if i.id == f"p:{measure}")
    assert m.serves and m.serves[0].goal == f"p:{goal}"
    assert m.serves[0].why  # every link explains itself
    assert not m.serves[0].cross_domain


def test_links_ranked_and_bounded():
    plan = _plan([_copy(i) for i in HEALTH])
    for m in (i for i in plan.items if i.kind == "measure"):
        scores = [lk.score for lk in m.serves]
        assert scores == sorted(scores, reverse=True) and 1 <= len(scores) <= 4


def test_cross_domain_links_are_flagged_and_weaker():
    plan = _plan([_copy(i) for i in HEALTH])
    for m in (i for i in plan.items if i.kind == "measure"):
        for lk in m.serves:
            goal = next(i for i in plan.items if i.id == lk.goal)
            assert lk.cross_domain == (goal.domain_code != m.domain_code)
            if lk.cross_domain:
                assert lk.score < m.serves[0].score


def test_gap_check_reports_unserved_goal():
    items = [_copy(i) for i in HEALTH] + [
        _item("health-g4", "goal", "health", 4, "禁止向未成年人销售烟酒", "烟草制品销售监管到位")
    ]
    plan = _plan(items)
    assert [g.id for g in unserved_goals(plan)] == ["p:health-g4"]


def test_all_goals_served_in_balanced_plan():
    plan = _plan([_copy(i) for i in HEALTH])
    assert unserved_goals(plan) == []


def _copy(item):
    from dataclasses import replace

    return replace(item, serves=[], indicators=[])
