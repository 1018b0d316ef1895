"""Build and CLI end to end: stable ids across rebuilds, the JSON export contract, kb add/plans/show/repairs/export."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from kb_helpers import copy_analyses

from kb import paths
from kb.cli import main
from kb.store import KB

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
PLAN_ID = "yiyang-children-2021-2025"


def export(capsys, *args) -> dict:
    capsys.readouterr()
    assert main(["export", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_export_contract(built_kb_env, capsys):
    data = export(capsys)
    assert set(data) == {"plans", "items"}
    plan = data["plans"][0]
    assert {"id", "title", "raw_text", "text", "meta", "encoding", "warnings", "repairs"} <= set(plan)
    assert plan["id"] == PLAN_ID and plan["title"] == "益阳市儿童发展规划(2021-2025年)"
    assert plan["raw_text"] == (ROOT / "corpus" / f"{PLAN_ID}.txt").read_text(encoding="utf-8")
    assert plan["text"] != plan["raw_text"]
    assert {"start", "end", "before", "after", "rule", "confidence", "applied", "id"} <= set(plan["repairs"][0])
    item_fields = {
        "id",
        "plan",
        "kind",
        "domain",
        "number",
        "title",
        "text",
        "raw_text",
        "clauses",
        "departments",
        "serves",
        "indicators",
    }
    for it in data["items"]:
        assert item_fields <= set(it), it["id"]
        assert it["plan"] == PLAN_ID and it["id"].startswith(PLAN_ID + ":")
        assert it["raw_text"] in plan["raw_text"]
        assert all({"text", "raw_text"} <= set(c) for c in it["clauses"])
        for d in it["departments"]:
            assert {"name", "role", "source", "confidence", "evidence"} <= set(d)
    kinds = {}
    for it in data["items"]:
        kinds[it["kind"]] = kinds.get(it["kind"], 0) + 1
    assert (kinds["goal"], kinds["measure"], kinds["implementation"], kinds["monitoring"]) == (73, 87, 6, 5)
    ids = {it["id"] for it in data["items"]}
    assert all(g in ids for it in data["items"] for g in it["serves"])


def test_export_to_file_and_unknown_plan(built_kb_env, tmp_path, capsys):
    out = tmp_path / "x.json"
    assert main(["export", "-o", str(out)]) == 0
    with KB() as kb:
        assert len(json.loads(out.read_text(encoding="utf-8"))["items"]) == len(kb.items())
    assert not list(tmp_path.glob("*.part"))  # written atomically
    assert "已导出" in capsys.readouterr().err
    assert main(["export", "--plan", "no-such-plan"]) == 2
    assert "没有这个规划" in capsys.readouterr().err


def test_plans_and_show(built_kb_env, capsys):
    assert main(["plans"]) == 0
    assert capsys.readouterr().out.startswith(f"{PLAN_ID}\t益阳市儿童发展规划(2021-2025年)\t")
    assert main(["plans", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == PLAN_ID
    assert main(["show", "health-m9"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{PLAN_ID}:health-m9  [measure] 儿童与健康 9") and "标题: 有效控制儿童近视" in out
    assert main(["show", f"{PLAN_ID}:impl-4", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["title"] == "注重工作创新"
    assert main(["show", "health-m99"]) == 2
    assert "找不到条目" in capsys.readouterr().err


def test_repairs_command(built_kb_env, capsys):
    assert main(["repairs"]) == 0
    cap = capsys.readouterr()
    lines = cap.out.splitlines()
    assert any(line.startswith("已修复\t") for line in lines) and any(line.startswith("建议\t") for line in lines)
    assert any("[→高]" in line for line in lines)  # a restored 高, shown in context
    assert "处已修复" in cap.err
    assert main(["repairs", "--json"]) == 0
    reps = json.loads(capsys.readouterr().out)
    assert len(reps) == len(lines) and {r["plan"] for r in reps} == {PLAN_ID}


@pytest.mark.slow
def test_ids_stable_across_rebuilds(kb_data, built_kb):
    from kb.build import build

    copy_analyses(built_kb, kb_data)  # the first build assembles the session's analysis; the forced one re-analyses

    def snapshot():
        with KB() as kb:
            items = kb.items()
            return ([(i["id"], [c["id"] for c in i["clauses"]]) for i in items], [r["id"] for r in kb.repairs()])

    first_build = build()
    first = snapshot()
    assert build() == first_build  # nothing changed: the live build stays
    second_build = build(force=True)
    assert second_build != first_build and paths.current_build() == second_build
    assert snapshot() == first


@pytest.mark.parametrize(
    "name,needle",
    [
        ("empty.txt", "第 1 行: 文件为空"),
        ("no_structure.txt", "第 5 行: 读到文件末尾仍未识别出规划结构"),
        ("truncated.txt", "第 60 行: 文件在此结束"),
        ("truncated_toc.txt", "第 56 行: 目录列到第四部分"),
        ("binary", "不是文本文件"),
    ],
)
def test_add_refuses_bad_files_and_writes_nothing(kb_data, tmp_path, capsys, name, needle):
    path = FIXTURES / "bad" / name
    if name == "binary":
        path = tmp_path / "plan.txt"
        path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert main(["add", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误: ") and needle in err and "Traceback" not in err
    assert not any(kb_data.rglob("*.txt")) and not any(kb_data.rglob("*.sqlite"))


def test_add_exit_code_in_a_fresh_process(kb_data):
    env = {**os.environ, "KB_DATA_DIR": str(kb_data)}
    proc = subprocess.run(
        [sys.executable, "-m", "kb", "add", str(FIXTURES / "bad" / "truncated.txt")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "truncated.txt 第 60 行" in proc.stderr and "Traceback" not in proc.stderr
    assert list(kb_data.rglob("*.txt")) == []


def test_add_partial_plan_warns_and_ingests(kb_data, built_kb, capsys):
    copy_analyses(built_kb, kb_data)  # the default plan's analysis as a build before left it; partial.txt is new
    assert main(["add", str(FIXTURES / "plans" / "partial.txt"), "--slug", "partial-plan"]) == 0
    err = capsys.readouterr().err
    assert "警告: 第 " in err and "三、重点工程" in err
    with KB() as kb:
        plans = {p["id"]: p for p in kb.plans()}
        assert set(plans) == {PLAN_ID, "partial-plan"}
        assert len(plans["partial-plan"]["warnings"]) == 1
        assert kb.item("partial-plan:health-m2")["title"] == "加强儿童保健服务和管理"


def test_add_gb18030_chapter_plan(kb_data, built_kb, capsys):
    copy_analyses(built_kb, kb_data)  # the default plan's analysis as a build before left it
    assert main(["add", str(FIXTURES / "plans" / "women_chapters.txt"), "--title", "某某市妇女发展规划"]) == 0
    with KB() as kb:
        plan = kb.plan("women_chapters")
        assert plan["encoding"] == "gb18030" and plan["title"] == "某某市妇女发展规划"
        measures = [i for i in kb.items(plan="women_chapters") if i["kind"] == "measure"]
        assert len(measures) == 10 and measures[-1]["id"] == "women_chapters:law-m2"
    assert (kb_data / "plans" / "women_chapters.txt").read_bytes() == (
        FIXTURES / "plans" / "women_chapters.txt"
    ).read_bytes()  # stored as published


def test_indicator_baseline_year_is_stored(built_kb_env):
    """以2020年为基数 reaches the KB as baseline_year, beside the phrase it came from."""
    from kb.store import KB

    with KB() as kb:
        inds = [i for it in kb.items() for i in it["indicators"]]
    based = [i for i in inds if (i.get("baseline") or "").startswith("以2020年")]
    assert based and all(i["baseline_year"] == 2020 for i in based)
    assert all(i["baseline_year"] is None for i in inds if not i.get("baseline"))
