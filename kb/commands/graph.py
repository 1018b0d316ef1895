"""Graph commands: `kb graph` (export or query) and `kb gaps` (the gap report)."""

from __future__ import annotations

import json
import sys

from kb.errors import UserError
from kb.lookup import resolve_id


def register(sub) -> None:
    p = sub.add_parser("graph", help="知识图谱: 导出 (GraphML/JSON) 或查询")
    p.add_argument("--format", choices=["graphml", "json"], default="graphml")
    p.add_argument("-o", "--output", help="导出文件 (不带查询时)")
    qs = p.add_subparsers(dest="query", metavar="QUERY")
    q = qs.add_parser("duties", help="部门的职责及其服务的目标")
    q.add_argument("department")
    q.add_argument("--json", action="store_true")
    q = qs.add_parser("goal", help="目标的措施及其责任部门")
    q.add_argument("goal")
    q.add_argument("--json", action="store_true")
    q = qs.add_parser("shared", help="部门协作网络 (共同承担的条目数)")
    q.add_argument("--min", type=int, default=1, dest="min_weight")
    q.add_argument("--json", action="store_true")
    q = qs.add_parser("load", help="各部门任务量与中心度")
    q.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_graph)
    p = sub.add_parser("gaps", help="缺口检查: 无措施的目标、无牵头的措施 …")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_gaps)


def _print(rows, as_json: bool, fmt) -> int:
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for r in rows:
            print(fmt(r))
    return 0


def _item_id(g, ref: str) -> str:
    return resolve_id(list(g), ref)


def cmd_graph(args) -> int:
    from kb import graph as kg

    g = kg.build_graph()
    if args.query is None:
        if not args.output:
            raise UserError("请用 -o 指定导出文件, 或给出查询 (duties / goal / shared / load)")
        try:
            kg.write_graph(g, args.output, args.format)
        except OSError as exc:
            raise UserError(f"无法写入 {args.output}: {exc}") from exc
        print(f"已导出 {g.number_of_nodes()} 个节点, {g.number_of_edges()} 条边 → {args.output}", file=sys.stderr)
        return 0
    if args.query == "duties":
        from nlp import registry

        dep = registry.resolve(args.department)
        name = dep.canonical if dep and kg.dept_node(dep.canonical) in g else args.department
        if kg.dept_node(name) not in g:
            raise UserError(f"部门 {args.department} 在知识库中没有职责")
        role = {"lead": "牵头", "co": "配合"}
        return _print(
            kg.department_duties(g, name),
            args.json,
            lambda r: f"{role[r['role']]}\t{r['item']}\t{r['title']}\t→ {', '.join(r['goals']) or '—'}",
        )
    if args.query == "goal":
        gid = _item_id(g, args.goal)
        return _print(
            kg.goal_measures(g, gid),
            args.json,
            lambda r: (
                f"{r['score']:.2f}\t{r['measure']}\t{r['title']}\t牵头: {'、'.join(r['lead']) or '—'}"
                f"\t配合: {'、'.join(r['co']) or '—'}"
            ),
        )
    if args.query == "shared":
        net = kg.shared_work(g, args.min_weight)
        edges = net.edges(data=True)
        rows = sorted(
            ({"a": a, "b": b, "weight": d["weight"], "items": d["items"]} for a, b, d in edges),
            key=lambda r: (-r["weight"], r["a"], r["b"]),
        )
        return _print(rows, args.json, lambda r: f"{r['weight']}\t{r['a']} — {r['b']}")
    return _print(
        kg.department_load(g),
        args.json,
        lambda r: (
            f"{r['department']}\t牵头 {r['lead']}\t配合 {r['co']}\t协作 {r['partners']}\t"
            f"度中心度 {r['degree_centrality']:.3f}\t介数 {r['betweenness']:.3f}"
        ),
    )


def cmd_gaps(args) -> int:
    from kb import graph as kg
    from kb.graph.gaps import format_report, gap_report

    g = kg.build_graph()
    report = gap_report(g)
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else format_report(g, report))
    return 0
