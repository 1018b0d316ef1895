"""Lost title stops: applied when the title is no longer than the plan's typical intact title, else suggested."""

from __future__ import annotations

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
            *[f"{n}.{t}。完善相关工作机制,明确部门职责。" for n, t in enumerate(INTACT, 1)],
            "7.有效控制儿童近视构建儿童眼病防治工作网络,完善眼保健服务体系。",
            "8.构建覆盖城乡的家庭教育指导服务体系推动城乡社区建立家长学校。",
            "二、组织实施",
            "(一)加强组织领导。各级政府负责规划实施。",
        ]
    )
    + "\n"
)
META = {"slug": "t", "title": "某市儿童发展规划(2021-2025年)", "level": "市"}


def _measures(plan):
    return {i.number: i for i in plan.items if i.kind == "measure"}


def test_short_title_stop_is_applied_long_one_suggested():
    plan = analyse(PLAN, META)
    stops = {r.after + plan.raw_text[r.start - 4 : r.start]: r for r in plan.repairs if r.rule == "title_stop"}
    short, long_ = stops["。儿童近视"], stops["。服务体系"]
    assert short.applied and short.confidence >= 0.75
    assert not long_.applied and long_.confidence < 0.75
    m = _measures(plan)
    assert m[7].text.startswith("有效控制儿童近视。构建") and m[7].title == "有效控制儿童近视"
    assert m[8].title == "构建覆盖城乡的家庭教育指导服务体系" and "。" not in m[8].text[:20]
    assert plan.raw_text == PLAN  # the published text is never changed


def test_a_reviewer_rejection_wins_over_the_automatic_stop():
    first = analyse(PLAN, META)
    short = next(r for r in first.repairs if r.rule == "title_stop" and r.applied)
    plan = analyse(PLAN, META, repair_review=lambda _p, _raw, reps: {short.id: False})
    again = next(r for r in plan.repairs if r.id == short.id)
    assert not again.applied
    assert _measures(plan)[7].text.startswith("有效控制儿童近视构建")


def test_too_few_intact_titles_promote_nothing():
    few = PLAN.replace("。完善相关工作机制", "完善相关工作机制")
    plan = analyse(few, META)
    assert not any(r.applied for r in plan.repairs if r.rule == "title_stop")
