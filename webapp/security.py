"""Secret key, session cookies, CSRF tokens, the signed-in reviewer and the security headers."""

from __future__ import annotations

import hmac
import os
import secrets
from functools import wraps
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, request, session
from flask.sessions import SecureCookieSessionInterface

from kb import paths

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# No inline script anywhere (all JS lives in static files); nothing from other origins.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def secret_key(data_dir: Path | None = None) -> bytes:
    """The app's secret key: made once on first run into the data folder (never in the repo), then reused."""
    path = (data_dir or paths.data_dir()) / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # O_EXCL: workers racing at start agree
    except FileExistsError:
        key = path.read_bytes()
        if len(key) >= 32:
            return key
        raise RuntimeError(f"密钥文件损坏,请删除后重启: {path}") from None
    with os.fdopen(fd, "wb") as fh:
        key = secrets.token_bytes(48)
        fh.write(key)
    return key


class SessionInterface(SecureCookieSessionInterface):
    """Signed cookie sessions whose cookie is Secure whenever the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or request.is_secure


def csrf_token() -> str:
    """This session's CSRF token (created on first use); forms embed it, write API calls send it as a header."""
    token = session.get(CSRF_FIELD)
    if not token:
        token = session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return token


def _check_csrf() -> None:
    """Refuse a write whose token is missing or does not match the session's."""
    if request.method not in WRITE_METHODS or request.endpoint == "static":
        return
    if request.routing_exception is not None:
        # No route takes this method at this address (404/405): nothing can be written, so the routing answer is
        # the true one. Before-request hooks run before Flask raises it, which made `POST /` a 400 without a
        # token and a 405 with one. Every route that does accept the write still has a token checked below.
        return
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    expected = session.get(CSRF_FIELD, "")
    if not expected or not sent or not hmac.compare_digest(str(sent), str(expected)):
        abort(400, description="表单已过期或缺少安全令牌 (CSRF),请刷新页面后重试")


def _load_user() -> None:
    """g.user: the reviewer of this cookie's server-side session, while that session lives."""
    g.user = None
    token = session.get("sid")
    if not token:
        if session.get("user"):  # a cookie from before server-side sessions: no longer valid
            session.clear()
        return
    import sqlite3

    from kb.reviews.audit import read
    from kb.store.users import session_user

    try:  # on this thread's read connection: a fresh one per request cost a signed-in page about a millisecond
        user = read(lambda conn: session_user(str(token), conn))
    except sqlite3.Error as exc:  # the durable DB is unreadable: reading still works, signed out, cause logged
        current_app.logger.error("sessions unreadable (reviews database): %s", exc, exc_info=exc)
        g.db_problem = f"审核数据库暂时无法读取({exc}),暂不能登录和审核;页面显示的是未经审核的自动标注。"
        return
    if user is None:
        session.clear()  # signed out elsewhere, expired, password changed or account disabled
        return
    g.user = {"name": user["name"], "role": user["role"], "department": user.get("department")}


def sign_in(user: dict) -> None:
    """Start a fresh session for this account (nothing carried over, a new CSRF token, a new server record)."""
    from kb.store.users import start_session

    session.clear()
    session.permanent = True
    session.update(sid=start_session(user["name"], request.remote_addr or "-"))
    csrf_token()


def sign_out() -> None:
    """End the server-side session too, so a copied cookie is worth nothing afterwards."""
    from kb.store.users import end_session

    token = session.get("sid")
    if token:
        end_session(str(token))
    session.clear()


def login_required(view):
    """Writes always need a signed-in reviewer: 401 (API) or a redirect to the sign-in page (HTML)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.get("user") is None:
            abort(401, description="请先登录审核员账号")
        return view(*args, **kwargs)

    return wrapper


def _headers(response):
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static":
        h.setdefault("Cache-Control", "no-store" if g.get("user") else "no-cache")
    return response


# Applied before the caller's config, so tests or deployments can still override them.
COOKIE_DEFAULTS = {
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "plankb_session",
    "PERMANENT_SESSION_LIFETIME": 8 * 3600,
    # The cookie is signed and sent again only when the session changes: its expiry stays at sign-in + 8 h, as
    # the server-side record's absolute lifetime does, and an unchanged request pays no re-signing
    "SESSION_REFRESH_EACH_REQUEST": False,
}


def init_app(app: Flask) -> None:
    """Wire the key, cookie settings, CSRF check, user loading and headers into the app."""
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key()
    app.session_interface = SessionInterface()
    app.before_request(_check_csrf)
    app.before_request(_load_user)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a same-site path, else `default`: the one open-redirect guard for every form's next."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    return default if parts.scheme or parts.netloc else target
