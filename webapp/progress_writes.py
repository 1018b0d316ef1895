"""进度报告 writes: a department's report saved or submitted, attachments added, removed and downloaded, and the
妇儿工委办's return, deadline and cadence decisions. Routes on webapp.progress's blueprint (which imports this)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Response, abort, flash, g, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from kb.exports.safety import ascii_filename, content_disposition
from kb.progress import Conflict, ProgressError, service
from kb.progress import attachments as att
from kb.progress.store import Draft
from webapp.permissions import ADMIN, SIGNED_IN, permit
from webapp.progress import WRITERS, bp, report_page, request_board, writable_department
from webapp.render import wants_json
from webapp.security import safe_next


def _back(default: str) -> Any:
    return redirect(safe_next(request.form.get("back"), default))


def _fields() -> dict[str, Any]:
    src = request.get_json(silent=True) if request.is_json else request.form
    if not hasattr(src, "get"):
        abort(400, description="请求体必须是 JSON 对象")
    return src  # type: ignore[return-value]


def _int(value: Any, what: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        abort(400, description=f"{what}须为整数")


@permit(bp, *WRITERS)
@bp.post("/progress/department/<name>/item/<item_id>", endpoint="save_report")
@bp.post("/api/progress/department/<name>/item/<item_id>", endpoint="save_report_api")
def save_report(name: str, item_id: str):
    dept = writable_department(name)
    f = _fields()
    period = str(f.get("period") or request.args.get("period") or request_board().period.code)
    if request.is_json:
        values = f.get("indicator_values") or {}
        if not isinstance(values, dict):
            abort(400, description="indicator_values 须为对象")
    else:
        values = {k[4:]: v for k, v in f.items() if k.startswith("ind:")}
    draft = Draft(
        item=item_id,
        status=str(f.get("status") or ""),
        progress=str(f.get("progress") or ""),
        next_steps=str(f.get("next_steps") or ""),
        difficulties=str(f.get("difficulties") or ""),
        evidence=str(f.get("evidence") or ""),
        indicator_values=values,
    )
    submit = str(f.get("action") or "save") == "submit"
    upload = request.files.get("file")
    data = upload.read() if upload is not None and upload.filename else None
    try:
        if upload is not None and data is not None:
            # A refused file refuses the whole save: the report was written (even submitted) while the page said
            # the file was refused, so the reporter believed nothing had happened.
            att.check(upload.filename or "", data)
        rep = service.write_report(
            g.user, dept, period, draft, submit=submit, expected_version=_int(f.get("version"), "version")
        )
        added = service.attach(g.user, rep["id"], upload.filename or "", data) if upload and data is not None else None
    except ProgressError as exc:
        if wants_json():
            raise
        return _form_again(dept, item_id, period, draft, f, exc)
    if wants_json():
        return jsonify({"ok": True, "report": rep, "attachment": added})
    flash("已提交" if submit else "已保存草稿", "ok")
    return redirect(url_for("progress.report_page", name=dept, item_id=item_id, period=period))


def _form_again(dept: str, item_id: str, period: str, draft: Draft, f: Any, exc: ProgressError):
    """The report page again with what was typed and why it was not saved (an error page lost the typing)."""
    try:
        request_board(period=period)
        ctx = report_page(dept, item_id)
    except (HTTPException, ProgressError):
        raise exc from None  # no form to show (unknown item or period): the plain error page
    ctx["fields"] = {k: getattr(draft, k) for k in ("status", "progress", "next_steps", "difficulties", "evidence")}
    for ind in ctx["indicators"]:
        ind["value"] = str(draft.indicator_values.get(ind["id"], ind["value"]))
    ctx["version"] = f.get("version") or ctx["version"]  # kept: a stale version must still conflict
    keep = ";您填写的内容保留在下方,请复制后刷新页面" if isinstance(exc, Conflict) else ""
    ctx["form_error"] = f"未保存:{exc}{keep}"
    return render_template("progress/report.html", **ctx), exc.status


@permit(bp, *WRITERS)
@bp.post("/api/progress/reports/<int:rid>/attachments", endpoint="attach_api")
def attach_api(rid: int):
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(400, description="请选择要上传的文件(字段 file)")
    return jsonify({"ok": True, "attachment": service.attach(g.user, rid, upload.filename, upload.read())})


@permit(bp, *WRITERS)
@bp.post("/progress/attachments/<int:aid>/delete", endpoint="detach")
@bp.post("/api/progress/attachments/<int:aid>/delete", endpoint="detach_api")
def detach(aid: int):
    row = service.read_attachment(aid)
    rep = service.report_for(g.user, row["report"])
    service.detach(g.user, rep["id"], aid)
    if wants_json():
        return jsonify({"ok": True})
    flash("已删除附件", "ok")
    return redirect(url_for("progress.report_page", name=rep["department"], item_id=rep["item"], period=rep["period"]))


@permit(bp, *SIGNED_IN)
@bp.get("/progress/attachments/<int:aid>")
def attachment_download(aid: int):
    row = service.read_attachment(aid)
    service.report_for(g.user, row["report"])
    path = att.blob_path(row["sha256"])
    if not path.exists():
        abort(404, description="附件文件已丢失,请联系管理员")
    resp = Response(path.read_bytes(), mimetype=att.mime(row["kind"]))
    # a file name in a script pinyin cannot spell (写真.jpg is Han, テスト.pdf is not) falls back to its id
    suffix = Path(row["filename"]).suffix if Path(row["filename"]).suffix.isascii() else ""
    resp.headers["Content-Disposition"] = content_disposition(
        row["filename"], ascii_filename(row["filename"], default=f"attachment-{aid}{suffix}")
    )
    resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@permit(bp, ADMIN)
@bp.post("/progress/reports/<int:rid>/return", endpoint="return_report")
@bp.post("/api/progress/reports/<int:rid>/return", endpoint="return_report_api")
def return_report(rid: int):
    rep = service.return_report(g.user, rid, str(_fields().get("comment") or ""))
    if wants_json():
        return jsonify({"ok": True, "report": rep})
    flash("已退回", "ok")
    return redirect(url_for("progress.report_page", name=rep["department"], item_id=rep["item"], period=rep["period"]))


@permit(bp, ADMIN)
@bp.post("/progress/reports/<int:rid>/accept", endpoint="accept_report")
@bp.post("/api/progress/reports/<int:rid>/accept", endpoint="accept_report_api")
def accept_report(rid: int):
    rep = service.accept_report(g.user, rid)
    if wants_json():
        return jsonify({"ok": True, "report": rep})
    flash("已确认报告", "ok")
    return redirect(url_for("progress.report_page", name=rep["department"], item_id=rep["item"], period=rep["period"]))


@permit(bp, ADMIN)
@bp.post("/progress/deadline/<item_id>", endpoint="set_deadline")
@bp.post("/api/progress/deadline/<item_id>", endpoint="set_deadline_api")
def set_deadline(item_id: str):
    f = _fields()
    after = service.set_deadline(g.user, item_id, str(f.get("deadline") or ""), str(f.get("reason") or ""))
    if wants_json():
        return jsonify({"ok": True, "deadline": after})
    flash("已调整完成时限" if after else "已恢复按原文确定的完成时限", "ok")
    return _back(url_for("progress.overview_page"))


@permit(bp, ADMIN)
@bp.post("/progress/cadence", endpoint="set_cadence")
@bp.post("/api/progress/cadence", endpoint="set_cadence_api")
def set_cadence():
    f = _fields()
    service.set_cadence(g.user, str(f.get("plan") or "") or None, str(f.get("cadence") or ""))
    if wants_json():
        return jsonify({"ok": True})
    flash("已设置报告周期", "ok")
    return redirect(url_for("progress.overview_page"))
