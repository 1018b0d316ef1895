"""`kb monitor` documents: the 监测评估表, the annual report draft, the indicator registry and the 终期评估表."""

from __future__ import annotations

import sys
from pathlib import Path

from kb.commands.monitor.values import indicators, resolve_id, selected_rows, write_out
from kb.errors import UserError
from kb.reviews.snapshot import reviewed_items


def _suffix_format(output: str | None, default: str) -> str:
    suffix = Path(output or "").suffix.lower().lstrip(".")
    return suffix if suffix in ("xlsx", "docx", "md") else default


def cmd_report(args) -> int:
    from kb.monitoring.report import report_docx, report_xlsx

    fmt = args.format or _suffix_format(args.output, "docx" if args.year else "xlsx")
    if args.year is not None or fmt == "md":
        return cmd_annual(args, fmt)
    if not args.output:
        raise UserError("请用 -o 指定输出文件")
    _, rows, _ = selected_rows(args)
    if not rows:
        raise UserError("没有符合条件的指标")
    title = "监测评估报告" + "".join(f" · {x}" for x in (args.plan, args.domain, args.department) if x)
    out = write_out(args.output, (report_docx if fmt == "docx" else report_xlsx)(rows, title))
    print(f"已导出监测评估报告 ({len(rows)} 个指标, {fmt}) → {out}", file=sys.stderr)
    return 0


def cmd_annual(args, fmt: str) -> int:
    """The annual report draft of one plan and year (docx with charts, or Markdown)."""
    from kb import monitoring as mon
    from kb.monitoring import annual
    from kb.monitoring.observations import load
    from kb.store import KB

    if fmt not in ("docx", "md"):
        raise UserError("年度统计监测报告只支持 docx 或 md 格式")
    if fmt == "docx" and not args.output:
        raise UserError("docx 报告请用 -o 指定输出文件")
    index = indicators()
    anchored, _ = load(index)
    rows = mon.overview(index, anchored)
    with KB() as kb:
        plans = kb.plans()
        try:
            plan = annual.choose_plan(plans, args.plan)
        except annual.ReportError as exc:
            raise UserError(str(exc)) from None
        domains = annual.plan_domains(kb, plan["id"])
    year = args.year or annual.latest_year(rows, plan["id"])
    if year is None:
        raise UserError("尚无监测数据,请用 --year 指定报告年度")
    charts = not args.no_charts and (fmt == "docx" or bool(args.output))
    report = annual.build(plan, rows, domains, year, charts=charts)
    if fmt == "docx":
        from kb.monitoring.annual_docx import report_docx

        out = write_out(args.output, report_docx(report))
    else:
        if not args.output:
            sys.stdout.write(annual.markdown(report))
            return 0
        out = Path(args.output)
        links = _write_charts(report, out) if not args.no_charts else None
        out = write_out(args.output, annual.markdown(report, links).encode("utf-8"))
    c = report.counts
    print(
        f"已生成{year}年统计监测报告初稿: 可监测指标 {c['monitorable']} 项,已达标 {c['met']} 项 ({fmt}) → {out}",
        file=sys.stderr,
    )
    return 0


def _write_charts(report, md_path: Path) -> list[str]:
    """Charts of a Markdown draft as PNG files in <name>_charts/ beside it; returns the relative links."""
    images = [b.image for b in report.blocks if b.kind == "chart" and b.image]
    if not images:
        return []
    folder = md_path.with_name(md_path.stem + "_charts")
    folder.mkdir(exist_ok=True)
    links = []
    for n, data in enumerate(images, start=1):
        write_out(str(folder / f"fig{n}.png"), data)
        links.append(f"{folder.name}/fig{n}.png")
    return links


def _table_out(path: str, sheets) -> Path:
    from kb.monitoring.tables import to_docx, to_xlsx

    fmt = _suffix_format(path, "")
    if fmt not in ("xlsx", "docx"):
        raise UserError("输出文件应为 .xlsx 或 .docx")
    return write_out(path, (to_docx if fmt == "docx" else to_xlsx)(sheets))


def cmd_registry(args) -> int:
    from kb.monitoring import registry

    index = indicators()
    if args.set_id:
        if not args.field or not args.by:
            raise UserError("修改指标体系需要 --field 和 --by")
        ind = index[resolve_id(index, args.set_id)]
        try:
            registry.update(ind, {args.field: args.value}, args.by)
        except registry.RegistryError as exc:
            raise UserError(str(exc)) from None
        print(f"已修改: {ind['name']} {registry.FIELDS[args.field]} = {args.value or '(恢复默认)'}", file=sys.stderr)
        return 0
    rows = registry.entries(index)
    if args.output:
        out = _table_out(args.output, [registry.sheet(rows, "统计监测指标体系")])
        print(f"已导出统计监测指标体系 ({len(rows)} 项指标) → {out}", file=sys.stderr)
        return 0
    for r in rows:
        print("\t".join([r["id"], r["name"], *(r[k] for k in registry.FIELDS)]))
    return 0


def cmd_final(args) -> int:
    from kb import monitoring as mon
    from kb.monitoring import annual, final
    from kb.monitoring.observations import load
    from kb.store import KB

    index = indicators()
    anchored, _ = load(index)
    with KB() as kb:
        try:
            plan = annual.choose_plan(kb.plans(), args.plan)
        except annual.ReportError as exc:
            raise UserError(str(exc)) from None
        items = reviewed_items(plan=plan["id"])
    sheets = final.sheets(plan, items, mon.overview(index, anchored), args.year, final.report_status())
    out = _table_out(args.output, sheets)
    print(f"已导出终期评估表 (目标 {len(sheets[0].rows)} 行, 措施 {len(sheets[1].rows)} 行) → {out}", file=sys.stderr)
    return 0
