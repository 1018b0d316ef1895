"""Account administration for the 妇儿工委办 (admin role): create, disable, reset a password, bind to a department."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, abort, g, jsonify, render_template, request

from kb.labels import USER_ROLE
from kb.store import users
from kb.store.names import AccountError
from webapp.permissions import ADMIN, permit
from webapp.render import error_response, twin, wants_json

bp = Blueprint("admin", __name__)


def _ctx(message: str = "", error: str = "", issued: dict[str, str] | None = None) -> dict[str, Any]:
    from kb.progress.scope import scope

    return {
        "users": users.list_users(),
        "roles": USER_ROLE,
        "departments": scope().departments(),
        "message": message,
        "error": error,
        "issued": issued,
        "title": "账号管理",
    }


@permit(bp, ADMIN)
@twin(bp, "/admin/users", "admin/users.html")
def users_page() -> dict[str, Any]:
    return _ctx()


def _fields() -> dict[str, str]:
    src = request.get_json(silent=True) if request.is_json else request.form
    if not hasattr(src, "get"):
        abort(400, description="请求体必须是 JSON 对象")
    return {k: str(v) for k, v in dict(src).items() if v is not None}  # type: ignore[arg-type]


def _done(message: str, issued: dict[str, str] | None = None):
    if wants_json():
        return jsonify({"ok": True, "message": message, "issued": issued, "users": users.list_users()})
    return render_template("admin/users.html", **_ctx(message=message, issued=issued))


def _failed(exc: AccountError):
    if wants_json():
        return error_response(422, str(exc))
    return render_template("admin/users.html", **_ctx(error=str(exc))), 422


def _temporary_password() -> str:
    """A one-time password shown once to the admin, who hands it to the user."""
    return secrets.token_urlsafe(12)


@permit(bp, ADMIN)
@bp.post("/admin/users", endpoint="create_user")
@bp.post("/api/admin/users", endpoint="create_user_api")
def create_user():
    f = _fields()
    password = f.get("password") or _temporary_password()
    try:
        u = users.add_user(
            f.get("name", ""), password, f.get("role", "reporter"), department=f.get("department") or None
        )
    except AccountError as exc:
        return _failed(exc)
    issued = None if f.get("password") else {"name": u["name"], "password": password}
    return _done(
        f"已创建账号 {u['name']}({USER_ROLE[u['role']]}{' · ' + u['department'] if u['department'] else ''})",
        issued,
    )


@permit(bp, ADMIN)
@bp.post("/admin/users/<name>/<action>", endpoint="user_action")
@bp.post("/api/admin/users/<name>/<action>", endpoint="user_action_api")
def user_action(name: str, action: str):
    f = _fields()
    try:
        if action in ("disable", "enable"):
            if action == "disable" and name == g.user["name"]:
                raise AccountError("不能停用自己的账号")
            users.set_active(name, action == "enable")
            return _done(f"已{'启用' if action == 'enable' else '停用'}账号 {name}")
        if action == "password":
            password = _temporary_password()
            users.set_password(name, password)
            return _done(f"已重置 {name} 的密码,请将临时密码告知本人", {"name": name, "password": password})
        if action == "role":
            if name == g.user["name"] and f.get("role") != ADMIN:
                raise AccountError("不能取消自己的管理员角色")
            u = users.set_role(name, f.get("role", ""), f.get("department") or None)
            return _done(f"{u['name']}: {USER_ROLE[u['role']]}{' · ' + u['department'] if u['department'] else ''}")
    except AccountError as exc:
        return _failed(exc)
    abort(404, description=f"未知的账号操作“{action}”")
