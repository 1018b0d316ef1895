"""Review commands: `kb review …` (decisions, notes, undo, reports), `kb audit`, `kb reviews export/import`: the
parsers; decisions in kb/commands/review/decisions.py, listing, queue, audit and transfer in reports.py."""

from __future__ import annotations

from functools import wraps

from kb.commands.review.decisions import (
    cmd_assignment,
    cmd_link,
    cmd_note,
    cmd_note_edit,
    cmd_note_remove,
    cmd_repair,
    cmd_undo,
)
from kb.commands.review.reports import cmd_audit, cmd_export, cmd_import, cmd_list, cmd_queue, cmd_reanchor
from kb.errors import UserError


def _guard(fn):
    """Review errors are the user's to fix: print them without a traceback."""

    @wraps(fn)
    def run(args):
        from kb.reviews import ReviewError, default_actor

        if getattr(args, "actor_arg", False) and not args.by:
            args.by = default_actor()
        try:
            return fn(args)
        except ReviewError as exc:
            raise UserError(str(exc)) from exc

    return run


def _common(p) -> None:
    p.add_argument("--by", help="审核人 (default: OS user)")
    p.add_argument("-m", "--reason", default="", help="理由")
    p.set_defaults(actor_arg=True)


def register(sub) -> None:
    p = sub.add_parser("review", help="审核: 确认或修正部门、关联、修复, 备注, 撤销")
    rs = p.add_subparsers(dest="review_command", metavar="ACTION")
    for name, helptext in (
        ("accept", "确认部门"),
        ("reject", "驳回部门"),
        ("add", "添加遗漏的部门"),
        ("role", "修改角色 lead/co"),
    ):
        q = rs.add_parser(name, help=helptext)
        q.add_argument("item")
        q.add_argument("department")
        if name == "role":
            q.add_argument("role", choices=["lead", "co"])
        elif name in ("accept", "add"):
            q.add_argument("--role", choices=["lead", "co"], default=None)
        _common(q)
        q.set_defaults(func=_guard(cmd_assignment), action=name)
    q = rs.add_parser("queue", help="审核队列: 不确定的责任标注优先, 已审核 x / y")
    q.add_argument("--department", help="只看该部门")
    q.add_argument("--open", action="store_true", help="只列未审核的")
    q.add_argument("--limit", type=int, default=50, help="最多列出几条 (0 = 全部)")
    q.add_argument("--json", action="store_true")
    q.add_argument("--reassign", nargs=3, metavar=("ITEM", "FROM", "TO"), help="把一条标注改派给另一部门")
    q.add_argument("--accept-high", metavar="DEPARTMENT", help="批量确认该部门的高置信度标注")
    _common(q)
    q.set_defaults(func=_guard(cmd_queue))
    q = rs.add_parser("repair", help="接受/拒绝文本修复 (下次 build 生效)")
    q.add_argument("decision", choices=["accept", "reject"])
    q.add_argument("repair_id")
    q.add_argument("--plan")
    _common(q)
    q.set_defaults(func=_guard(cmd_repair))
    q = rs.add_parser("link", help="确认/添加/删除 措施→目标 关联")
    q.add_argument("decision", choices=["confirm", "add", "remove"])
    q.add_argument("measure")
    q.add_argument("goal")
    _common(q)
    q.set_defaults(func=_guard(cmd_link))
    q = rs.add_parser("note", help="添加 Markdown 备注")
    q.add_argument("item")
    q.add_argument("text", nargs="?")
    q.add_argument("--file", help="从文件读取备注 (- 为标准输入)")
    _common(q)
    q.set_defaults(func=_guard(cmd_note))
    q = rs.add_parser("note-edit", help="修改备注")
    q.add_argument("note_id")
    q.add_argument("text", nargs="?")
    q.add_argument("--file")
    _common(q)
    q.set_defaults(func=_guard(cmd_note_edit))
    q = rs.add_parser("note-remove", help="删除备注")
    q.add_argument("note_id")
    _common(q)
    q.set_defaults(func=_guard(cmd_note_remove))
    q = rs.add_parser("undo", help="撤销一条审计记录的修改")
    q.add_argument("audit_id", type=int)
    q.add_argument("--force", action="store_true", help="即使之后又被修改也撤销")
    _common(q)
    q.set_defaults(func=_guard(cmd_undo))
    q = rs.add_parser("list", help="列出审核及其在当前构建中的位置")
    q.add_argument("--item")
    q.add_argument("--kind", choices=["assignment", "link", "repair", "note"])
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=_guard(cmd_list), orphans_only=False)
    q = rs.add_parser("orphans", help="目标已不存在的审核 (保留, 不会丢弃)")
    q.add_argument("--json", action="store_true")
    q.set_defaults(func=_guard(cmd_list), orphans_only=True, item=None, kind=None)
    q = rs.add_parser("reanchor", help="把已重新定位的审核固定到当前条目")
    _common(q)
    q.set_defaults(func=_guard(cmd_reanchor))
    p.set_defaults(func=lambda a: p.print_help() or 1)

    p = sub.add_parser("audit", help="审计日志 (append-only)")
    p.add_argument("--since", help="起始时间: 2024-05-01, 2024-05-01T09:00, 7d, 12h")
    p.add_argument("--by", help="只看此审核人")
    p.add_argument("--item")
    p.add_argument("--limit", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_guard(cmd_audit))

    p = sub.add_parser("reviews", help="审核备份: export / import (JSON)")
    rs = p.add_subparsers(dest="reviews_command", metavar="ACTION")
    q = rs.add_parser("export", help="导出全部审核与审计日志")
    q.add_argument("-o", "--output")
    q.set_defaults(func=_guard(cmd_export))
    q = rs.add_parser("import", help="合并导入审核备份")
    q.add_argument("path")
    _common(q)
    q.set_defaults(func=_guard(cmd_import))
    p.set_defaults(func=lambda a: p.print_help() or 1)
