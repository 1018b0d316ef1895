"""`kb duties DEPT` and `kb indicators`: what a department owns, and every quantitative target."""

from __future__ import annotations

import json

from kb.duties import UnknownDepartment, duties, format_duties
from kb.errors import UserError
from kb.monitoring.readings import plan_period
from kb.monitoring.targets import target_text
from kb.reviews.snapshot import reviewed_items
from kb.store import KB


def register(sub) -> None:
    p = sub.add_parser("duties", help="某部门的职责清单 (a department's duties; any alias)")
    p.add_argument("dept")
    p.add_argument("--plan")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_duties)
    p = sub.add_parser("indicators", help="全部指标 (all quantitative targets)")
    p.add_argument("--domain", help="领域名称或代码, 如 儿童与健康 / health")
    p.add_argument("--plan")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_indicators)


def _check_plan(kb: KB, plan: str | None) -> None:
    try:
        kb.check_plan(plan)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


def duties_report(kb: KB, dept: str, plan: str | None = None) -> dict:
    """duties() over the reviewed items, with each item's served goals and indicators added."""
    _check_plan(kb, plan)
    items = reviewed_items(plan=plan)
    try:
        report = duties(items, dept)
    except UnknownDepartment as exc:
        raise UserError(str(exc)) from exc
    by_id = {it["id"]: it for it in items}
    for group in report["domains"]:
        for row in group["items"]:
            it = by_id[row["id"]]
            row["serves"] = [
                {"id": g, "title": by_id[g]["title"], "number": by_id[g]["number"]} for g in it["serves"] if g in by_id
            ]
            row["indicators"] = [ind["name"] for ind in it["indicators"]]
    return report


def cmd_duties(args) -> int:
    with KB() as kb:
        report = duties_report(kb, args.dept, args.plan)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    print(format_duties(report))
    return 0


def indicator_rows(kb: KB, domain: str | None = None, plan: str | None = None) -> list[dict]:
    """One row per indicator with its item, owners and the measures serving its goal."""
    _check_plan(kb, plan)
    items = reviewed_items(plan=plan)
    serving: dict[str, list[str]] = {}
    for it in items:
        for g in it["serves"]:
            serving.setdefault(g, []).append(it["id"])
    periods = {p["id"]: plan_period(p) for p in kb.plans()}
    rows = []
    for it in items:
        if domain and domain not in (it["domain"], it["domain_code"]):
            continue
        for ind in it["indicators"]:
            rows.append(
                {
                    **ind,
                    "target": target_text(ind, periods[it["plan"]]),  # as the pages and reports word it
                    "item": it["id"],
                    "item_title": it["title"],
                    "domain": it["domain"],
                    "kind": it["kind"],
                    "number": it["number"],
                    "lead": [d["name"] for d in it["departments"] if d["role"] == "lead"],
                    "co": [d["name"] for d in it["departments"] if d["role"] != "lead"],
                    "serving_measures": serving.get(it["id"], []),
                }
            )
    return rows


def cmd_indicators(args) -> int:
    with KB() as kb:
        rows = indicator_rows(kb, args.domain, args.plan)
    if args.domain and not rows:
        raise UserError(f"该领域没有指标或领域不存在: {args.domain}")
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        target = r["target"]
        owner = "、".join(r["lead"]) or "-"
        print(f"{r['item'].split(':')[-1]:14s} {r['name']:<24s}\t{target:<10s}\t{r['year'] or ''}\t{owner}")
    print(f"共 {len(rows)} 项指标")
    return 0
