"""A plan that prints each task's bodies after it (a 分工方案, a province's plan with "(X牵头，Y按职责分工负责)",
a county's "责任单位：…"): the bodies it names are the task's whole assignment, and topic words add none."""

from pathlib import Path

import pytest

from nlp.departments import assign_text
from nlp.pipeline import analyse_file
from nlp.stated import assignment_note, without_notes

PLAN = Path(__file__).parent / "fixtures" / "plans" / "province_breakdown.txt"


@pytest.mark.parametrize(
    "text, stated",
    [
        ("加强儿童营养改善。(省卫生健康委牵头,省教育厅、省农业农村厅按职责分工负责)", True),
        ("加强儿童营养改善。（省卫生健康委牵头，省教育厅、省农业农村厅按职责分工负责）", True),
        ("完善困境儿童分类保障制度。(省民政厅、省财政厅、省残联按职责分工负责)", True),
        ("完善儿童福利制度。责任单位:县民政局、县财政局", True),
        ("完善儿童福利制度。牵头单位：市民政局；配合单位：市财政局、各区县(市)人民政府", True),
        ("(科技部牵头,发展改革委、财政部等有关部门按职责分工负责)", True),
        ("(发展改革委牵头,科技部、人民银行、国资委、银监会等按职责分工负责)", True),  # unlisted bodies in the list
        ("(外专局牵头,外交部、教育部、侨办等按职责分工负责)", True),
        # negatives: a bracket that is not a list of bodies, a body named in the running text, a bare stem
        ("推动城乡村(社区)建立家长学校", False),
        ("建设县妇幼保健院(市卫健委负责的项目建设)", False),
        ("支持工会、共青团、妇联和残联等组织参与留守儿童关爱服务", False),
        ("加强儿童网络保护(网信、公安)", False),
        ("完善儿童医疗服务(市卫健委和儿童医院共建项目)", False),
        ("将规划目标任务分解到责任单位并纳入目标管理和考核内容", False),
    ],
)
def test_assignment_note(text, stated):
    assert assignment_note(text) is stated


def test_a_stated_assignment_tags_the_named_bodies_only():
    text = "防控儿童近视。保障学生每天校内、校外各1小时体育活动时间。(教育部门牵头,卫生健康部门配合)"
    got = assign_text(text, kind="measure", domain="health")
    assert [(a.name, a.role, a.source) for a in got] == [
        ("市教育局", "lead", "explicit"),
        ("市卫健委", "co", "explicit"),
    ]
    # the same text without its note: the sport words bring the sport body in, as in any plan that names nobody
    bare = assign_text(text.split("(")[0], kind="measure", domain="health")
    assert "市文旅广体局" in {a.name for a in bare}


def test_a_province_breakdown_plan_end_to_end():
    plan = analyse_file(PLAN)
    items = {it.id.split(":")[-1]: it for it in plan.items}
    want = {
        "health-g1": [("市卫健委", "lead"), ("市发改委", "co"), ("市财政局", "co")],
        "health-g2": [("市教育局", "lead"), ("市卫健委", "co")],  # the first of a shared list leads
        "health-m1": [("市卫健委", "lead"), ("市教育局", "co"), ("市农业农村局", "co"), ("市市场监管局", "co")],
        "health-m2": [("市教育局", "lead"), ("市卫健委", "co")],
        "welfare-g1": [("市民政局", "lead"), ("市财政局", "co")],
        "welfare-m1": [("市民政局", "lead"), ("市财政局", "co"), ("市残联", "co")],
    }
    for iid, tags in want.items():
        it = items[iid]
        assert [(a.name, a.role) for a in it.departments] == tags, iid
        assert all(a.source == "explicit" and a.evidence and a.evidence[0].text for a in it.departments), iid
        assert not it.needs_review, iid
        named = {a.name for a in it.departments}
        for c in it.clauses:  # no clause brings in a body the note does not name
            assert {a.name for a in c.departments} <= named, iid
    # a body the topic words point at is offered as a candidate, not tagged
    assert "市文旅广体局" in {c.name for c in items["health-m2"].candidates}


@pytest.mark.parametrize(
    "text, tags",
    [
        # a 牵头单位 / 配合单位 label gives the bodies after it their role, against the topic words (近视 → 卫健)
        (
            "防控儿童近视。(牵头单位:县教育局;配合单位:县卫健局、县体育局)",
            [("市教育局", "lead"), ("市卫健委", "co"), ("市文旅广体局", "co")],
        ),
        ("防控儿童近视。（牵头单位：县教育局；配合单位：县卫健局）", [("市教育局", "lead"), ("市卫健委", "co")]),
        ("防控儿童近视。牵头单位:县教育局 配合单位:县卫健局", [("市教育局", "lead"), ("市卫健委", "co")]),
        ("防控儿童近视。牵头单位:县教育局配合单位:县卫健局", [("市教育局", "lead"), ("市卫健委", "co")]),
        ("推进儿童近视防控。协办单位:县卫健局。牵头单位:县教育局", [("市教育局", "lead"), ("市卫健委", "co")]),
        # 责任单位: the first listed leads, as in "A、B按职责分工负责", on its own line too
        (
            "加强儿童体育锻炼。保障学生每天校内、校外各1小时体育活动时间。\n责任单位:县教育局、县卫健局",
            [("市教育局", "lead"), ("市卫健委", "co")],
        ),
        # negatives: the plan's own 牵头/配合 after the body still decides; no label, no change
        ("防控儿童近视。责任单位:县教育局牵头,县卫健局配合", [("市教育局", "lead"), ("市卫健委", "co")]),
        ("防控儿童近视。责任单位:县卫健局配合,县教育局牵头", [("市教育局", "lead"), ("市卫健委", "co")]),
        ("防控儿童近视。(县卫健局牵头,县教育局配合)", [("市卫健委", "lead"), ("市教育局", "co")]),
        ("加强儿童营养改善。市财政局、市医保局配合", [("市卫健委", "lead"), ("市财政局", "co"), ("市医保局", "co")]),
    ],
)
def test_a_label_gives_the_bodies_after_it_their_role(text, tags):
    got = assign_text(text, kind="measure", domain="health")
    assert [(a.name, a.role) for a in got] == tags


@pytest.mark.parametrize(
    "text, own",
    [
        ("完善困境儿童分类保障制度。(省民政厅、省财政厅、省残联按职责分工负责)", "完善困境儿童分类保障制度。"),
        ("完善儿童福利制度。责任单位：县民政局、县财政局。加强保障。", "完善儿童福利制度。。加强保障。"),
        # negatives: a bracket that is no note stays, and so does a body named in the running text
        ("推动城乡村(社区)建立家长学校", "推动城乡村(社区)建立家长学校"),
        ("支持妇联开展家庭教育指导", "支持妇联开展家庭教育指导"),
    ],
)
def test_without_notes_keeps_the_tasks_own_words(text, own):
    assert without_notes(text) == own


def test_links_do_not_rest_on_the_notes_words():
    """Two tasks sharing only their note's boilerplate (省民政厅, 按职责分工负责) are no link: the why is the task's."""
    plan = analyse_file(PLAN)
    stock = ("省", "分工负责", "职责", "牵头")
    for it in plan.items:
        for link in it.serves:
            assert not any(w in link.why for w in stock), (it.id, link.why)
    m1 = next(it for it in plan.items if it.id.endswith("welfare-m1"))
    assert [link.goal.split(":")[-1] for link in m1.serves] == ["welfare-g1"]  # 福利制度: the task's own topic


@pytest.mark.parametrize(
    "text, body, first",
    [
        ("加强儿童营养改善,开展营养监测。(省卫生健康委牵头,省教育厅配合)", "市卫健委", "省卫生健康委"),
        ("防控儿童近视,加强学校卫生。(教育部门牵头,卫生健康部门配合)", "市教育局", "教育部门"),
        # negative: an inferred tag keeps its words in text order
        ("加强儿童营养改善,开展营养监测和膳食指导", "市卫健委", None),
    ],
)
def test_an_explicit_tags_evidence_starts_with_its_naming(text, body, first):
    (tag,) = [a for a in assign_text(text, kind="measure", domain="health") if a.name == body]
    if first is None:
        assert [e.start for e in tag.evidence] == sorted(e.start for e in tag.evidence)
    else:
        assert tag.evidence[0].text == first
