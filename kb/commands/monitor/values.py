"""`kb monitor` value commands: set and clear a year's value, the xlsx template and its import, status, orphans."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

from kb import lookup
from kb.errors import UserError


def indicators():
    """Every indicator of the live build by id (kb.monitoring.observations)."""
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

    index = indicators()
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

    index = indicators()
    ind_id = resolve_id(index, args.id)
    try:
        year = int(args.year)
    except ValueError:
        raise UserError(f"无法识别的年度: {args.year}") from None
    counts = _write([Entry(ind_id, year, None)], args.by, index)
    print("已删除" if counts["clear"] else "该年度本无数据")
    return 0


def write_out(path: str, data: bytes) -> Path:
    """Write a produced file whole (through a .part file, so a reader never sees half of it)."""
    out = Path(path)
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(out)
    return out


def cmd_template(args) -> int:
    from kb.monitoring.observations import load
    from kb.monitoring.workbook import template

    index = indicators()
    anchored, _ = load(index)
    out = write_out(args.output, template(index, anchored))
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


def selected_rows(args):
    """(index, monitoring rows chosen by --plan/--domain/--department, orphans)."""
    from kb import monitoring as mon
    from kb.monitoring.observations import load

    index = indicators()
    anchored, orphans = load(index)
    rows = mon.select(mon.overview(index, anchored), plan=args.plan, domain=args.domain, department=args.department)
    return index, rows, orphans


def cmd_status(args) -> int:
    from kb import monitoring as mon

    index, rows, _ = selected_rows(args)
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

    index = indicators()
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
