"""`kb monitor`: indicator observations (监测评估) — set values, xlsx template/import, status, reports."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

from kb import lookup
from kb.errors import UserError
from kb.reviews.snapshot import reviewed_items


def register(sub) -> None:
    p = sub.add_parser("monitor", help="指标监测评估 (observations, status, warnings, reports)")
    ms = p.add_subparsers(dest="monitor_command", metavar="ACTION")
    s = ms.add_parser("set", help="录入一个年度值 (set one yearly value)")
    s.add_argument("id", help="指标编号 (full id or the part after the colon)")
    s.add_argument("year")
    s.add_argument("value", help="数值,可带单位,如 95 / 95%% / 5‰")
    s.add_argument("--by", required=True, help="录入人")
    s.add_argument("--unit")
    s.add_argument("--source", default="", help="数据来源")
    s.add_argument("--convert", action="store_true", help="单位不同但可换算时自动换算 (%% ↔ ‰)")
    s.set_defaults(func=cmd_set)
    c = ms.add_parser("clear", help="删除一个年度值")
    c.add_argument("id")
    c.add_argument("year")
    c.add_argument("--by", required=True)
    c.set_defaults(func=cmd_clear)
    t = ms.add_parser("template", help="生成 xlsx 导入模板 (one row per indicator, one column per year)")
    t.add_argument("-o", "--output", required=True)
    t.set_defaults(func=cmd_template)
    i = ms.add_parser("import", help="导入填好的 xlsx 模板 (all-or-nothing)")
    i.add_argument("file")
    i.add_argument("--by", default=None, help="录入人 (default: the system user)")
    i.set_defaults(func=cmd_import)
    r = ms.add_parser("report", help="年度统计监测报告初稿 (--year Y: docx|md) 或监测评估表 (无 --year: xlsx|docx)")
    r.add_argument("-o", "--output", help="输出文件 (md 可省略,输出到标准输出)")
    r.add_argument("--format", choices=["xlsx", "docx", "md"], default=None, help="default: from the file suffix")
    r.add_argument("--year", type=int, help="报告年度: 生成年度统计监测报告初稿 (分领域情况、达标率、存在的问题)")
    r.add_argument("--no-charts", action="store_true", help="不绘制图表 (faster)")
    _filters(r)
    r.set_defaults(func=cmd_report)
    g = ms.add_parser("registry", help="统计监测指标体系: 定义、计算方法、计量单位、资料来源、报送频率")
    g.add_argument("-o", "--output", help="导出 xlsx 或 docx (不指定则列出)")
    g.add_argument("--set", dest="set_id", metavar="ID", help="修改一个指标 (配合 --field/--value/--by)")
    g.add_argument("--field", choices=["definition", "method", "unit", "source", "frequency"])
    g.add_argument("--value", default="")
    g.add_argument("--by")
    g.set_defaults(func=cmd_registry)
    f = ms.add_parser("final", help="终期评估表: 每项目标的目标值、基线值、终期值、评估结论;每项措施的牵头和配合单位")
    f.add_argument("-o", "--output", required=True, help="xlsx 或 docx")
    f.add_argument("--year", type=int, help="终期年度 (默认: 各指标的目标年度)")
    f.add_argument("--plan")
    f.set_defaults(func=cmd_final)
    st = ms.add_parser("status", help="各指标状态与预警")
    st.add_argument("id", nargs="?")
    st.add_argument("--json", action="store_true")
    _filters(st)
    st.set_defaults(func=cmd_status)
    o = ms.add_parser("orphans", help="重建后无法定位的监测数据")
    o.add_argument("--reanchor", action="store_true", help="把可重新定位的数据写回新编号")
    o.add_argument("--by", default=None)
    o.set_defaults(func=cmd_orphans)
    p.set_defaults(func=lambda args: p.print_help() or 1)


def _filters(p) -> None:
    p.add_argument("--plan")
    p.add_argument("--domain", help="领域代码或名称,如 health")
    p.add_argument("--department", help="责任单位,如 市卫健委")


def _index():
    from kb.monitoring.observations import indicator_index

    return indicator_index()


def resolve_id(index: dict, ident: str) -> str:
    """A full indicator id, or the part after the colon when it is unique (kb.lookup)."""
    return lookup.resolve_id(index, ident, what="指标")


def _write(entries, by: str, index) -> dict:
    from kb.monitoring.observations import ObservationError, write

    try:
        return write(entries, by, index)
    except ObservationError as exc:
        raise UserError(str(exc)) from None


def cmd_set(args) -> int:
    from kb.monitoring.observations import load
    from kb.monitoring.values import ObservationError, make_entry

    index = _index()
    ind = index[resolve_id(index, args.id)]
    anchored, _ = load(index)
    known = next((r["unit"] for r in anchored.get(ind["id"], {}).values() if r["unit"]), None)
    try:
        entry = make_entry(
            ind, args.year, args.value, unit=args.unit, source=args.source, convert=args.convert, known_unit=known
        )
    except ObservationError as exc:
        raise UserError(str(exc)) from None
    if entry.value is None:
        raise UserError("数值为空;删除请用 `monitor clear`")
    counts = _write([entry], args.by, index)
    what = "未变化" if counts["unchanged"] else ("已修改" if counts["change"] else "已录入")
    print(
        f"{what}: {ind['name']} {entry.year}年 = {entry.value:g}{entry.unit or ''}"
        + (f" ({entry.note})" if entry.note else "")
    )
    return 0


def cmd_clear(args) -> int:
    from kb.monitoring.observations import Entry

    index = _index()
    ind_id = resolve_id(index, args.id)
    try:
        year = int(args.year)
    except ValueError:
        raise UserError(f"无法识别的年度: {args.year}") from None
    counts = _write([Entry(ind_id, year, None)], args.by, index)
    print("已删除" if counts["clear"] else "该年度本无数据")
    return 0


def _out(path: str, data: bytes) -> Path:
    out = Path(path)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)
    return out


def cmd_template(args) -> int:
    from kb.monitoring.observations import load
    from kb.monitoring.workbook import template

    index = _index()
    anchored, _ = load(index)
    out = _out(args.output, template(index, anchored))
    print(f"已生成模板 ({len(index)} 个指标) → {out}", file=sys.stderr)
    return 0


def cmd_import(args) -> int:
    from kb.monitoring.workbook import ImportRejected, import_file

    path = Path(args.file)
    if not path.is_file():
        raise UserError(f"找不到文件: {path}")
    try:
        counts = import_file(path.read_bytes(), args.by or f"cli:{getpass.getuser()}")
    except ImportRejected as exc:
        raise UserError(str(exc)) from None
    print(
        f"已导入: 新增 {counts['set']},修改 {counts['change']},删除 {counts['clear']},"
        f"未变化 {counts['unchanged']}(批次 {counts['batch']})"
    )
    return 0


def _rows(args):
    from kb import monitoring as mon
    from kb.monitoring.observations import load

    index = _index()
    anchored, orphans = load(index)
    rows = mon.select(mon.overview(index, anchored), plan=args.plan, domain=args.domain, department=args.department)
    return index, rows, orphans


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
    _, rows, _ = _rows(args)
    if not rows:
        raise UserError("没有符合条件的指标")
    title = "监测评估报告" + "".join(f" · {x}" for x in (args.plan, args.domain, args.department) if x)
    out = _out(args.output, (report_docx if fmt == "docx" else report_xlsx)(rows, title))
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
    index = _index()
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

        out = _out(args.output, report_docx(report))
    else:
        if not args.output:
            sys.stdout.write(annual.markdown(report))
            return 0
        out = Path(args.output)
        links = _write_charts(report, out) if not args.no_charts else None
        out = _out(args.output, annual.markdown(report, links).encode("utf-8"))
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
        _out(str(folder / f"fig{n}.png"), data)
        links.append(f"{folder.name}/fig{n}.png")
    return links


def cmd_status(args) -> int:
    from kb import monitoring as mon

    index, rows, _ = _rows(args)
    if args.id:
        want = resolve_id(index, args.id)
        rows = [r for r in rows if r["indicator"]["id"] == want]
    if args.json:
        data = [
            {
                "id": r["indicator"]["id"],
                "name": r["indicator"]["name"],
                "owners": r["indicator"]["owners"],
                "values": {str(y): v for y, v in r["obs"].items()},
                "unit": r["unit"],
                **mon.assessment_json(r["assessment"]),
            }
            for r in rows
        ]
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    for r in rows:
        a = r["assessment"]
        vals = " ".join(f"{y}:{mon.fmt(v)}" for y, v in r["obs"].items()) or "—"
        warn = "  预警: " + "; ".join(w.text for w in a["warnings"]) if a["warnings"] else ""
        print(f"{r['indicator']['id']}\t{r['indicator']['name']}\t{a['target']}\t{a['current'].label}\t{vals}{warn}")
    s = mon.summary(rows)
    print(
        f"共 {s['total']} 个指标: 已达标 {s['met']},未达标 {s['unmet']},无数据 {s['nodata']},预警 {s['warning']}",
        file=sys.stderr,
    )
    return 0


def cmd_orphans(args) -> int:
    from kb.monitoring.observations import load, reanchor

    index = _index()
    if args.reanchor:
        res = reanchor(args.by or f"cli:{getpass.getuser()}", index)
        print(f"已重新定位 {res['reanchored']} 条数据", file=sys.stderr)
        orphans = res["orphans"]
    else:
        _, orphans = load(index)
    for o in orphans:
        print(f"{o['indicator']}\t{o['indicator_name']}\t{o['year']}\t{o['value']:g}{o['unit'] or ''}\t{o['why']}")
    print(f"孤立数据 {len(orphans)} 条(保留,未删除)", file=sys.stderr)
    return 0


def _table_out(path: str, sheets) -> Path:
    from kb.monitoring.tables import to_docx, to_xlsx

    fmt = _suffix_format(path, "")
    if fmt not in ("xlsx", "docx"):
        raise UserError("输出文件应为 .xlsx 或 .docx")
    return _out(path, (to_docx if fmt == "docx" else to_xlsx)(sheets))


def cmd_registry(args) -> int:
    from kb.monitoring import registry

    index = _index()
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

    index = _index()
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
