"""`kb export`: the knowledge base as JSON (other formats register here as they land)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from kb.cli import UserError
from kb.store import KB

FORMATS = ["json"]


def register(sub) -> None:
    p = sub.add_parser("export", help="导出 (export the KB)")
    p.add_argument("--format", default="json", choices=FORMATS)
    p.add_argument("--plan")
    p.add_argument("-o", "--output", help="输出文件 (default: stdout)")
    p.set_defaults(func=cmd_export)


def export_json(kb: KB, plan: str | None = None) -> dict:
    """The JSON export contract: {"plans": [...], "items": [...]}, all plans unless plan is given."""
    plans = [p for p in kb.plans() if plan in (None, p["id"])]
    if plan and not plans:
        raise UserError(f"没有这个规划: {plan} (已有: {', '.join(p['id'] for p in kb.plans())})")
    out_plans = []
    for p in plans:
        full = kb.plan(p["id"])
        full["repairs"] = kb.repairs(p["id"])
        out_plans.append(full)
    items = [it for p in plans for it in kb.items(plan=p["id"])]
    return {"plans": out_plans, "items": items}


def cmd_export(args) -> int:
    with KB() as kb:
        data = export_json(kb, args.plan)
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if args.output:
        out = Path(args.output)
        tmp = out.with_name(out.name + ".part")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(out)
        print(f"已导出 {len(data['items'])} 个条目 → {out}", file=sys.stderr)
    else:
        sys.stdout.write(text + "\n")
    return 0
