"""`kb review` decisions: departments, repairs and links confirmed or corrected, notes added, edited, removed, undo."""

from __future__ import annotations

import sys
from pathlib import Path

from kb.errors import UserError


def recorded(audit_id: int, what: str) -> int:
    """Say which audit entry a decision was recorded as (exit code 0)."""
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
        kept = reviews.kept_lead(args.item, args.department, args.role)  # before the add: it leads either way after
        aid = reviews.add_assignment(args.item, args.department, args.by, args.reason, role=args.role)
        if kept:
            print(kept, file=sys.stderr)
    return recorded(aid, f"{args.action} {args.department} @ {args.item}")


def cmd_repair(args) -> int:
    from kb import reviews

    fn = reviews.accept_repair if args.decision == "accept" else reviews.reject_repair
    aid = fn(args.repair_id, args.by, args.reason, plan=args.plan)
    recorded(aid, f"修复 {args.repair_id} {args.decision}")
    print("运行 `python -m kb build` 后生效于修复后的文本", file=sys.stderr)
    return 0


def cmd_link(args) -> int:
    from kb import reviews

    fn = {"confirm": reviews.confirm_link, "add": reviews.add_link, "remove": reviews.remove_link}[args.decision]
    return recorded(fn(args.measure, args.goal, args.by, args.reason), f"{args.decision} {args.measure} → {args.goal}")


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
    return recorded(aid, f"备注 {key} @ {args.item}")


def cmd_note_edit(args) -> int:
    from kb import reviews

    # the command line is the operator's (it holds the data dir anyway): it moderates any note
    aid = reviews.edit_note(args.note_id, _text(args), args.by, args.reason, moderator=True)
    return recorded(aid, f"修改备注 {args.note_id}")


def cmd_note_remove(args) -> int:
    from kb import reviews

    return recorded(reviews.remove_note(args.note_id, args.by, args.reason, moderator=True), f"删除备注 {args.note_id}")


def cmd_undo(args) -> int:
    from kb import reviews

    try:
        audit_id = reviews.undo(args.audit_id, args.by, args.reason, force=args.force)
    except reviews.ReviewError as exc:
        if exc.code == "changed_since":  # the command line can override what the pages cannot
            raise reviews.ReviewError(f"{exc} 或使用 --force 强制撤销。", exc.code, exc.details) from None
        raise
    return recorded(audit_id, f"撤销 #{args.audit_id}")
