"""监测评估 documents: the annual report draft, the 统计监测指标体系 (admin-editable) and the 终期评估表 downloads.
Routes live on the monitoring blueprint (webapp/monitoring.py imports this module)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import abort, flash, g, jsonify, redirect, request, url_for

from kb.monitoring import annual, final, registry
from kb.monitoring.tables import to_docx, to_xlsx
from kb.reviews.snapshot import reviewed_items
from kb.store import KB
from webapp.monitoring import DOCX, XLSX, bp, download_response, monitoring_rows
from webapp.render import error_response, twin, wants_json
from webapp.security import login_required

MD = "text/markdown"  # werkzeug adds "; charset=utf-8" to text types (given here too, it was sent twice)


def _plan(kb: KB) -> dict[str, Any]:
    try:
        return annual.choose_plan(kb.plans(), request.args.get("plan") or None)
    except annual.ReportError as exc:
        abort(404, description=str(exc))


def _year(default: int | None) -> int | None:
    raw = (request.args.get("year") or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1990 <= int(raw) <= 2100:
        abort(400, description=f"无法识别的年度“{raw[:20]}”")
    return int(raw)


@bp.get("/monitoring/annual.<fmt>")
def annual_download(fmt: str):
    """The annual report draft of one plan and year (?year=, ?plan=), docx with charts or Markdown."""
    if fmt not in ("docx", "md"):
        abort(404, description="年度统计监测报告只支持 docx 或 md")
    _index, rows, _ = monitoring_rows()
    with KB() as kb:
        plan = _plan(kb)
        domains = annual.plan_domains(kb, plan["id"])
    year = _year(annual.latest_year(rows, plan["id"]))
    if year is None:
        abort(404, description="尚无监测数据,无法生成年度报告")
    years = annual.plan_years(rows, plan["id"])
    if years and year not in years:
        # 2019 gave "2019年《…(2021-2025年)》统计监测报告" saying every indicator had no data
        abort(400, description=f"{year}年不在本规划的监测年度内({years[0]}–{years[-1]}年)")
    report = annual.build(plan, rows, domains, year, charts=fmt == "docx")
    name = f"{year}年统计监测报告(初稿)-{date.today():%Y%m%d}.{fmt}"
    if fmt == "md":
        return download_response(annual.markdown(report).encode("utf-8"), name, MD)
    from kb.monitoring.annual_docx import report_docx

    return download_response(report_docx(report), name, DOCX)


@twin(bp, "/monitoring/registry", "monitoring/registry.html")
def registry_page() -> dict[str, Any]:
    index, _rows, _ = monitoring_rows()
    return {
        "title": "统计监测指标体系",
        "fields": registry.FIELDS,
        "frequencies": registry.definitions()["frequencies"],
        "entries": registry.entries(index),
        "can_edit": bool(g.get("user") and g.user.get("role") == "admin"),
    }


@bp.post("/api/monitoring/registry/<ind_id>")
@bp.post("/monitoring/registry/<ind_id>")
@login_required
def registry_update(ind_id: str):
    """An admin edits one indicator's 定义/计算方法/计量单位/资料来源/报送频率 (form or JSON)."""
    if g.user.get("role") != "admin":
        return error_response(403, "只有管理员可以修改统计监测指标体系")
    index, _rows, _ = monitoring_rows()
    ind = index.get(ind_id)
    if ind is None:
        return error_response(404, f"没有这个指标“{ind_id[:80]}”")
    f = (request.get_json(silent=True) or {}) if request.is_json else request.form
    if not hasattr(f, "get"):
        return error_response(400, "请求体必须是 JSON 对象")
    fields = {k: f.get(k) for k in registry.FIELDS if k in f}
    try:
        after = registry.update(ind, fields, g.user["name"])
    except registry.RegistryError as exc:
        if wants_json():
            return error_response(422, str(exc))
        flash(f"未保存:{exc}", "error")
        return redirect(url_for("monitoring.registry_page") + f"#r-{ind_id}")
    if wants_json():
        return jsonify({"ok": True, "indicator": ind_id, "fields": after})
    flash(f"{ind['name']}:指标体系已保存", "ok")
    return redirect(url_for("monitoring.registry_page") + f"#r-{ind_id}")


@bp.get("/monitoring/registry.<fmt>")
def registry_download(fmt: str):
    if fmt not in ("xlsx", "docx"):
        abort(404, description="指标体系只支持 xlsx 或 docx")
    index, _rows, _ = monitoring_rows()
    sheet = registry.sheet(registry.entries(index), "统计监测指标体系")
    data = (to_docx if fmt == "docx" else to_xlsx)([sheet])
    return download_response(data, f"统计监测指标体系-{date.today():%Y%m%d}.{fmt}", DOCX if fmt == "docx" else XLSX)


@bp.get("/monitoring/final.<fmt>")
def final_download(fmt: str):
    """The 终期评估表 (goals with target, baseline, final value, verdict; measures with their departments)."""
    if fmt not in ("xlsx", "docx"):
        abort(404, description="终期评估表只支持 xlsx 或 docx")
    _index, rows, _ = monitoring_rows()
    with KB() as kb:
        plan = _plan(kb)
        items = reviewed_items(plan=plan["id"])
    sheets = final.sheets(plan, items, rows, _year(None), final.report_status())
    data = (to_docx if fmt == "docx" else to_xlsx)(sheets)
    return download_response(data, f"终期评估表-{date.today():%Y%m%d}.{fmt}", DOCX if fmt == "docx" else XLSX)
