"""`kb review` reading and moving reviews: list, the queue, reanchor, `kb audit`, `kb reviews export/import`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from kb.commands.review.decisions import recorded
from kb.errors import UserError

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
    from kb.reviews import queue, queue_actions

    if args.reassign:
        item, old, new = args.reassign
        return recorded(queue_actions.reassign(item, old, new, args.by, args.reason), f"已改派 {old} → {new}")
    if args.accept_high:
        ids = queue_actions.bulk_accept(args.accept_high, args.by, args.reason)
        print(f"已批量确认 {len(ids)} 条 {args.accept_high} 的高置信度标注")
        return 0
    rows = queue.load()
    if args.department:
        from kb.reviews import canonical_department

        name = canonical_department(args.department)  # the one resolver: aliases, traditional characters
        rows = [e for e in rows if e["department"] == name]
    count = queue.counter(rows)  # the chosen department's own progress
    if args.open:
        rows = [e for e in rows if not e["reviewed"]]
    shown = rows[: args.limit] if args.limit else rows
    if args.json:
        print(
            json.dumps(
                {"counter": count, "counter_title": queue.COUNTER_TITLE, "entries": shown}, ensure_ascii=False, indent=1
            )
        )
        return 0
    for e in shown:
        mark = queue.CERTAINTY_LABELS[e["certainty"]]
        what = e["department"] or (
            "已指定牵头:" + "、".join(e.get("leads") or [])
            if e["reviewed"]
            else "无牵头 · 候选:" + "、".join(c["name"] for c in e["candidates"][:3])
        )
        role = {"lead": "牵头", "co": "配合"}.get(e["role"] or "", "")
        phrases = "、".join(dict.fromkeys(x["text"] for x in e["evidence"]))[:40]
        done = "✓" if e["reviewed"] else " "
        print(f"{done} {e['item']}\t{what}\t{role}\t{mark}\t{e['confidence']:.2f}\t{phrases}")
    still = f" · 待处理 {count['open']}" if count["open"] else ""
    print(f"已审核 {count['reviewed']} / {count['total']}{still}({queue.COUNTER_TITLE})", file=sys.stderr)
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
