"""Layout normalisation of run-on text with no separators at all: splits follow the genre's numbering sequence.

Each row is a plan fragment copied with every line break removed (nothing in their place); the expected lines are
the starts of the lines layout makes of it. Negative rows are the in-sentence look-alikes of a due number.
"""

from __future__ import annotations

import pytest

from nlp.layout import normalise
from nlp.repair import apply_repairs

# A measure body's length of text.
PAD = "加强组织领导,完善工作机制,落实部门责任,强化督促检查,健全考核评价制度,确保各项任务落到实处"


def lines(text: str) -> list[str]:
    out, _map = apply_repairs(text, normalise(text))
    return [ln[:8] for ln in out.split("\n")]


CASES = [
    # A section, a domain, a block word and items glued together: each starts a line.
    (
        f"二、发展领域、主要目标和政策措施(一)儿童与健康主要目标1.儿童健康水平提升{PAD}2.新生儿死亡率下降{PAD}"
        f"政策措施1.优先保障儿童健康。{PAD}2.完善儿童健康服务体系。{PAD}",
        [
            "二、发展领域、主",
            "(一)儿童与健康",
            "主要目标",
            "1.儿童健康水平",
            "2.新生儿死亡率",
            "政策措施",
            "1.优先保障儿童",
            "2.完善儿童健康",
        ],
    ),
    # A domain title glued to its prose ends after the title.
    (
        f"一、儿童与健康改善儿童卫生保健服务,提高儿童健康水平。{PAD}(一)主要目标。1.提高出生人口素质{PAD}"
        f"2.保障孕产妇安全分娩{PAD}",
        ["一、儿童与健康", "改善儿童卫生保健", "(一)主要目标。", "1.提高出生人口", "2.保障孕产妇安"],
    ),
    # A numbered block heading closed by a stop ends there, before its unnumbered intro paragraph.
    (
        f"(一)主要目标。1.保障妇女获得经济资源{PAD}(二)策略措施。妇女平等获得经济权利是妇女发展的基础条件。"
        f"1.国家宏观政策。{PAD}2.加强职业培训。{PAD}",
        ["(一)主要目标。", "1.保障妇女获得", "(二)策略措施。", "妇女平等获得经济", "1.国家宏观政策", "2.加强职业培训"],
    ),
    # An excerpt skips headings and starts a list at 14: a domain title vouches for (五), a block word for 14、.
    (
        f"(三)儿童与教育策略措施14、强化协同育人。{PAD}(五)儿童与家庭主要目标1、发挥家庭作用。{PAD}"
        f"2、尊重儿童主体地位。{PAD}",
        [
            "(三)儿童与教育",
            "策略措施",
            "14、强化协同育",
            "(五)儿童与家庭",
            "主要目标",
            "1、发挥家庭作用",
            "2、尊重儿童主体",
        ],
    ),
    # Negative: a number not due and not followed by a domain title stays inside its sentence (列入(三)类).
    (
        f"(一)加强组织领导。把儿童工作列入(三)类考核{PAD}(二)健全工作机制。{PAD}(三)强化宣传引导。{PAD}"
        f"(四)加强能力建设。{PAD}",
        ["(一)加强组织领", "(二)健全工作机", "(三)强化宣传引", "(四)加强能力建"],
    ),
    # 3.5岁 is item 3 when no other 3. comes before 4.
    (
        f"主要目标1.儿童健康水平提升{PAD}2.疾病得到有效防治3.5岁以下儿童贫血患病率控制在10%以下{PAD}"
        f"4.适龄儿童免疫规划疫苗接种率达到95%{PAD}",
        ["主要目标", "1.儿童健康水平", "2.疾病得到有效", "3.5岁以下儿童", "4.适龄儿童免疫"],
    ),
    # Negative: a figure (提高2.5个百分点) is not item 2 when the real 2. follows before 3.
    (
        f"主要目标1.学前三年毛入园率提高2.5个百分点{PAD}2.义务教育巩固率达到96%{PAD}3.高中阶段毛入学率{PAD}",
        ["主要目标", "1.学前三年毛入", "2.义务教育巩固", "3.高中阶段毛入"],
    ),
    # Negative: an enumeration of grades (一、二、三级) is not a section heading.
    (
        f"一、儿童与健康主要目标1.建立健全一、二、三级儿童保健网络{PAD}2.儿童健康素养水平提升{PAD}{PAD}",
        ["一、儿童与健康", "主要目标", "1.建立健全一、", "2.儿童健康素养"],
    ),
    # Negative: a stray number not due in its sequence (附件1. after item 1) and a citation (第(二)项) stay inside.
    (
        f"(一)妇女与健康主要目标1.落实附件1.所列项目,依照第(二)项规定执行{PAD}2.孕产妇死亡率控制在10/10万{PAD}{PAD}",
        ["(一)妇女与健康", "主要目标", "1.落实附件1.", "2.孕产妇死亡率"],
    ),
    # Negative: a number's tail (2020.) is not an item number.
    (
        f"主要目标1.以2020.年为基数{PAD}2.儿童伤害死亡率下降20%{PAD}3.消除溺水隐患{PAD}",
        ["主要目标", "1.以2020.", "2.儿童伤害死亡", "3.消除溺水隐患"],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=range(len(CASES)))
def test_bare_run_on_splits_on_the_numbering_sequence(text, expected):
    text += PAD * 2  # run-on text: one long line (the last item's body grows)
    assert lines(text) == expected


def test_line_structured_text_gets_no_edits():
    text = "一、儿童与健康\n主要目标\n1.儿童健康水平提升6.5个百分点。\n2.新生儿死亡率下降。\n"
    assert normalise(text) == []
