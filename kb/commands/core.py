"""Core commands: build, add, plans, show, repairs, export."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from kb.errors import UserError
from kb.labels import repair_rule_label
from kb.reviews.snapshot import reviewed_item
from kb.store import KB


def register(sub) -> None:
    p = sub.add_parser("build", help="构建知识库与搜索索引 (build every plan)")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--force", action="store_true", help="重新分析每个规划 (ignore the per-plan cache)")
    p.add_argument("--procs", type=int, help="并行分析的进程数 (default: one per CPU)")
    p.set_defaults(func=cmd_build)
    p = sub.add_parser("add", help="导入另一个规划文件 (ingest another plan file)")
    p.add_argument("path")
    p.add_argument("--slug")
    p.add_argument("--title")
    p.add_argument("--level", choices=["省", "市", "县", "区"], help="行政层级 (default: from the title)")
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("plans", help="列出规划")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plans)
    p = sub.add_parser("show", help="显示一个条目 (show an item by id)")
    p.add_argument("id")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_show)
    p = sub.add_parser("repairs", help="列出文本修复 (applied and suggested repairs)")
    p.add_argument("--plan")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_repairs)


def _progress(quiet: bool):
    if quiet:
        return None
    tty = sys.stderr.isatty()
    return lambda msg: print(("\r\033[K" if tty else "") + msg, end="" if tty else "\n", file=sys.stderr, flush=True)


def cmd_build(args) -> int:
    from kb.build import build

    folder = build(_progress(args.quiet), force=args.force, procs=args.procs)
    if not args.quiet:
        print(file=sys.stderr)
    print(f"知识库已构建: {folder}")
    return 0


def cmd_add(args) -> int:
    from kb.ingest import IngestError, prepare, publish

    src = Path(args.path)
    try:
        plan = prepare(src, args.slug, args.title, args.level)  # refuse a bad file before anything is written
    except IngestError as exc:
        raise UserError(str(exc)) from exc
    for note in plan.meta.get("reader_notes", []):
        print(f"读取: {note}", file=sys.stderr)
    layout = plan.meta.get("layout", [])
    if layout:
        rules = Counter(f["rule"] for f in layout)
        print("版面整理: " + ", ".join(f"{repair_rule_label(r)} {n} 处" for r, n in rules.items()), file=sys.stderr)
    for w in plan.warnings:
        print(f"警告: {w}", file=sys.stderr)
    print(f"已导入 {plan.id}: {len(plan.items)} 个条目, {len(plan.warnings)} 条警告; 正在重建知识库…")
    publish(src, plan)
    return 0


def cmd_plans(args) -> int:
    with KB() as kb:
        plans = kb.plans()
        if args.json:
            print(json.dumps(plans, ensure_ascii=False, indent=1))
            return 0
        for p in plans:
            n = len(kb.item_rows(plan=p["id"]))
            print(f"{p['id']}\t{p['title']}\t{n} 个条目")
    return 0


def cmd_show(args) -> int:
    with KB():  # NoKnowledgeBase before any build, as every command
        item = reviewed_item(args.id)  # NotFound / Ambiguous are printed by kb.cli
        if args.json:
            print(json.dumps(item, ensure_ascii=False, indent=1))
            return 0
        print(f"{item['id']}  [{item['kind']}] {item['domain'] or ''} {item['number'] or ''}")
        print(f"标题: {item['title']}\n{item['text']}")
        for d in item["departments"]:
            print(f"  {'牵头' if d['role'] == 'lead' else '配合'} {d['name']} ({d['source']}, {d['confidence']:.2f})")
        for g in item["serves"]:
            print(f"  服务目标 {g}")
        for ind in item["indicators"]:
            print(f"  指标 {ind['name']} {ind['comparator']} {ind['value']}{ind['unit'] or ''}")
    return 0


def cmd_repairs(args) -> int:
    with KB() as kb:
        reps = kb.repairs(args.plan)
        if args.json:
            print(json.dumps(reps, ensure_ascii=False, indent=1))
            return 0
        raws = {p["id"]: (kb.plan(p["id"]) or {}).get("raw_text", "") for p in kb.plans()}
        for r in reps:
            raw = raws[r["plan"]]
            ctx = (
                raw[max(0, r["start"] - 8) : r["start"]]
                + f"[{r['before']}→{r['after']}]"
                + raw[r["end"] : r["end"] + 8]
            )
            state = "已修复" if r["applied"] else "建议"
            print(f"{state}\t{r['rule']}\t{r['confidence']:.2f}\t{ctx.replace(chr(10), '⏎')}")
        print(
            f"共 {sum(r['applied'] for r in reps)} 处已修复, {sum(not r['applied'] for r in reps)} 处建议",
            file=sys.stderr,
        )
    return 0
