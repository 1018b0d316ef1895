"""Published task breakdowns as data: the evaluation rows, the co-ownership rows, other cities' names of the bodies."""

import sys
from pathlib import Path

import pytest

from nlp import coownership, mandates, registry
from nlp.mentions import find_mentions

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import dept_errors  # noqa: E402
import reliability  # noqa: E402

KEPT_FOR_EVALUATION = "pwccw.gd.gov.cn"  # Guangdong's 2011–2020 目标责任分解书: never used to build or tune


def test_published_rows_resolve_name_their_page_and_come_from_many_sources():
    rows = reliability.table_rows()
    assert len(rows) >= 25
    assert len({r[3] for r in rows}) >= 10
    for text, leads, co, source in rows:
        assert text and source.startswith("http"), text[:20]
        assert leads or co, text[:20]  # a row names a lead, co-units, or both
        assert KEPT_FOR_EVALUATION not in source


def test_blind_rows_come_from_pages_no_rule_was_built_from():
    """The blind rows (scored only) resolve, and none of their pages feeds the co-ownership prior or the
    development tables: a page read to write rules would make the blind figure a development one."""
    blind = reliability.table_rows(reliability.BLIND)
    assert len(blind) >= 40 and len({r[3] for r in blind}) >= 8
    used = {r[3] for r in reliability.table_rows()} | {r.source for r in coownership.rows()}
    for text, leads, co, source in blind:
        assert text and source.startswith("http") and (leads or co is not None), text[:20]
        assert source not in used and KEPT_FOR_EVALUATION not in source, source


def test_co_ownership_rows_name_their_page_and_never_the_evaluation_table():
    for r in coownership.rows():
        assert r.source.startswith("http") and KEPT_FOR_EVALUATION not in r.source
        assert all(registry.get(b) is not None for b in r.bodies)


@pytest.mark.parametrize(
    "line, leads, co",
    [
        ("推进普通高中发展。\t市教育局\tnone\thttp://x", {"市教育局"}, set()),  # the table names the lead alone
        ("谋划医疗项目。\t市卫健委\t-\thttp://x", {"市卫健委"}, None),  # names none of the registry's bodies
        ("坚持就业优先。\t市发改委|市人社局\t市财政局\thttp://x", {"市发改委", "市人社局"}, {"市财政局"}),
        ("强化家庭教育指导。\t-\t市妇联|市教育局\thttp://x", set(), {"市妇联", "市教育局"}),
    ],
)
def test_table_row_format(tmp_path, line, leads, co):
    f = tmp_path / "t.tsv"
    f.write_text("# comment\n" + line + "\n", encoding="utf-8")
    [(text, got_leads, got_co, source)] = reliability.table_rows(f)
    assert text == line.split("\t")[0]
    assert (got_leads, got_co, source) == (leads, co, "http://x")


@pytest.mark.parametrize(
    "line",
    ["只有三列\t市教育局\thttp://x", "一行。\t市体育厅局\tnone\thttp://x", "一行。\t市教育局\t某某公司\thttp://x"],
)
def test_malformed_table_row_is_refused_with_its_line(tmp_path, line):
    f = tmp_path / "t.tsv"
    f.write_text(line + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="line 1"):
        reliability.table_rows(f)


def test_a_row_naming_the_lead_alone_counts_extra_tags_as_false(tmp_path):
    f = tmp_path / "t.tsv"
    f.write_text("加强医疗卫生服务,将学校和幼儿园卫生保健纳入教育督导。\t市卫健委\tnone\thttp://x\n", encoding="utf-8")
    (tp, fp, fn, lead_ok, led), _ = reliability.table_counts(f)
    assert (tp, fn, lead_ok, led) == (1, 0, 1, 1)
    assert fp == 1  # 学校/教育督导 bring in 市教育局, which this table does not list


@pytest.mark.parametrize(
    "text, body",
    [
        ("(市人力资源社会保障局、市医保局、市财政局负责)", "市人社局"),
        ("由市住房城乡建设局会同有关部门实施", "市住建局"),
    ],
)
def test_real_tables_names_are_read_as_mentions(text, body):
    assert body in {d for m in find_mentions(text) for d in m.departments}


def test_most_mandates_follow_a_published_page():
    src = mandates.sources()
    published = [b for b, (level, url) in src.items() if level != "generic" and url.startswith("http")]
    assert len(published) >= 39


@pytest.mark.parametrize(
    "rule, source, cls",
    [
        ("mention:妇联", "explicit", "explicit"),
        ("lexicon:家长→市妇联(co,0.5)", "inferred", "lexicon"),
        ("coown:家风→市妇联", "inferred", "coownership"),
        ("domain:儿童与家庭(50%)", "inferred", "convention"),
        ("prior:*domain=health", "inferred", "prior"),
        ("mandate:科普活动", "inferred", "mandate"),
        ("something:else", "inferred", "other"),
    ],
)
def test_error_analysis_classes_a_tag_by_its_rule(rule, source, cls):
    assert dept_errors.rule_class(rule, source) == cls


def test_published_rows_reliability_judges_only_rows_that_name_their_co_units(tmp_path):
    f = tmp_path / "t.tsv"
    f.write_text(
        "推进普通高中发展。\t市教育局\tnone\thttp://a\n"  # names the lead alone: its extra tags are wrong
        "谋划医疗项目。\t市卫健委\t-\thttp://b\n",  # names no registry co-unit: not judged
        encoding="utf-8",
    )
    rows = reliability._published_rows(f)
    assert rows and all(len(r) == 4 and 0 <= r[0] <= 1 for r in rows)
    assert any(r[2] for r in rows)  # 市教育局 is tagged and right
