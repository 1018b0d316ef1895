"""Every rule of nlp/data/repairs.tsv and every language layer has a positive row and a negative row.

A positive row is damaged text the rule repairs (and the repaired text); a negative row is intact text that
holds the rule's trigger and must come out unchanged, so a rule that fires on correct text fails here.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from nlp.lang import read_lines
from nlp.reader import for_parsing, read_plan_file
from nlp.repair import apply_repairs, find_repairs, make_repair
from nlp.repair_lists import lost_in_slots

# rule → (damaged, repaired, intact text with the same trigger)
RULES = {
    "lone_wo": ("我儿童事业发展仍然存在问题。", "我市儿童事业发展仍然存在问题。", "我国儿童事业发展仍然存在问题。"),
    "lone_quan": ("覆盖全的儿童健康服务体系。", "覆盖全市的儿童健康服务体系。", "全面覆盖儿童健康服务体系。"),
    "lone_ju": ("举中国特色社会主义伟大旗帜。", "高举中国特色社会主义伟大旗帜。", "高举中国特色社会主义伟大旗帜。"),
    "lone_lai": ("\n来五年,是关键期。", "\n未来五年,是关键期。", "\n近来五年,是关键期。"),
    "lone_lai/indented": ("\n\u3000\u3000来五年,是关键期。", "\n\u3000\u3000未来五年,是关键期。", "\n\u3000近来五年。"),
    "lone_zhi_disposal": ("预防和依法置学生欺凌。", "预防和依法处置学生欺凌。", "预防和依法处置学生欺凌。"),
    "lone_ying": ("鼓励兴办营托幼机构。", "鼓励兴办民营托幼机构。", "鼓励兴办经营托幼机构。"),
    "lone_guo": ("促进研究果转化应用。", "促进研究成果转化应用。", "促进研究成果转化应用。"),
    "gao_zhong_student": ("小学生、初中生、中生。", "小学生、初中生、高中生。", "小学生、初中生、高中生。"),
    "gao_zhong_school": ("推动普通中多样化发展。", "推动普通高中多样化发展。", "推动普通中学多样化发展。"),
    "gao_suzhi": ("建设一支素质的队伍。", "建设一支高素质的队伍。", "建设一支素质过硬的队伍。"),
    "qu_huan": ("降低儿童患率。", "降低儿童龋患率。", "降低儿童罹患率。"),
    "shi_ye": ("帮助儿童开拓视、认识社会。", "帮助儿童开拓视野、认识社会。", "帮助儿童开拓视野、认识社会。"),
    "enum_list_stop": ("小学生10小时初中生9小时", "小学生10小时、初中生9小时", "每天不少于1小时"),
    "gao_zhiliang": ("普遍接受质量的学前教育。", "普遍接受高质量的学前教育。", "普遍接受有质量的学前教育。"),
    "result_then_age_group": (
        "近视率明显下降0-6岁儿童眼保健覆盖率达到90%。",
        "近视率明显下降,0-6岁儿童眼保健覆盖率达到90%。",
        "提高0-6岁残疾儿童抢救性康复率。",
    ),
    "plan_period_name": ("力争四五期末每个区县建成。", "力争十四五期末每个区县建成。", "力争十四五期末每个区县建成。"),
    "plan_period_name/13": ("三五时期成效显著。", "十三五时期成效显著。", "一五时期成效显著。"),
    "yi_men": ("形成门受理,协同办理。", "形成一门受理,协同办理。", "形成专门受理,协同办理。"),
    "level_qing": ("制定适合情的标准体系。", "制定适合市情的标准体系。", "制定适合国情的标准体系。"),
}
# Rules retired for a general finder, with the rows that finder now meets (damaged, repaired, intact text that
# holds the same trigger); the rule's name no longer exists, the repair comes from the language layer. (A
# retired rule whose finder needs the plan's channel, dangling_ti, gao_tongliang or lone_jiao_gao, has its rows in
# test_repair.py's _CHANNEL_ROWS.)
RETIRED = {
    # the segmenter's longest match swallowed the damaged word's first character (保健站|式): 一站式 after 保健
    "yi_zhan_shi": ("推行站式服务。", "推行一站式服务。", "推行一站式服务。"),
    "yi_zhan_shi/swallowed": ("孕前保健站式服务推进产前筛查。", "孕前保健一站式服务推进产前筛查。", "建设社区保健站。"),
    # the insertion would not be before the swallowed tail (儿童性|侵): no lost character there
    "yi_zhan_shi/negative": ("加强儿童性侵防范教育。", "加强儿童性侵防范教育。", "加强儿童性侵防范教育。"),
}
# Rules kept as suggestions only (confidence < 0.75): the damaged text is listed but never changed.
SUGGESTED = {"lone_zhi": ("统筹规划和置区域内资源。", "配置", "统筹规划和配置区域内资源。")}


def repairs(text: str):
    return find_repairs(text, "市")


def test_every_rule_of_the_data_file_has_rows():
    rules = {ln.split("\t")[0] for ln in read_lines("repairs.tsv")}
    assert rules == {r.split("/")[0] for r in RULES} | set(SUGGESTED)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_repairs_its_damage(rule):
    damaged, fixed, _intact = RULES[rule]
    reps = repairs(damaged)
    assert any(r.rule == rule.split("/")[0] and r.applied for r in reps)
    assert apply_repairs(damaged, [r for r in reps if r.applied])[0] == fixed


@pytest.mark.parametrize("rule", sorted(RULES) + sorted(SUGGESTED))
def test_rule_leaves_intact_text_alone(rule):
    intact = (RULES.get(rule) or SUGGESTED[rule])[-1]
    reps = repairs(intact)
    assert not [r for r in reps if r.rule == rule.split("/")[0]]
    assert apply_repairs(intact, [r for r in reps if r.applied])[0] == intact


@pytest.mark.parametrize("rule", sorted(RETIRED))
def test_a_retired_rule_is_met_by_the_language_layer(rule):
    rules = {ln.split("\t")[0] for ln in read_lines("repairs.tsv")}
    assert rule.split("/")[0] not in rules
    damaged, repaired, intact = RETIRED[rule]
    for text, fixed in ((damaged, repaired), (intact, intact)):
        assert apply_repairs(text, [r for r in repairs(text) if r.applied])[0] == fixed


@pytest.mark.parametrize("rule", sorted(SUGGESTED))
def test_suggestion_rules_are_listed_not_applied(rule):
    damaged, word, _intact = SUGGESTED[rule]
    reps = [r for r in repairs(damaged) if r.rule == rule]
    assert reps and not any(r.applied for r in reps)
    accepted = [dataclasses.replace(r, applied=True) for r in reps]  # as a reviewer accepts it
    assert apply_repairs(damaged, accepted)[0] == damaged.replace(word[1:], word, 1)
    assert apply_repairs(damaged, [r for r in repairs(damaged) if r.applied])[0] == damaged


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # positive: 义务教育 is written intact twice, the damaged sentence lost 义
        (
            "普及义务教育。巩固义务教育成果。\n保障残疾儿童接受务教育。",
            "普及义务教育。巩固义务教育成果。\n保障残疾儿童接受义务教育。",
        ),
        # negative: the character is not lost, a PDF line wrap left a space inside the word
        (
            "普及义务教育。巩固义务教育成果。\n保障残疾儿童接受义 务教育。",
            "普及义务教育。巩固义务教育成果。\n保障残疾儿童接受义 务教育。",
        ),
    ],
)
def test_a_character_only_a_space_away_is_not_dropped(text, expected):
    reps = [r for r in repairs(text) if r.applied]
    assert apply_repairs(text, reps)[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # positive: the title after 》和 lost its 《; the previous title anchors where it starts
        (
            "结合《湖南省儿童发展规划(2021-2025)》和益阳市国民经济和社会发展规划纲要》的目标任务",
            "结合《湖南省儿童发展规划(2021-2025)》和《益阳市国民经济和社会发展规划纲要》的目标任务",
        ),
        ("依照《宪法》、未成年人保护法》等法律", "依照《宪法》、《未成年人保护法》等法律"),
        # negatives: balanced titles, a 》 with no title before it on its line, a clause between the two marks
        ("依照《宪法》和《未成年人保护法》等法律", "依照《宪法》和《未成年人保护法》等法律"),
        ("制定本规划》的实施方案", "制定本规划》的实施方案"),
        ("根据《纲要》,和本市实际制定规划》", "根据《纲要》,和本市实际制定规划》"),
    ],
)
def test_a_title_mark_lost_after_the_previous_title(text, expected):
    assert apply_repairs(text, [r for r in repairs(text) if r.applied])[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # positive: the plan lists 政府 with 学校, 家庭 and 社会 elsewhere; here it is glued to the first member
        (
            "落实政府、企业、学校、家庭、社会保护责任。增强自我保护能力政府社会、学校、家庭保护责任。",
            "落实政府、企业、学校、家庭、社会保护责任。增强自我保护能力政府、社会、学校、家庭保护责任。",
        ),
        # negative: no other list of the plan has 政府 among these members
        ("增强自我保护能力政府社会、学校、家庭保护责任。", "增强自我保护能力政府社会、学校、家庭保护责任。"),
        # negative: the pair is one phrase of the plan (医疗康复 written twice), though 医疗 is a member elsewhere
        (
            "落实医疗、教育、住房政策。推进医疗康复服务。落实孤儿医疗康复、教育、住房等政策。",
            "落实医疗、教育、住房政策。推进医疗康复服务。落实孤儿医疗康复、教育、住房等政策。",
        ),
    ],
)
def test_a_list_member_glued_to_the_word_before(text, expected):
    assert apply_repairs(text, [r for r in repairs(text) if r.applied])[0] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # positive: members before 等 share a head (全国) and a length; the one before them shares their last 日
        (
            "提升儿童生态素养世界环境日全国低碳日全国科技周等节点开展活动。",
            "提升儿童生态素养世界环境日、全国低碳日、全国科技周等节点开展活动。",
        ),
        # negatives: joined already; pieces of different lengths; no repeated head
        ("利用全国科技周和全国低碳日等节点开展活动。", "利用全国科技周和全国低碳日等节点开展活动。"),
        ("推进全国文明城市全国卫生城市创建等工作。", "推进全国文明城市全国卫生城市创建等工作。"),
        ("开展世界环境日宣传教育等活动。", "开展世界环境日宣传教育等活动。"),
        # clean text of the real-plan fixtures (tests/fixtures/real): lists with 等, left alone by both finders
        (
            "降低新生儿窒息和5岁以下儿童肺炎、腹泻等构成主要死因的死亡率",
            "降低新生儿窒息和5岁以下儿童肺炎、腹泻等构成主要死因的死亡率",
        ),
        (
            "掌握身心健康、预防疾病、科学就医、合理用药等知识技能",
            "掌握身心健康、预防疾病、科学就医、合理用药等知识技能",
        ),
        (
            "促进大数据、云计算、人工智能、计算机仿真技术等在妇女健康领域的应用",
            "促进大数据、云计算、人工智能、计算机仿真技术等在妇女健康领域的应用",
        ),
    ],
)
def test_list_members_sharing_a_head(text, expected):
    assert apply_repairs(text, [r for r in repairs(text) if r.applied])[0] == expected


def _slot_fill(text: str, lost: dict[str, float]) -> str:
    return apply_repairs(text, lost_in_slots(text, text, lost, make_repair))[0]


@pytest.mark.parametrize(
    ("text", "lost", "expected"),
    [
        # positive: a lone member between two-character members, in a plan that loses 高 (the default plan: 0.77)
        ("与儿童年龄、身、体重相符合。", {"高": 0.77}, "与儿童年龄、身高、体重相符合。"),
        # positive: the lone character stands where the member before has 年龄, the same 标准 after both
        ("采取年龄标准优先、身标准补充的优惠措施。", {"高": 0.77}, "采取年龄标准优先、身高标准补充的优惠措施。"),
        # negative: a plan that loses nothing gets nothing, whatever its lists look like
        ("与儿童年龄、身、体重相符合。", {}, "与儿童年龄、身、体重相符合。"),
        # negative: one-character members are parallel to each other (德、智、体), no slot of a longer word
        ("促进儿童德、智、体、美、劳全面发展。", {"高": 0.77}, "促进儿童德、智、体、美、劳全面发展。"),
        # negative: the lone character and the lost one make no dictionary word (身 + 国)
        ("与儿童年龄、身、体重相符合。", {"国": 0.7}, "与儿童年龄、身、体重相符合。"),
    ],
)
def test_a_list_member_short_of_its_slot(text, lost, expected):
    assert _slot_fill(text, lost) == expected


REAL_PLANS = sorted((Path(__file__).parent / "fixtures" / "real").glob("*.txt")) + sorted(
    (Path(__file__).parent / "fixtures" / "clean_excerpts").glob("*.txt")
)


@pytest.mark.parametrize("path", REAL_PLANS, ids=lambda p: p.stem[:24])
def test_clean_real_plans_get_no_slot_fill_even_if_they_lost_gao(path):
    # negative rows: the clean text of real plans, read as if the plan lost 高 as often as the default plan does
    text = for_parsing(read_plan_file(path).text)
    assert _slot_fill(text, {"高": 0.77}) == text


_BOTH_FORMS = (
    "依法严惩性侵害儿童违法犯罪行为。预防性侵害、家庭暴力。"
    + "建立性侵害未成年人犯罪信息查询系统。对遭受性侵害的儿童提供救助。"
)


@pytest.mark.parametrize(
    "text, applied",
    [
        # the short form only at the site, the long one written four times: a character lost there
        (_BOTH_FORMS + "探索制定性侵未成年人案件特殊办理机制。", True),
        # the short form written alone at two places: a word of the plan's own, suggested at most
        (_BOTH_FORMS + "探索制定性侵未成年人案件特殊办理机制。加强儿童性侵防范教育。", False),
    ],
)
def test_a_compound_the_plan_writes_alone_twice_is_its_own_word(text, applied):
    found = [r for r in repairs(text) if r.kind == "dropped_char" and r.after == "害"]
    assert found and {r.applied for r in found} == {applied}
