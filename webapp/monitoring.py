"""监测评估 pages: dashboards per domain and department, trend charts, the template and report downloads (value entry in
webapp/monitoring_entry.py, documents in webapp/monitoring_reports.py, rows in webapp/monitoring_rows.py)."""

from __future__ import annotations

import difflib
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, url_for

from kb import monitoring as mon
from kb.errors import KBError
from kb.exports.safety import content_disposition
from kb.lookup import resolve_id
from kb.monitoring import annual
from kb.monitoring import observations as obsdb
from kb.monitoring import values as mvalues
from kb.monitoring.report import report_docx, report_xlsx, rule_notes
from kb.monitoring.workbook import template
from kb.reviews import statecache
from webapp.lookup import canonical_redirect, resolve_department, snapshot
from webapp.monitoring_rows import OTHER, monitoring_rows, row_json
from webapp.monitoring_svg import trend_svg
from webapp.plans import paged
from webapp.render import NotFoundWithHints, twin, wants_json

bp = Blueprint("monitoring", __name__)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.app_template_global()
def monitoring_chart(row: dict[str, Any], large: bool = False):
    """The SVG trend chart of a row (templates call it; the JSON twins stay free of markup)."""
    return trend_svg(row, 560, 200, labels=True) if large else trend_svg(row, 120, 40)


def _domains(rows: list[dict]) -> list[dict[str, Any]]:
    groups: dict[str, list] = {}
    names: dict[str, str] = {}
    for r in rows:
        code = r["indicator"]["domain_code"] or OTHER
        groups.setdefault(code, []).append(r)
        names.setdefault(code, r["indicator"]["domain"] or "其他")
    return [
        {"code": c, "name": names[c], "summary": mon.summary(rs), "url": url_for("monitoring.domain_page", code=c)}
        for c, rs in groups.items()
    ]


def _departments(rows: list[dict]) -> list[dict[str, Any]]:
    lead: dict[str, list] = {}
    co: dict[str, int] = {}
    for r in rows:
        for d in r["indicator"]["departments"]:
            if d["role"] == "lead":
                lead.setdefault(d["name"], []).append(r)
            else:
                co[d["name"]] = co.get(d["name"], 0) + 1
    names = sorted(set(lead) | set(co), key=lambda n: (-len(lead.get(n, [])), n))
    return [
        {
            "name": n,
            "summary": mon.summary(lead.get(n, [])),
            "co": co.get(n, 0),
            "url": url_for("monitoring.department_page", name=n),
        }
        for n in names
    ]


@twin(bp, "/monitoring", "monitoring/overview.html")
def overview_page() -> dict[str, Any]:
    snap = snapshot()
    ctx = statecache.cached(snap, ("monitoring_overview", date.today()), _overview, scope="records")
    warnings = paged(ctx["warnings"])
    return {**ctx, "warnings": warnings.pop("rows"), "warnings_page": warnings}


def _overview() -> dict[str, Any]:
    """The overview as computed once per state: summaries by domain and department, every flagged indicator."""
    _index, rows, orphans = monitoring_rows()
    return {
        "title": "监测评估",
        "summary": mon.summary(rows),
        "domains": _domains(rows),
        "departments": _departments(rows),
        "warnings": [row_json(r) for r in rows if r["assessment"]["warnings"]],
        "rules": rule_notes(),
        "annual_year": _annual_year(rows),
        "orphans": [
            {k: o[k] for k in ("indicator", "indicator_name", "year", "value", "unit", "why")} for o in orphans
        ],
    }


def _annual_year(rows: list[dict]) -> int | None:
    """The year the annual report download defaults to (its plan's latest data); None while it would be a 404."""
    try:
        plan = annual.choose_plan(snapshot().plans, None)
    except annual.ReportError:
        return None
    return annual.latest_year(rows, plan["id"])


@twin(bp, "/monitoring/domain/<code>", "monitoring/list.html")
def domain_page(code: str) -> dict[str, Any]:
    _index, rows, _ = monitoring_rows()
    mine = [r for r in rows if (r["indicator"]["domain_code"] or OTHER) == code]
    if not mine:
        raise NotFoundWithHints(
            f"没有领域“{code}”的指标", [{"label": d["name"], "url": d["url"]} for d in _domains(rows)]
        )
    name = mine[0]["indicator"]["domain"] or "其他"
    return {
        "title": f"监测评估 · {name}",
        "scope": "domain",
        "code": code,
        "name": name,
        "summary": mon.summary(mine),
        "indicators": [row_json(r) for r in mine],
        "co_indicators": [],
        "report_args": {"domain": code},
        "rules": rule_notes(),
    }


def _dashboard_url(name: str) -> str:
    return url_for("monitoring.department_page", name=name)


@twin(bp, "/monitoring/department/<name>", "monitoring/list.html")
def department_page(name: str) -> dict[str, Any]:
    # any alias (教育局, 卫生健康部门) is the same dashboard, shown under its canonical address as the department
    # pages are (webapp.lookup.resolve_department: one resolver, one 404 with the closest names)
    canonical = resolve_department(snapshot(), name, link=_dashboard_url)
    if canonical != name and not wants_json():
        abort(canonical_redirect("monitoring.department_page", canonical))
    name = canonical
    _index, rows, _ = monitoring_rows()
    lead = mon.select(rows, department=name, role="lead")
    co = mon.select(rows, department=name, role="co")
    if not lead and not co:
        names = [d["name"] for d in _departments(rows)]
        close = difflib.get_close_matches(name, names, n=5, cutoff=0.3)
        raise NotFoundWithHints(
            f"“{name}”没有负责的监测指标",
            [{"label": n, "url": _dashboard_url(n)} for n in close],
        )
    return {
        "title": f"监测评估 · {name}",
        "scope": "department",
        "code": name,
        "name": name,
        "summary": mon.summary(lead),
        "indicators": [row_json(r) for r in lead],
        "co_indicators": [row_json(r) for r in co],
        "report_args": {"department": name},
        "rules": rule_notes(),
    }


def find_row(ind_id: str) -> dict[str, Any]:
    """The monitoring row of an indicator by full or short id (kb.lookup); 404 with the overview link."""
    _index, rows, _ = monitoring_rows()
    by_id = {r["indicator"]["id"]: r for r in rows}
    try:
        return by_id[resolve_id(by_id, ind_id, what="指标")]
    except KBError as exc:
        hints = [{"label": i, "url": url_for("monitoring.indicator_page", ind_id=i)} for i in exc.suggestions]
        hints.append({"label": "监测评估总览", "url": url_for("monitoring.overview_page")})
        raise NotFoundWithHints(exc.message, hints) from None


@twin(bp, "/monitoring/indicator/<ind_id>", "monitoring/indicator.html")
def indicator_page(ind_id: str) -> dict[str, Any]:
    r = find_row(ind_id)
    row = row_json(r)
    return {
        "title": f"监测评估 · {row['name']}",
        "indicator": row,
        "history": obsdb.history(row["id"]),
        "form_years": mvalues.years_of(r["indicator"]),
        "rules": rule_notes(),
    }


@bp.get("/api/indicators/<ind_id>/observations")
def observations_api(ind_id: str):
    row = row_json(find_row(ind_id))
    obs = [
        {k: v[k] for k in ("year", "value", "source", "note", "entered_by", "entered_at")} | {"unit": row["unit"]}
        for v in row["values"]
        if v["value"] is not None
    ]
    return jsonify(
        {
            "ok": True,
            "indicator": row["id"],
            "name": row["name"],
            "unit": row["unit"],
            "target": row["target"],
            "observations": obs,
            "status": row["current"],
            "warnings": row["warnings"],
            "per_year": {v["year"]: v["status"] for v in row["values"]},
        }
    )


def download_response(data: bytes, filename: str, mimetype: str) -> Response:
    resp = Response(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = content_disposition(filename)  # with the ASCII filename= fallback
    return resp


@bp.get("/monitoring/template.xlsx")
def template_download():
    index, rows, _ = monitoring_rows()
    return download_response(
        template(index, {r["indicator"]["id"]: r["rows"] for r in rows}),
        f"监测数据模板-{date.today():%Y%m%d}.xlsx",
        XLSX,
    )


@bp.get("/monitoring/report.<fmt>")
def report_download(fmt: str):
    if fmt not in ("xlsx", "docx"):
        abort(404, description="报告格式只支持 xlsx 或 docx")
    _index, rows, _ = monitoring_rows()
    args = {k: request.args.get(k) or None for k in ("plan", "domain", "department")}
    if args["domain"] == OTHER:
        rows, args["domain"] = [r for r in rows if not r["indicator"]["domain_code"]], None
    if args["department"]:  # an alias (教育局) reports on the same body as the dashboard it was linked from
        args["department"] = resolve_department(snapshot(), args["department"], link=_dashboard_url)
    chosen = mon.select(rows, **args)
    if not chosen:
        abort(404, description="没有符合条件的指标")
    label = "".join(f"·{v}" for v in args.values() if v)
    title = f"监测评估报告{label}"
    maker = report_docx if fmt == "docx" else report_xlsx
    return download_response(
        maker(chosen, title), f"{title}-{date.today():%Y%m%d}.{fmt}", DOCX if fmt == "docx" else XLSX
    )


from webapp import monitoring_entry, monitoring_reports  # noqa: E402, F401  (register value entry and documents on bp)
