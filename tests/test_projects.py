"""Capital projects: a counted building target lists the bodies every construction passes through, never as lead."""

import pytest

from nlp import projects
from nlp.departments import assign_text

PROJECT = {"市发改委", "市自然资源和规划局", "市住建局", "各区县(市)人民政府"}


@pytest.mark.parametrize(
    "text, phrase",
    [
        ("新建幼儿园16所。", "新建幼儿园16所"),
        ("推进中小学校舍安全工程,改造中小学校舍32万平方米。", "改造中小学校舍32万平方米"),
        ("年内新建3所乡镇卫生院。", "新建3所乡镇卫生院"),
        ("新改扩建公办幼儿园45所、新增学位1.2万个。", "新改扩建公办幼儿园45所"),
        # negatives: a system or a city to build, a count of places (not of buildings), a count in another sentence
        ("建设儿童友好城市,完善儿童友好社区。", None),
        ("新增婴幼儿照护服务托位180个以上。", None),
        ("完善托育服务体系建设,每千人拥有3岁以下婴幼儿托位数达到4.5个。", None),
        ("新建幼儿园。全市培训教师800人。", None),
        ("建设学习型家庭,创建家庭教育示范校10所。", None),
    ],
)
def test_project_phrases(text, phrase):
    found = {h.text for h in projects.hits(text)}
    assert found == ({phrase} if phrase else set())


def test_project_bodies_support_the_facility_owner_and_never_lead():
    got = assign_text("新改扩建中小学25所。", kind="measure")
    assert got[0].name == "市教育局" and got[0].role == "lead"
    cos = {a.name for a in got if a.role == "co"}
    assert cos >= PROJECT
    ev = next(a for a in got if a.name == "市住建局").evidence
    assert ev[0].text == "新改扩建中小学25所" and ev[0].rule == "project"


def test_a_project_alone_names_no_lead():
    got = assign_text("改造校舍3万平方米。", kind="measure")
    assert not [a for a in got if a.role == "lead" and a.name in PROJECT]
