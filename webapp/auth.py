"""Sign-in and sign-out for reviewers (accounts come from `python -m kb user add`)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for

from kb.store.users import LoginFailed, LoginThrottled, authenticate
from webapp.render import error_response, wants_json
from webapp.security import csrf_token, safe_next, sign_in, sign_out

bp = Blueprint("auth", __name__)


def _client_ip() -> str:
    return request.remote_addr or "-"


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"), url_for("home.index"))
    if request.method == "GET":
        if g.user:
            return redirect(next_url)
        return render_template("login.html", next=next_url, error="", name="", title="登录")
    name, password = request.form.get("name", ""), request.form.get("password", "")
    try:
        user = authenticate(name, password, _client_ip())
    except LoginThrottled as exc:
        resp = render_template("login.html", next=next_url, error=str(exc), name=name, title="登录")
        return resp, 429, {"Retry-After": str(exc.wait)}
    except LoginFailed as exc:
        return render_template("login.html", next=next_url, error=str(exc), name=name, title="登录"), 401
    sign_in(user)
    return redirect(next_url)


@bp.post("/api/login")
def api_login():
    """JSON sign-in for scripts: {"name", "password"} with the X-CSRF-Token of a session (GET /api/session)."""
    data = request.get_json(silent=True) or {}
    try:
        user = authenticate(str(data.get("name", "")), str(data.get("password", "")), _client_ip())
    except LoginThrottled as exc:
        resp, status = error_response(429, str(exc))
        resp.headers["Retry-After"] = str(exc.wait)
        return resp, status
    except LoginFailed as exc:
        return error_response(401, str(exc))
    sign_in(user)
    return jsonify({"ok": True, "user": {"name": user["name"], "role": user["role"]}, "csrf_token": csrf_token()})


@bp.get("/api/session")
def api_session():
    """Who is signed in, and the CSRF token write calls must send in the X-CSRF-Token header."""
    return jsonify({"ok": True, "user": g.user, "csrf_token": csrf_token()})


@bp.post("/api/logout", endpoint="logout_api")
@bp.post("/logout")
def logout():
    sign_out()
    if wants_json():
        return jsonify({"ok": True, "user": None})
    return redirect(url_for("home.index"))
