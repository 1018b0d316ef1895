"""Department registry: alias / former-name resolution, suggestions for unknown names, agreement with the eval table."""

from pathlib import Path

import pytest

from nlp import registry

EVAL_TABLE = Path(__file__).resolve().parents[2] / "shared" / "eval" / "departments.tsv"


@pytest.mark.parametrize(
    "name, canonical",
    [
        ("市卫健委", "市卫健委"),
        ("卫生健康部门", "市卫健委"),
        ("卫计委", "市卫健委"),  # former name
        ("人口计生委", "市卫健委"),
        ("益阳市卫生健康委员会", "市卫健委"),  # official full name
        ("质监局", "市市场监管局"),
        ("工商局", "市市场监管局"),
        ("食药监局", "市市场监管局"),
        ("益阳市公安局", "市公安局"),  # city prefix
        ("公安机关", "市公安局"),
        ("交警", "市公安局"),
        ("中共益阳市委宣传部", "市委宣传部"),
        ("宣传部", "市委宣传部"),
        ("司法行政部门", "市司法局"),
        ("共青团", "团市委"),
        ("少先队", "团市委"),
        ("妇儿工委", "市妇儿工委办"),
        ("县级以上人民政府", "各区县(市)人民政府"),
        ("区县（市）人民政府", "各区县(市)人民政府"),  # full-width brackets
        (" 市 教育局 ", "市教育局"),  # stray whitespace
        ("检察机关", "市人民检察院"),
        ("人民法院", "市中级人民法院"),
        ("医疗保障部门", "市医保局"),
        ("民政", "市民政局"),  # bare stem typed by a user
        ("县妇联", "市妇联"),  # county and district plans name the same bodies
        ("县卫生健康局", "市卫健委"),
        ("区教育局", "市教育局"),
        ("团县委", "团市委"),
        ("县委宣传部", "市委宣传部"),
        ("县市场监管局", "市市场监管局"),
        ("市委外办", "市外事办"),  # the party office and the government office are one body
        ("益阳市人民政府外事办公室", "市外事办"),
        ("外事部门", "市外事办"),
        ("市外侨办", "市外事办"),  # former name
        # other cities' official names of the same bodies (published task-breakdown tables)
        ("市人力资源社会保障局", "市人社局"),
        ("市住房城乡建设局", "市住建局"),
        ("市经信局", "市工信局"),
        ("市经济和信息化委", "市工信局"),
        ("市安全监管局", "市应急管理局"),
        ("市政府法制办", "市司法局"),
        ("市商务委", "市商务局"),
        ("市教育体育局", "市教育局"),
        ("市卫生计生委", "市卫健委"),
        ("市食品药品监管局", "市市场监管局"),
        # another city's full official names (the registry city's place taken out of its full names)
        ("市发展和改革委员会", "市发改委"),
        ("市卫生健康委员会", "市卫健委"),
        ("市委网络安全和信息化委员会办公室", "市委网信办"),
        # the names other cities give the same bodies after the 2018 reform
        ("市文化和旅游局", "市文旅广体局"),
        ("市文化广电旅游局", "市文旅广体局"),
        ("市发展和改革局", "市发改委"),
        ("市林业和草原局", "市林业局"),
        ("市城市管理局", "市城管局"),
        ("共青团市委", "团市委"),
        ("市扶贫开发办公室", "市乡村振兴局"),  # former name
        # a province's counterparts, as the published tables map them (nlp/data/department_levels.tsv)
        ("省教育厅", "市教育局"),
        ("省人力资源社会保障厅", "市人社局"),
        ("省高级人民法院", "市中级人民法院"),
        ("团省委", "团市委"),
        ("省妇联", "市妇联"),
        ("省卫生健康委", "市卫健委"),
        ("省委宣传部", "市委宣传部"),
    ],
)
def test_resolve(name, canonical):
    dep = registry.resolve(name)
    assert dep is not None and dep.canonical == canonical


@pytest.mark.parametrize(
    "name",
    [
        "",
        "市体育厅局",
        "省教育厅局",
        "省人民政府办公厅",
        "某某公司",
        "市人力资源市场",
        "市住房保障中心",
        "市法制宣传",
        "市商务中心区",
    ],  # the last four only look like bodies
)
def test_resolve_unknown(name):
    assert registry.resolve(name) is None


@pytest.mark.parametrize(
    "name, expected",
    [
        ("卫生委", "市卫健委"),
        ("教委局", "市教育局"),
        ("公安厅", "市公安局"),
        ("残疾人协会", "市残联"),
    ],
)
def test_suggest_closest(name, expected):
    close = registry.suggest(name)
    assert expected in close and len(close) <= 5
    assert all(registry.get(c) for c in close)  # only real canonical names


def test_unknown_message_names_the_input_and_suggestions():
    msg = registry.unknown_message("市体育厅")
    assert "市体育厅" in msg and "市文旅广体局" in msg


def test_registry_rows_are_complete():
    deps = registry.departments()
    assert len({d.canonical for d in deps}) == len(deps)
    assert {"party", "government", "judicial", "mass", "coordination", "territorial"} <= {d.category for d in deps}
    for d in deps:
        assert d.full and d.category in registry.CATEGORY_LABELS


def test_groups_point_at_registry_bodies():
    for phrase, (members, role) in registry.groups().items():
        assert members and role in ("lead", "co")
        assert all(registry.get(m) for m in members), phrase


@pytest.mark.skipif(not EVAL_TABLE.exists(), reason="shared eval table not present")
def test_canonical_names_match_eval_table():
    lines = EVAL_TABLE.read_text(encoding="utf-8").splitlines()
    evaluated = {ln.split("\t")[0] for ln in lines if ln.strip() and not ln.startswith("#")}
    # bodies that women's plans assign (工商联, 统战部) or that international exchange needs (外事办) may be
    # missing from the children's-plan table
    assert {d.canonical for d in registry.departments()} - evaluated <= {"市工商联", "市委统战部", "市外事办"}


# ── place prefixes come from data (full names) and plan metadata, not from code ──
@pytest.mark.parametrize(
    "meta, want",
    [
        ({"city": "益阳市", "issuer": "益阳市人民政府"}, {"益阳"}),
        ({"title": "湖南省长沙市妇女发展规划(2021-2025年)"}, {"长沙", "湖南省长沙"}),
        ({"title": "桃江县儿童发展规划"}, {"桃江"}),
        ({}, set()),
    ],
)
def test_places_from_meta(meta, want):
    assert registry.places_from_meta(meta) == want


def test_registered_plan_places_resolve():
    registry.register_places({"city": "长沙市"})
    assert registry.resolve("长沙市教育局").canonical == "市教育局"
    assert registry.resolve("中共长沙市委组织部").canonical == "市委组织部"
    assert registry.resolve("湖南省益阳市中级人民法院").canonical == "市中级人民法院"  # the registry's own city


def test_prefixes_derive_from_full_names():
    assert {"益阳市", "中共益阳市委", "湖南省益阳市"} <= set(registry.prefixes())
