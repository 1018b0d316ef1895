"""`kb search`: full-text search from the command line (the same engine and payload as /api/search)."""

from __future__ import annotations

import html
import json
import re
import sys

from kb.errors import UserError

KIND_SHORT = {"goal": "目标", "measure": "措施", "implementation": "组织实施", "monitoring": "监测评估"}


def register(sub) -> None:
    p = sub.add_parser("search", help="全文搜索 (full-text search)")
    p.add_argument("query", nargs="+", help='搜索词,如 校园欺凌、"妇联 家庭教育"、领域:健康')
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--offset", type=int, default=0)
    p.add_argument("--domain")
    p.add_argument("--kind")
    p.add_argument("--dept")
    p.add_argument("--role", choices=["lead", "co"])
    p.add_argument("--plan")
    p.add_argument("--has-indicator", action="store_true", default=None)
    p.add_argument("--json", action="store_true", help="输出 API 同样的 JSON")
    p.set_defaults(func=cmd_search)


def _plain(snippet: str, tty: bool) -> str:
    """Snippet HTML → terminal text (marks as bold on a terminal, 【】 otherwise)."""
    on, off = ("\033[1m", "\033[0m") if tty else ("【", "】")
    return html.unescape(re.sub(r"</?mark>", lambda m: off if m.group(0)[1] == "/" else on, snippet))


def cmd_search(args) -> int:
    from kb.search import SearchError, search

    try:
        res = search(
            " ".join(args.query),
            limit=args.limit,
            offset=args.offset,
            domain=args.domain,
            kind=args.kind,
            dept=args.dept,
            role=args.role,
            plan=args.plan,
            has_indicator=args.has_indicator,
        )
    except SearchError as exc:
        raise UserError(exc.message) from None
    if args.json:
        print(json.dumps(res, ensure_ascii=False, indent=1))
        return 0
    tty = sys.stdout.isatty()
    for m in res["messages"]:
        print(f"提示: {m}", file=sys.stderr)
    if res["did_you_mean"]:
        print(f"您是不是要找: {' / '.join(res['did_you_mean'])}", file=sys.stderr)
    print(
        f"共 {res['total']} 个条目 (显示 {res['offset'] + 1 if res['results'] else 0}–"
        f"{res['offset'] + len(res['results'])})"
    )
    for r in res["results"]:
        kind = KIND_SHORT.get(r["kind"], r["kind"])
        print(f"\n{r['id']}  [{r['domain'] or '—'} · {kind} {r['number'] or ''}]  {r['title']}")
        print(f"  {_plain(r['snippet'], tty)}")
        leads = [d["name"] for d in r["departments"] if d["role"] == "lead"]
        cos = [d["name"] for d in r["departments"] if d["role"] != "lead"]
        if leads or cos:
            print(f"  牵头: {'、'.join(leads) or '—'}  配合: {'、'.join(cos) or '—'}")
        if r["serves"]:
            print(f"  服务目标: {'、'.join(g['title'][:20] for g in r['serves_detail']) or '、'.join(r['serves'])}")
        if r["why"]:
            print(f"  匹配: {';'.join(r['why'])}")
    return 0
