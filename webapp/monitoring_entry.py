"""监测评估 value entry: one year's value typed on the indicator page (or its JSON twin) and a filled template
imported. Routes live on the monitoring blueprint (webapp/monitoring.py imports this module)."""

from __future__ import annotations

from flask import abort, flash, g, jsonify, redirect, render_template, request, url_for

from kb import monitoring as mon
from kb.monitoring import observations as obsdb
from kb.monitoring import values as mvalues
from kb.monitoring.workbook import ImportRejected, import_file
from webapp.monitoring import bp, find_row
from webapp.monitoring_rows import monitoring_rows, row_json
from webapp.render import error_response, wants_json
from webapp.security import login_required, safe_next


def _flag(fields, name: str) -> bool:
    """A checkbox or JSON boolean: on, 1, true, yes (JSON true reads as "True")."""
    return str(fields.get(name, "")).lower() in ("1", "true", "on", "yes")


@bp.post("/api/indicators/<ind_id>/observations")
@bp.post("/monitoring/indicator/<ind_id>")  # registered first: url_for() gives the HTML form's address
@login_required
def enter_value(ind_id: str):
    """Set or clear one year's value (form or JSON: year, value or clear, unit, source, convert)."""
    r = find_row(ind_id)
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
        typed = value is not None and str(value).strip() != ""
        clear = _flag(f, "clear")
        # Clearing is explicit (the form's checkbox, the API's "clear": true): an empty box submitted by Enter or
        # a JSON body that forgot "value" must not delete the year's value.
        if clear and typed:
            raise obsdb.ObservationError("既填写了数值又选择了删除,请二选一")
        if not clear and not typed:
            raise obsdb.ObservationError(
                '缺少数值 value(要删除该年度数值,请发送 "clear": true)'
                if request.is_json
                else "请填写数值(要删除该年度数值,请在指标页使用“删除”)"
            )
        entry = mvalues.make_entry(
            ind,
            str(f.get("year", "")),
            value if isinstance(value, int | float) else str(value) if typed else "",  # JSON numbers stay numbers
            unit=str(f.get("unit") or "").strip() or None,
            source=str(f.get("source") or ""),
            convert=_flag(f, "convert"),
            known_unit=r["unit"],
        )
        counts = obsdb.write([entry], g.user["name"], monitoring_rows()[0])
    except obsdb.ObservationError as exc:
        if wants_json():
            return error_response(422, str(exc))
        flash(f"未保存:{exc}", "error")
        return redirect(back)
    g.pop("monitoring", None)
    fresh = row_json(find_row(ind["id"]))
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
