"""`kb progress template|import|status`: departments' progress reports (进度报告) from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from kb.errors import UserError


def register(sub) -> None:
    p = sub.add_parser("progress", help="部门进度报告 (progress reports per department and period)")
    ps = p.add_subparsers(dest="progress_command", metavar="ACTION")
    t = ps.add_parser("template", help="生成部门离线填报包 (xlsx)")
    t.add_argument("--dept", required=True)
    t.add_argument("--period", help="报告期 (2024 / 2024H1);默认当前报告期")
    t.add_argument("--plan")
    t.add_argument("-o", "--output", required=True)
    t.set_defaults(func=cmd_template)
    i = ps.add_parser("import", help="导入填报包(全部校验通过才写入)")
    i.add_argument("file")
    i.add_argument("--by", required=True, help="填报员或管理员账号")
    i.add_argument("--dry-run", action="store_true", help="只显示将要修改的内容")
    i.set_defaults(func=cmd_import)
    s = ps.add_parser("status", help="各部门报告情况与红黄绿灯")
    s.add_argument("--dept")
    s.add_argument("--period")
    s.add_argument("--plan")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_status)
    p.set_defaults(func=lambda args: (p.print_help(), 1)[1])


def _board(period: str | None, plan: str | None):
    from kb.progress.board import Board
    from kb.progress.scope import scope
    from kb.reviews.audit import read

    s = scope()
    return read(lambda conn: Board(conn, s, plan=plan, period=period))


def _guard(fn, *args, **kwargs):
    from kb.monitoring.workbook import ImportRejected
    from kb.progress import ProgressError

    try:
        return fn(*args, **kwargs)
    except (ProgressError, ImportRejected) as exc:
        raise UserError(str(exc)) from exc


def cmd_template(args) -> int:
    from kb.progress import packet
    from kb.progress.service import canonical

    dept = _guard(canonical, args.dept)
    board = _guard(_board, args.period, args.plan)
    from kb.reviews.audit import read

    def _template(conn: Any) -> bytes:
        board.conn = conn
        return packet.template(board, dept)

    data = read(_template)
    Path(args.output).write_bytes(data)
    print(f"已生成 {dept} {board.period.label}填报包: {args.output} ({len(board.rows(dept))} 项)")
    return 0


def cmd_import(args) -> int:
    from kb.progress.service import import_packet
    from kb.store.users import get_user

    user = get_user(args.by)
    if user is None or not user["active"]:
        raise UserError(f"没有启用的账号“{args.by}”")
    data = Path(args.file).read_bytes()
    result = _guard(import_packet, user, data, commit=not args.dry_run)
    for ch in result["changes"]:
        print(f"{ch['item']} {ch['title']}: " + "; ".join(c["label"] for c in ch["changes"]))
    verb = "将修改" if args.dry_run else "已写入"
    print(f"{result['department']} {result['period']}: {verb} {len(result['changes'])} 份报告")
    return 0


def cmd_status(args) -> int:
    board = _guard(_board, args.period, args.plan)
    from kb.progress.service import canonical

    out = board.overview()
    if args.dept:
        name = _guard(canonical, args.dept)
        out = {"period": out["period"], "department": board.department(name), "items": board.rows(name)}
    if args.json:
        json.dump({"ok": True, **out}, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    if args.dept:
        d = out["department"]
        print(
            f"{d['name']} {out['period']['label']}: 已报 {d['reported']}/{d['due']},红灯 {d['red']},黄灯 {d['yellow']}"
        )
        for r in out["items"]:
            state = r["report"]["state_label"] if r["report"] else "未填报"
            print(
                f"  [{r['label']}] {r['id']} ({r['role_label']}, 时限 {r['deadline']['label']}) {state} — {r['rule']}"
            )
        return 0
    t = out["totals"]
    print(
        f"{out['plan_title']} {out['period']['label']}: 已报 {t['reported']}/{t['due']},"
        f"红灯 {t['red']},黄灯 {t['yellow']}"
    )
    for d in out["departments"]:
        print(f"  {d['name']}\t已报 {d['reported']}/{d['due']}\t红 {d['red']}\t黄 {d['yellow']}\t绿 {d['green']}")
    if out["not_reported"]:
        print("尚未报齐: " + "、".join(d["name"] for d in out["not_reported"]))
    return 0
