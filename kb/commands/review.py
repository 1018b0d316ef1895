"""Review commands: `kb review …` (decisions, notes, undo, reports), `kb audit`, `kb reviews export/import`."""

from __future__ import annotations

import json
import sys
from functools import wraps
from pathlib import Path

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


def _done(audit_id: int, what: str) -> int:
    print(f"已记录 #{audit_id}: {what}")
    return 0


def cmd_assignment(args) -> int:
    from kb import reviews

    if args.action == "accept":
        aid = reviews.accept_assignment(args.item, args.department, args.by, args.reason, role=args.role)
    elif args.action == "reject":
        aid = reviews.reject_assignment(args.item, args.department, args.by, args.reason)
    elif args.action == "role":
        aid = reviews.set_role(args.item, args.department, args.role, args.by, args.reason)
    else:
        aid = reviews.add_assignment(args.item, args.department, args.by, args.reason, role=args.role)
    return _done(aid, f"{args.action} {args.department} @ {args.item}")


def cmd_repair(args) -> int:
    from kb import reviews

    fn = reviews.accept_repair if args.decision == "accept" else reviews.reject_repair
    aid = fn(args.repair_id, args.by, args.reason, plan=args.plan)
    _done(aid, f"修复 {args.repair_id} {args.decision}")
    print("运行 `python -m kb build` 后生效于修复后的文本", file=sys.stderr)
    return 0


def cmd_link(args) -> int:
    from kb import reviews

    fn = {"confirm": reviews.confirm_link, "add": reviews.add_link, "remove": reviews.remove_link}[args.decision]
    return _done(fn(args.measure, args.goal, args.by, args.reason), f"{args.decision} {args.measure} → {args.goal}")


def _text(args) -> str:
    if args.file:
        try:
            return sys.stdin.read() if args.file == "-" else Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"无法读取 {args.file}: {exc}") from exc
    if args.text is None:
        raise UserError("请给出备注文字或 --file")
    return args.text


def cmd_note(args) -> int:
    from kb import reviews

    key, aid = reviews.add_note(args.item, _text(args), args.by, args.reason)
    return _done(aid, f"备注 {key} @ {args.item}")


def cmd_note_edit(args) -> int:
    from kb import reviews

    # the command line is the operator's (it holds the data dir anyway): it moderates any note
    aid = reviews.edit_note(args.note_id, _text(args), args.by, args.reason, moderator=True)
    return _done(aid, f"修改备注 {args.note_id}")


def cmd_note_remove(args) -> int:
    from kb import reviews

    return _done(reviews.remove_note(args.note_id, args.by, args.reason, moderator=True), f"删除备注 {args.note_id}")


def cmd_undo(args) -> int:
    from kb import reviews

    return _done(reviews.undo(args.audit_id, args.by, args.reason, force=args.force), f"撤销 #{args.audit_id}")


STATUS = {"exact": "", "moved": "已移动", "reanchored": "已重新定位", "orphaned": "孤立"}


def cmd_list(args) -> int:
    from kb import reviews

    rows = reviews.orphans() if args.orphans_only else reviews.list_reviews(args.item, args.kind)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        where = r["live_item"] or r["item"] or r["plan"]
        extra = (
            "" if r["status"] == "exact" else f" [{STATUS[r['status']]} {r['score']:.2f} ← {r['item'] or r['target']}]"
        )
        what = r["body"].splitlines()[0][:40] if r["kind"] == "note" and r["body"] else r["role"] or ""
        print(
            f"{r['kind']}\t{r['decision']}\t{where}\t{r['live_target'] or r['target']}\t{what}\t"
            f"{r['actor']} {r['updated_at']}{extra}"
        )
    label = "孤立审核" if args.orphans_only else "条审核"
    print(f"共 {len(rows)} {label}", file=sys.stderr)
    return 0


def cmd_queue(args) -> int:
    from kb.reviews import queue

    if args.reassign:
        item, old, new = args.reassign
        return _done(queue.reassign(item, old, new, args.by, args.reason), f"已改派 {old} → {new}")
    if args.accept_high:
        ids = queue.bulk_accept(args.accept_high, args.by, args.reason)
        print(f"已批量确认 {len(ids)} 条 {args.accept_high} 的高置信度标注")
        return 0
    rows = queue.load()
    count = queue.counter(rows)
    if args.department:
        from kb.reviews import ReviewError
        from nlp import registry

        dep = registry.resolve(args.department)
        if dep is None:
            raise ReviewError(registry.unknown_message(args.department))
        rows = [e for e in rows if e["department"] == dep.canonical]
    if args.open:
        rows = [e for e in rows if not e["reviewed"]]
    shown = rows[: args.limit] if args.limit else rows
    if args.json:
        print(json.dumps({"counter": count, "entries": shown}, ensure_ascii=False, indent=1))
        return 0
    for e in shown:
        mark = queue.CERTAINTY_LABELS[e["certainty"]]
        what = e["department"] or "无牵头 · 候选:" + "、".join(c["name"] for c in e["candidates"][:3])
        role = {"lead": "牵头", "co": "配合"}.get(e["role"] or "", "")
        phrases = "、".join(dict.fromkeys(x["text"] for x in e["evidence"]))[:40]
        done = "✓" if e["reviewed"] else " "
        print(f"{done} {e['item']}\t{what}\t{role}\t{mark}\t{e['confidence']:.2f}\t{phrases}")
    print(f"已审核 {count['reviewed']} / {count['total']}", file=sys.stderr)
    return 0


def cmd_reanchor(args) -> int:
    from kb import reviews

    print(f"已固定 {reviews.reanchor(args.by, args.reason)} 条重新定位的审核")
    return 0


def cmd_audit(args) -> int:
    from kb import reviews

    rows = reviews.audit_log(since=args.since, actor=args.by, item=args.item, limit=args.limit)
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        b, a = r["before"] or {}, r["after"] or {}
        change = f"{_state(b)} → {_state(a)}"
        tail = f" (已被 #{r['undone_by']} 撤销)" if r["undone_by"] else ""
        undoes = f" 撤销 #{r['undoes']}" if r["undoes"] else ""
        print(
            f"#{r['id']}\t{r['at']}\t{r['actor']}\t{r['action']}{undoes}\t{r['item'] or r['plan'] or ''}\t"
            f"{r['target'] or ''}\t{change}\t{r['reason']}{tail}"
        )
    return 0


def _state(row: dict) -> str:
    if not row:
        return "∅"
    if row.get("kind") == "note":
        return "备注:" + (row.get("body") or "")[:20].replace("\n", " ")
    return row.get("decision", "") + (f"/{row['role']}" if row.get("role") else "")


def cmd_export(args) -> int:
    from kb import reviews

    data = reviews.export_reviews()
    text = json.dumps(data, ensure_ascii=False, indent=1)
    if not args.output:
        sys.stdout.write(text + "\n")
        return 0
    out = Path(args.output)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    print(f"已导出 {len(data['reviews'])} 条审核, {len(data['audit'])} 条审计记录 → {out}", file=sys.stderr)
    return 0


def cmd_import(args) -> int:
    from kb import reviews

    try:
        data = json.loads(Path(args.path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UserError(f"无法读取备份 {args.path}: {exc}") from exc
    s = reviews.import_reviews(data, args.by, args.reason)
    print(
        f"导入完成: 新增 {s['added']}, 更新 {s['updated']}, 未变 {s['unchanged']}; "
        f"历史记录新增 {s['history_added']}, 跳过 {s['history_skipped']}"
    )
    return 0
