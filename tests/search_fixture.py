"""A tiny hand-made plan written as a live build (KB + search index) for fast search tests."""

from __future__ import annotations

import os
from pathlib import Path

from kb.build import write_kb
from kb.search import build_index
from kb.store import pgkb
from kb.store.engine import database_url
from nlp.model import Assignment, Clause, Indicator, Item, Link, Plan

PLAN = "fx"
DOMAINS = {"health": "儿童与健康", "safety": "儿童与安全", "education": "儿童与教育", "family": "儿童与家庭"}


def item(
    code: str,
    kind: str,
    number: int,
    title: str,
    body: str = "",
    raw: str | None = None,
    depts: tuple = (),
    indicators: tuple = (),
    serves: tuple = (),
) -> Item:
    """An item whose clauses are its sentences; raw differs from text where the test wants damage."""
    text = title + ("。" + body if body else "")
    raw_text = raw if raw is not None else text
    parts = [p for p in text.replace("。", "。\n").split("\n") if p]
    raw_parts = [p for p in raw_text.replace("。", "。\n").split("\n") if p]
    iid = f"{PLAN}:{code}-{kind[0]}{number}"
    clauses, pos = [], 0
    for n, p in enumerate(parts, 1):
        clauses.append(
            Clause(f"{iid}.c{n}", n, p, raw_parts[n - 1] if n - 1 < len(raw_parts) else p, pos, pos + len(p))
        )
        pos += len(p)
    return Item(
        id=iid,
        plan=PLAN,
        kind=kind,
        domain=DOMAINS[code],
        number=number,
        title=title,
        text=text,
        raw_text=raw_text,
        line=1,
        raw_start=0,
        raw_end=len(raw_text),
        domain_code=code,
        clauses=clauses,
        departments=[Assignment(name, role, "explicit", 0.9) for name, role in depts],
        indicators=[Indicator(name=n, comparator=">=", value=90.0, unit="%") for n in indicators],
        serves=[Link(goal=f"{PLAN}:{g}", score=0.5) for g in serves],
    )


def items() -> list[Item]:
    """Goals and measures covering synonyms, a repaired word, departments, indicators and markup."""
    return [
        item(
            "safety", "goal", 1, "提高对学生欺凌的综合治理能力", "预防和有效处置学生欺凌", depts=(("市教育局", "lead"),)
        ),
        item(
            "safety",
            "measure",
            1,
            "加强对学生欺凌的综合治理",
            "健全学生欺凌早期预警和处置机制",
            depts=(("市教育局", "lead"), ("市公安局", "co")),
            serves=("safety-g1",),
        ),
        item(
            "health",
            "goal",
            1,
            "重视儿童口腔保健",
            "12岁儿童龋患率控制在25%以内",
            depts=(("市卫健委", "lead"),),
            indicators=("12岁儿童龋患率",),
        ),
        item(
            "health",
            "measure",
            1,
            "加快婴幼儿照护服务体系建设",
            "发展普惠性婴幼儿照护服务",
            depts=(("市卫健委", "lead"), ("市妇联", "co")),
        ),
        item(
            "education",
            "goal",
            1,
            "普及高中阶段教育",
            "高中阶段毛入学率达到93.5%",
            raw="普及中阶段教育。中阶段毛入学率达到93.5%",
            depts=(("市教育局", "lead"),),
            indicators=("高中阶段毛入学率",),
        ),
        item(
            "education",
            "measure",
            1,
            "推进学校家庭社会协同育人",
            "开展家庭教育指导活动",
            depts=(("市教育局", "lead"), ("市妇联", "co")),
        ),
        item(
            "family",
            "measure",
            1,
            "构建家庭教育指导服务体系",
            "建设家长学校,开展家庭教育指导活动",
            depts=(("市妇联", "lead"), ("市教育局", "co")),
        ),
        item(
            "family",
            "measure",
            2,
            "提升家长网络素养",
            "警惕<script>alert(1)</script>等恶意链接 & 网络诈骗",
            depts=(("市委网信办", "lead"),),
        ),
        item("family", "goal", 1, "严厉打击拐卖儿童犯罪", "拐卖儿童犯罪得到有效遏制", depts=(("市公安局", "lead"),)),
    ]


def write_build(data: Path, plan_items: list[Item] | None = None, name: str = "b1") -> Path:
    """Write a build folder with kb.sqlite and index/ (published into KB_DATABASE_URL when set) and point
    data/current at it."""
    folder = data / "builds" / name
    folder.mkdir(parents=True)
    plan = Plan(id=PLAN, title="测试规划(2021-2025年)", raw_text="", text="", items=plan_items or items())
    for pos, it in enumerate(plan.items):
        it.position = pos
    write_kb(folder / "kb.sqlite", [plan])
    build_index(folder / "kb.sqlite", folder / "index")
    if database_url():  # as `kb build` does: the build is published into PostgreSQL before it goes live here
        pgkb.publish(folder / "kb.sqlite")
    link = data / "current"
    tmp = data / ".current-tmp"
    os.symlink(Path("builds") / name, tmp)
    os.replace(tmp, link)
    return folder
