"""`kb monitor`: indicator observations (监测评估) — the command line; values in kb/commands/monitor/values.py,
documents in kb/commands/monitor/reports.py."""

from __future__ import annotations

from kb.commands.monitor.reports import cmd_final, cmd_registry, cmd_report
from kb.commands.monitor.values import cmd_clear, cmd_import, cmd_orphans, cmd_set, cmd_status, cmd_template


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
