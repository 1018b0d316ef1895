"""Review actions (signed-in reviewers only) and the audit log page; all writes go through kb.reviews."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, g, jsonify, redirect, request, url_for

from kb import reviews
from kb.labels import ACTION
from kb.reviews.audit import ReviewError as AuditError
from webapp.lookup import item_url, resolve_item, snapshot
from webapp.render import NotFoundWithHints, error_response, twin, wants_json
from webapp.reviewdata import audit, entry
from webapp.security import login_required, safe_next

bp = Blueprint("review", __name__)
MAX_TEXT = 20_000  # notes and reasons longer than this are refused, not cut
# what each form field is called on the page, for "请填写…" (the field names stay in the error's details)
FIELD_LABELS = {
    "item": "条目",
    "action": "审核操作",
    "department": "部门",
    "role": "职责",
    "goal": "目标",
    "repair": "修复",
    "body": "备注内容",
    "note": "备注",
    "to": "目标部门",
}


def need(fields: dict[str, str], *names: str) -> list[str]:
    """The values of these fields; ReviewError naming the missing ones in words (their names in `details`)."""
    missing = [n for n in names if not fields.get(n)]
    if missing:
        words = "、".join(FIELD_LABELS.get(n, n) for n in missing)
        raise reviews.ReviewError(f"请填写{words}。", "missing_fields", {"missing": missing})
    return [fields[n] for n in names]


def unknown_action(action: str, allowed: list[str]) -> reviews.ReviewError:
    """The error for an action the form or API does not offer (the valid ones in `details`, not in the message)."""
    message = f"无法识别的审核操作“{action}”。" if action else "请选择一项审核操作。"
    return reviews.ReviewError(message, "unknown_action", {"allowed": allowed})


def _act(item: str, f: dict[str, str], by: str, reason: str) -> int:
    """Dispatch one review action; returns the audit id."""
    action = f.get("action", "")
    table: dict[str, Callable[[], Any]] = {
        "assignment.accept": lambda: reviews.accept_assignment(
            item, *need(f, "department"), by, reason, role=f.get("role") or None
        ),
        "assignment.reject": lambda: reviews.reject_assignment(item, *need(f, "department"), by, reason),
        "assignment.role": lambda: reviews.set_role(item, *need(f, "department", "role"), by, reason),
        "assignment.add": lambda: reviews.add_assignment(
            item, *need(f, "department"), by, reason, role=f.get("role") or "co"
        ),
        "link.confirm": lambda: reviews.confirm_link(item, *need(f, "goal"), by, reason),
        "link.add": lambda: reviews.add_link(item, *need(f, "goal"), by, reason),
        "link.remove": lambda: reviews.remove_link(item, *need(f, "goal"), by, reason),
        "repair.accept": lambda: reviews.accept_repair(*need(f, "repair"), by, reason),
        "repair.reject": lambda: reviews.reject_repair(*need(f, "repair"), by, reason),
        "note.add": lambda: reviews.add_note(item, *need(f, "body"), by, reason)[1],
        "note.edit": lambda: reviews.edit_note(*need(f, "note", "body"), by, reason, item=item, moderator=_admin()),
        "note.remove": lambda: reviews.remove_note(*need(f, "note"), by, reason, item=item, moderator=_admin()),
    }
    if action not in table:
        raise unknown_action(action, list(table))
    return int(table[action]())


def _admin() -> bool:
    """Admins moderate: they may edit or remove anyone's note."""
    return bool(g.user) and g.user.get("role") == "admin"


def review_fields() -> dict[str, str]:
    """Form fields or a JSON body, as stripped strings (notes keep their inner whitespace); a field over MAX_TEXT
    is a 413, never cut or dropped. The review queue reads its forms with this too: one limit for every review."""
    src = request.get_json(silent=True) if request.is_json else request.form
    if not isinstance(src, dict) and not hasattr(src, "get"):
        abort(400, description="请求体必须是 JSON 对象")
    raw = dict(src)
    odd = [k for k, v in raw.items() if isinstance(v, (list, dict, bool))]
    if odd:  # str() made them Python's spelling: 无法识别的审核操作“['accept']”, 未找到部门“True”
        words = "、".join(f"“{FIELD_LABELS.get(k, k)}”" for k in odd)
        abort(400, description=f"{words}应填写文字或数字。")
    out = {k: str(v) for k, v in raw.items() if v is not None}
    if any(len(v) > MAX_TEXT for v in out.values()):
        abort(413, description=f"内容过长(每个字段最多 {MAX_TEXT} 字)")
    out = {k: (v if k == "body" else v.strip()) for k, v in out.items()}
    if ":" in out.get("action", ""):  # a form button may carry its role: assignment.role:lead
        out["action"], out["role"] = out["action"].split(":", 1)
    return out


@bp.post("/api/items/<path:item_id>/review", endpoint="review_item_api")
@bp.post("/items/<path:item_id>/review")
@login_required
def review_item(item_id: str):
    it = resolve_item(snapshot(), item_id)
    fields = review_fields()
    try:
        kept = _kept(it["id"], fields)
        audit_id = _act(it["id"], fields, g.user["name"], fields.get("reason", ""))
    except (reviews.ReviewError, AuditError) as exc:
        if wants_json():
            return error_response(422, str(exc), extra=exc.fields())
        flash(str(exc), "error")
        return redirect(item_url(it["id"]) + "#review")
    label = ACTION.get(fields.get("action", ""), "审核")
    message = f"已保存:{label}(记录 #{audit_id})" + (f"。{kept}" if kept else "")
    if wants_json():
        out = {"ok": True, "audit_id": audit_id, "item": it["id"], "action": fields.get("action"), "message": message}
        if kept:  # the co asked for was not applied: the body leads, as it did
            out.update(kept_role="lead", notice=kept)
        return jsonify(out)
    flash(message, "ok")
    return redirect(item_url(it["id"]) + "#review")


def _kept(item: str, f: dict[str, str]) -> str:
    """What an add will not do, said beside its 已保存 (kb.reviews.kept_lead): read before the add, "" otherwise."""
    if f.get("action") != "assignment.add" or not f.get("department"):
        return ""
    return reviews.kept_lead(item, f["department"], f.get("role") or "co")


@bp.app_template_filter("localtime")
def _localtime(value: str | None) -> str:
    """Templates: a stored UTC time as 2024-03-05 14:20 in the plan's time zone (webapp.timefmt)."""
    from webapp.timefmt import local_time

    return local_time(value)


@bp.post("/api/reviews/<int:audit_id>/undo", endpoint="undo_api")
@bp.post("/reviews/<int:audit_id>/undo")
@login_required
def undo(audit_id: int):
    fields = review_fields()
    e = entry(audit_id)
    if e is not None and not e["undoable"] and (e["redoable"] or e["is_undo"]):
        # a second click on 撤销 (or 撤销 of an undo) would re-apply the change: say so instead
        msg = (
            f"记录 #{audit_id} 已撤销(#{e['undone_by']}),无需再次撤销;如要恢复,请点“恢复”"
            if e["redoable"]
            else f"记录 #{audit_id} 本身是撤销操作;如要恢复原修改,请在被撤销的那一行点“恢复”"
        )
        return _refused(msg)
    try:
        new_id = reviews.undo(audit_id, g.user["name"], fields.get("reason", ""))
    except (reviews.ReviewError, AuditError) as exc:
        return _refused(str(exc), exc.fields())
    if wants_json():
        return jsonify({"ok": True, "audit_id": new_id, "undoes": audit_id})
    flash(f"已撤销:{e['summary'] if e else f'记录 #{audit_id}'}(新记录 #{new_id})", "ok")
    return redirect(_back())


@bp.post("/api/reviews/<int:audit_id>/redo", endpoint="redo_api")
@bp.post("/reviews/<int:audit_id>/redo")
@login_required
def redo(audit_id: int):
    """恢复: re-apply a change that was undone (by undoing its undo), once."""
    e = entry(audit_id)
    undo_id = (e or {}).get("undone_by")
    if not e or not e["redoable"] or not undo_id:
        msg = f"记录 #{audit_id} 没有被撤销,无需恢复"
        return _refused(msg)
    try:
        new_id = reviews.undo(undo_id, g.user["name"], review_fields().get("reason", "") or "恢复")
    except (reviews.ReviewError, AuditError) as exc:
        return _refused(str(exc), exc.fields())
    if wants_json():
        return jsonify({"ok": True, "audit_id": new_id, "redoes": audit_id})
    flash(f"已恢复:{e['summary']}(新记录 #{new_id})", "ok")
    return redirect(_back())


def _refused(message: str, extra: dict[str, Any] | None = None):
    """An undo or redo that cannot be done: 409 in the API error shape, or a flash back on the page."""
    if wants_json():
        return error_response(409, message, extra=extra)
    flash(message, "error")
    return redirect(_back())


def _back() -> str:
    """Return to the page the form was on when it is one of ours, else the audit log."""
    return safe_next(request.form.get("next"), url_for("review.audit_page"))


@twin(bp, "/reviews", "audit.html")
def audit_page() -> dict[str, Any]:
    args = {k: request.args.get(k, "").strip() or None for k in ("actor", "item", "since")}
    typed = args["item"]
    if typed:  # a short id (P law-m9, law-m9) filters as its full id does
        try:
            args["item"] = resolve_item(snapshot(), typed)["id"]
        except NotFoundWithHints:
            if not audit(limit=1, item=typed):  # nor an item of an earlier build the log still holds
                raise
    try:
        entries = audit(limit=500, **args)
    except (reviews.ReviewError, AuditError) as exc:
        abort(400, description=str(exc))
    return {"entries": entries, "filters": args, "total": len(entries), "title": "审核记录"}
