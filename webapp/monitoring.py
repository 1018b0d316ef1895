"""监测评估 pages: dashboards per domain and department, trend charts, value entry, xlsx template/import, reports."""

from __future__ import annotations

import difflib
from datetime import date
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request, url_for

from kb import departments
from kb import monitoring as mon
from kb.errors import KBError
from kb.lookup import resolve_id
from kb.monitoring import observations as obsdb
from kb.monitoring import pace as pc
from kb.monitoring import values as mvalues
from kb.monitoring.report import report_docx, report_xlsx, rule_notes
from kb.monitoring.workbook import ImportRejected, import_file, template
from kb.reviews import statecache
from kb.reviews.snapshot import current as current_snapshot
from webapp.lookup import snapshot
from webapp.monitoring_svg import trend_svg
from webapp.plans import paged
from webapp.render import NotFoundWithHints, error_response, twin, wants_json
from webapp.security import login_required, safe_next

bp = Blueprint("monitoring", __name__)
OTHER = "other"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@bp.app_template_global()
def monitoring_chart(row: dict[str, Any], large: bool = False):
    """The SVG trend chart of a row (templates call it; the JSON twins stay free of markup)."""
    return trend_svg(row, 560, 200, labels=True) if large else trend_svg(row, 120, 40)


def monitoring_rows() -> tuple[dict[str, dict], list[dict], list[dict]]:
    """(indicator index, overview rows, orphans) once per state (a build, a department or link review, a value
    entered, not a note: the snapshot's cache rule, kb.reviews.statecache) and day (statuses depend on the date),
    shared by requests; read-only."""
    if "monitoring" not in g:
        snap = current_snapshot()  # not the request's: after a value is entered the page shows the new state
        g.monitoring = statecache.cached(snap, ("monitoring", date.today()), _compute_rows, scope="records")
    return g.monitoring


def _compute_rows() -> tuple[dict[str, dict], list[dict], list[dict]]:
    index = obsdb.indicator_index()
    anchored, orphans = obsdb.load(index)
    return index, mon.overview(index, anchored), orphans


def row_json(r: dict[str, Any]) -> dict[str, Any]:
    """One indicator for pages and JSON: target, yearly values with status, pace and provenance, warnings."""
    ind, a = r["indicator"], mon.assessment_json(r["assessment"])
    paced = pc.assess_pace(ind, r["obs"], ind["period"], a["years"])
    values = []
    for y in a["years"]:
        obs, st = r["rows"].get(y), a["per_year"][str(y)]
        values.append(
            {
                "pace": paced["per_year"][y].as_dict(),
                "path": paced["path"].get(y),
                "year": y,
                "value": obs["value"] if obs else None,
                "display": mon.fmt(obs["value"]) if obs else "",
                "status": st["code"],
                "label": st["label"],
                "reason": st["reason"],
                "source": obs["source"] if obs else "",
                "note": obs["note"] if obs else "",
                "entered_by": obs["entered_by"] if obs else "",
                "entered_at": obs["entered_at"] if obs else "",
            }
        )
    return {
        "id": ind["id"],
        "name": ind["name"],
        "item": ind["item"],
        "item_title": ind["item_title"],
        "plan": ind["plan"],
        "domain": ind["domain"],
        "domain_code": ind["domain_code"] or OTHER,
        "raw": ind.get("raw", ""),
        "unit": r["unit"],
        "owners": ind["owners"],
        "lead": r["lead"],
        "departments": ind["departments"],
        "target": a["target"],
        "target_year": a["target_year"],
        "baseline_year": a["baseline_year"],
        "rule": a["rule"],
        "bounds": a["bounds"],
        "years": a["years"],
        "values": values,
        "current": a["current"],
        "latest_year": a["latest_year"],
        "warnings": a["warnings"],
        "projection": a["projection"],
        "pace": paced["per_year"][a["latest_year"]].as_dict() if a["latest_year"] is not None else None,
        "pace_projection": paced["projection"],
        "url": url_for("monitoring.indicator_page", ind_id=ind["id"]),
    }


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
        "orphans": [
            {k: o[k] for k in ("indicator", "indicator_name", "year", "value", "unit", "why")} for o in orphans
        ],
    }


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


@twin(bp, "/monitoring/department/<name>", "monitoring/list.html")
def department_page(name: str) -> dict[str, Any]:
    dep = departments.resolve(name)
    name = dep.canonical if dep else name  # any alias (教育局, 卫生健康部门) opens the same dashboard
    _index, rows, _ = monitoring_rows()
    lead = mon.select(rows, department=name, role="lead")
    co = mon.select(rows, department=name, role="co")
    if not lead and not co:
        names = [d["name"] for d in _departments(rows)]
        close = difflib.get_close_matches(name, names, n=5, cutoff=0.3)
        raise NotFoundWithHints(
            f"“{name}”没有负责的监测指标",
            [{"label": n, "url": url_for("monitoring.department_page", name=n)} for n in close],
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


def _find(ind_id: str) -> dict[str, Any]:
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
    r = _find(ind_id)
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
    row = row_json(_find(ind_id))
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


@bp.post("/api/indicators/<ind_id>/observations")
@bp.post("/monitoring/indicator/<ind_id>")  # registered first: url_for() gives the HTML form's address
@login_required
def enter_value(ind_id: str):
    """Set or clear one year's value (form or JSON: year, value, unit, source, convert)."""
    r = _find(ind_id)
    ind = r["indicator"]
    f = (request.get_json(silent=True) or {}) if request.is_json else request.form
    if not hasattr(f, "get"):
        abort(400, description="请求体必须是 JSON 对象")
    back = safe_next(
        request.form.get("next") if not request.is_json else None,
        url_for("monitoring.indicator_page", ind_id=ind["id"]),
    )
    try:
        value = f.get("value")
        if not request.is_json and not str(value or "").strip() and not f.get("clear"):
            # An empty box submitted by Enter must not delete the year's value; clearing is explicit.
            raise obsdb.ObservationError("请填写数值(要删除该年度数值,请在指标页使用“删除”)")
        entry = mvalues.make_entry(
            ind,
            str(f.get("year", "")),
            "" if value is None else str(value),
            unit=str(f.get("unit") or "").strip() or None,
            source=str(f.get("source") or ""),
            convert=str(f.get("convert", "")).lower() in ("1", "true", "on", "yes"),
            known_unit=r["unit"],
        )
        counts = obsdb.write([entry], g.user["name"], monitoring_rows()[0])
    except obsdb.ObservationError as exc:
        if wants_json():
            return error_response(422, str(exc))
        flash(f"未保存:{exc}", "error")
        return redirect(back)
    g.pop("monitoring", None)
    fresh = row_json(_find(ind["id"]))
    v = next((v for v in fresh["values"] if v["year"] == entry.year), None)  # a year outside the period: none
    st = (
        {"code": v["status"], "label": v["label"], "reason": v["reason"]}
        if v
        else {"code": "", "label": "", "reason": ""}
    )
    if wants_json():
        return jsonify(
            {
                "ok": True,
                "indicator": ind["id"],
                "year": entry.year,
                "value": entry.value,
                "unit": entry.unit,
                "note": entry.note,
                "changes": {k: v for k, v in counts.items() if k != "batch"},
                "status": st,
                "current": fresh["current"],
                "warnings": fresh["warnings"],
            }
        )
    what = "已删除" if entry.value is None else f"已保存 {entry.year}年 {mon.fmt(entry.value)}{entry.unit or ''}"
    flash(
        f"{ind['name']}:{what}{('(' + entry.note + ')') if entry.note else ''} → {st['label']}"
        if entry.value is not None
        else f"{ind['name']} {entry.year}年:{what}",
        "ok",
    )
    return redirect(back)


def download_response(data: bytes, filename: str, mimetype: str) -> Response:
    resp = Response(data, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
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
    chosen = mon.select(rows, **args)
    if not chosen:
        abort(404, description="没有符合条件的指标")
    label = "".join(f"·{v}" for v in args.values() if v)
    title = f"监测评估报告{label}"
    maker = report_docx if fmt == "docx" else report_xlsx
    return download_response(
        maker(chosen, title), f"{title}-{date.today():%Y%m%d}.{fmt}", DOCX if fmt == "docx" else XLSX
    )


@bp.post("/api/monitoring/import")
@bp.post("/monitoring/import")
@login_required
def import_upload():
    """Import a filled template: every cell validated; on any problem nothing is written (422 with the list)."""
    up = request.files.get("file")
    if up is None or not up.filename:
        if wants_json():
            return error_response(422, "请选择要导入的 xlsx 文件(字段 file)")
        flash("请选择要导入的 xlsx 文件", "error")
        return redirect(url_for("monitoring.overview_page") + "#import")
    try:
        counts = import_file(up.read(), g.user["name"], monitoring_rows()[0])
    except ImportRejected as exc:
        errors = [{"row": e.row, "col": e.col, "message": e.message} for e in exc.errors]
        if wants_json():
            return jsonify({"ok": False, "status": 422, "error": str(exc).splitlines()[0], "errors": errors}), 422
        return render_template(
            "monitoring/import_result.html", title="导入被拒绝", errors=errors, filename=up.filename
        ), 422
    changes = {k: v for k, v in counts.items() if k != "batch"}
    if wants_json():
        return jsonify({"ok": True, "changes": changes, "batch": counts["batch"]})
    flash(
        f"已导入 {up.filename}:新增 {counts['set']},修改 {counts['change']},删除 {counts['clear']}"
        f"(批次 {counts['batch']})",
        "ok",
    )
    return redirect(url_for("monitoring.overview_page"))


from webapp import monitoring_reports  # noqa: E402, F401  (registers the document routes on bp)
