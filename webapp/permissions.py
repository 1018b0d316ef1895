"""Who may call what: one policy checked before every request, so no route can forget it.

Roles: admin (妇儿工委办), reviewer (tags), reporter (one department's progress reports), and the public.
Endpoints of the progress and admin areas declare their roles with `permit`; every other endpoint is public
to read, and its writes (POST/PUT/PATCH/DELETE) need a reviewer or an admin — so a reporter can never tag.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Flask, abort, current_app, g, request

from webapp.security import WRITE_METHODS

ADMIN, REVIEWER, REPORTER = "admin", "reviewer", "reporter"
SIGNED_IN = (ADMIN, REVIEWER, REPORTER)
EDITORS = (ADMIN, REVIEWER)
# Writes anyone may send: signing in and out.
OPEN_WRITES = {"auth.login", "auth.api_login", "auth.logout", "auth.logout_api"}
_POLICY: dict[str, tuple[str, ...]] = {}


def permit(bp: Blueprint, *roles: str, name: str | None = None) -> Callable:
    """Declare the roles of an endpoint of bp (and of its /api twin); put it above @twin or @bp.route."""

    def deco(fn: Callable) -> Callable:
        endpoint = f"{bp.name}.{name or fn.__name__}"
        _POLICY[endpoint] = roles
        _POLICY[endpoint + "_api"] = roles
        return fn

    return deco


def roles_of(endpoint: str, method: str) -> tuple[str, ...] | None:
    """The roles that may call this endpoint with this method (None: anyone)."""
    if endpoint in _POLICY:
        return _POLICY[endpoint]
    if method in WRITE_METHODS and endpoint not in OPEN_WRITES:
        return EDITORS
    return None


def enforce() -> None:
    """401 when a role is needed and nobody is signed in; 403 when the signed-in role is not among them."""
    endpoint = request.endpoint
    if not endpoint or endpoint == "static" or endpoint not in current_app.view_functions:
        return
    allowed = roles_of(endpoint, request.method)
    if allowed is None:
        return
    user = g.get("user")
    if user is None:
        abort(401, description="请先登录" if endpoint in _POLICY else "请先登录审核员账号")
    if user.get("role") not in allowed:
        if user.get("role") == REPORTER:
            abort(403, description="填报员账号只能查看和填报本部门的进度报告")
        abort(403, description="您的账号没有执行此操作的权限")


def init_app(app: Flask) -> None:
    """Check the policy after the user is loaded (security.init_app runs first)."""
    app.before_request(enforce)
