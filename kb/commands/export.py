"""`kb export`: the JSON contract of the whole KB, or the 任务分解责任清单 as xlsx, docx, csv, Markdown or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kb.errors import UserError
from kb.reviews.snapshot import reviewed_items
from kb.store import KB

FORMATS = ["json", "xlsx", "docx", "csv", "md"]
LAYOUTS = ["plan", "dept", "indicators"]


def register(sub) -> None:
    p = sub.add_parser(
        "export",
        help="导出 (export the KB, or the 任务分解责任清单 as xlsx/docx/csv/md/json)",
        description="Without --layout or filters, --format json writes the whole KB in the JSON "
        "contract; otherwise the chosen 任务分解责任清单 is written in the chosen format.",
    )
    p.add_argument("--format", default="json", choices=FORMATS)
    p.add_argument("--plan")
    p.add_argument(
        "--layout",
        choices=LAYOUTS,
        help="plan: 全部任务 (default; with --dept: dept); dept: 一个部门的清单; indicators: 指标清单",
    )
    p.add_argument("--dept", help="部门 (any alias: 卫健委, 市卫生健康委员会 …)")
    p.add_argument("--domain", help="领域名称或代码, 如 儿童与健康 / health")
    p.add_argument("--kind", help="类别: goal|measure|implementation|monitoring 或 主要目标/政策措施/组织实施/监测评估")
    p.add_argument("--role", help="职责 (with --dept): lead|co 或 牵头/配合")
    p.add_argument("--reviewed-only", action="store_true", help="仅导出已审核的条目")
    p.add_argument("--ids", action="store_true", help="加一列编号(条目的内部编号)")
    p.add_argument("--per-dept-sheets", action="store_true", help="xlsx/docx: 每个部门另加一页清单")
    p.add_argument("-o", "--output", help="输出文件 (default: stdout for text formats)")
    p.set_defaults(func=cmd_export)


def export_json(kb: KB, plan: str | None = None) -> dict:
    """The JSON export contract: {"plans": [...], "items": [...]}, all plans unless plan is given."""
    plans = [p for p in kb.plans() if plan in (None, p["id"])]
    if plan and not plans:
        raise UserError(f"没有这个规划: {plan} (已有: {', '.join(p['id'] for p in kb.plans())})")
    out_plans = []
    for p in plans:
        full = kb.plan(p["id"])
        assert full is not None  # p comes from kb.plans()
        full["repairs"] = kb.repairs(p["id"])
        out_plans.append(full)
    items = [it for p in plans for it in reviewed_items(plan=p["id"])]
    return {"plans": out_plans, "items": items}


def _wants_list(args) -> bool:
    """Any option that selects a 清单 rather than the whole KB."""
    return args.format != "json" or any(
        [args.layout, args.dept, args.domain, args.kind, args.role, args.reviewed_only, args.per_dept_sheets]
    )


def _write(data: bytes, output: str | None, binary: bool) -> None:
    if not output:
        if binary:
            raise UserError("xlsx/docx 需要输出文件: -o 文件名")
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    out = Path(output)
    if out.is_dir():
        raise UserError(f"输出路径是一个目录: {out}")
    if not out.parent.exists():
        raise UserError(f"输出目录不存在: {out.parent}")
    tmp = out.with_name(out.name + ".part")  # never leave a half-written file under the real name
    tmp.write_bytes(data)
    tmp.replace(out)


def cmd_export(args) -> int:
    if not _wants_list(args):
        with KB() as kb:
            data = export_json(kb, args.plan)
        text = json.dumps(data, ensure_ascii=False, indent=1)
        _write((text if args.output else text + "\n").encode("utf-8"), args.output, False)
        if args.output:
            print(f"已导出 {len(data['items'])} 个条目 → {args.output}", file=sys.stderr)
        return 0
    from kb.exports import ExportError, Filters, export

    layout = args.layout or ("dept" if args.dept else "plan")  # --dept alone means that department's own list
    filters = Filters(
        plan=args.plan,
        domain=args.domain,
        kind=args.kind,
        dept=args.dept,
        role=args.role,
        reviewed_only=args.reviewed_only,
        ids=args.ids,
    )
    try:
        with KB() as kb:
            result = export(kb, layout, args.format, filters, per_dept_sheets=args.per_dept_sheets)
    except ExportError as exc:
        raise UserError(exc.message) from exc
    _write(result.data, args.output, args.format in ("xlsx", "docx"))
    if args.output:
        extra = f",另含 {len(result.tables) - 1} 个部门页" if len(result.tables) > 1 else ""
        print(f"已导出 {result.rows} 行{extra} → {args.output}(建议文件名:{result.filename})", file=sys.stderr)
    return 0
