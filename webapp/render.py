"""One context dict per page, rendered twice (HTML template and /api/… JSON twin), and one error shape."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, jsonify, make_response, render_template, request
from werkzeug.exceptions import BadRequest, HTTPException, NotFound

from kb.errors import NoKnowledgeBase

log = logging.getLogger(__name__)

TITLES = {
    400: "请求有误",
    401: "需要登录",
    403: "无权执行此操作",
    404: "未找到",
    405: "不支持的操作",
    409: "操作冲突",
    413: "提交内容过大",
    422: "提交内容有误",
    429: "操作过于频繁",
    500: "服务器内部错误",
    503: "服务暂不可用",
}
DEFAULT_MESSAGES = {
    400: "请求的参数有误。",
    401: "此操作需要审核员登录。",
    403: "您没有执行此操作的权限。",
    404: "您要找的页面不存在。",
    405: "此地址不支持该操作。",
    413: "提交的内容过大。",
    429: "请求过于频繁,请稍后再试。",
    500: "服务器出现了意外错误,请稍后重试;如果问题持续,请联系管理员。",
    503: "服务暂不可用,请稍后再试。",
}


class NotFoundWithHints(NotFound):
    """A 404 that carries suggestions: [{"label", "url"}]."""

    def __init__(self, message: str, suggestions: list[dict[str, str]] | None = None):
        super().__init__(description=message)
        self.suggestions = suggestions or []


def twin(bp: Blueprint, rule: str, template: str, api_rule: str | None = None, **options) -> Callable:
    """Register `rule` (HTML from template) and `/api` + rule (JSON) on one context function."""

    def deco(fn: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        def html_view(**kwargs):
            return render_template(template, **fn(**kwargs))

        def api_view(**kwargs):
            return jsonify({"ok": True, **fn(**kwargs)})

        bp.add_url_rule(rule, fn.__name__, html_view, **options)
        bp.add_url_rule(api_rule or "/api" + rule.rstrip("/"), fn.__name__ + "_api", api_view, **options)
        return fn

    return deco


def wants_json() -> bool:
    """API paths answer in JSON; everything else in HTML."""
    return request.path == "/api" or request.path.startswith("/api/")


def error_response(
    status: int, message: str, suggestions: list[dict[str, str]] | None = None, extra: dict[str, Any] | None = None
):
    """{"ok": false, "error", "status"} for API paths, the friendly Chinese error page otherwise; `extra` adds
    machine-readable fields to the API body (a code, the valid values) so the message can stay plain Chinese."""
    if wants_json():
        body: dict[str, Any] = {**(extra or {}), "ok": False, "error": message, "status": status}
        if suggestions:
            body["suggestions"] = suggestions
        return jsonify(body), status
    return render_template(
        "error.html", status=status, title=TITLES.get(status, "出错了"), message=message, suggestions=suggestions or []
    ), status


def _http_error(exc: HTTPException):
    status = exc.code or 500
    desc = exc.description
    if not desc or desc == type(exc).description:  # werkzeug's English default
        desc = DEFAULT_MESSAGES.get(status, TITLES.get(status, "出错了"))
    resp = make_response(error_response(status, desc, getattr(exc, "suggestions", None)))
    if getattr(exc, "valid_methods", None):
        resp.headers["Allow"] = ", ".join(exc.valid_methods)
    return resp


def _no_kb(exc: NoKnowledgeBase):
    return error_response(503, str(exc))


def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        # read-only, full or corrupt durable DB on a write: the operator gets the real cause in the log
        log.error("database error on %s %s: %s", request.method, request.path, exc, exc_info=exc)
        return error_response(503, f"数据库暂时无法写入或读取({exc}),本次修改未保存;请联系管理员。")
    log.exception("unhandled error on %s", request.path)
    return error_response(500, DEFAULT_MESSAGES[500])


def _parse_json_body():
    """Parse a JSON body once, before any view: a malformed or hostile one is a 400 in the API error shape
    for every route (views reading it with silent=True would otherwise each answer something different)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json or not request.content_length:
        return None
    try:
        request.get_json()
    except BadRequest as exc:
        cause = exc.__context__ or exc.__cause__  # the parser's English words: for developers, not the message
        detail = str(cause or exc.description)
        return error_response(
            400, "提交的内容不是有效的 JSON，请检查格式后重试。", extra={"code": "bad_json", "detail": detail}
        )
    return None


def init_app(app: Flask) -> None:
    """Install the error handlers and the JSON body check."""
    app.before_request(_parse_json_body)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(NoKnowledgeBase, _no_kb)
    app.register_error_handler(Exception, _unexpected)


def url_with_query(endpoint: str, view_args: dict, query) -> str:
    """url_for(endpoint, **view_args) plus the query string as given: a query key that collides with a URL
    part or with url_for's own parameters (?item_id=, ?endpoint=, ?_method=) stays a plain query value."""
    from urllib.parse import urlencode

    from flask import url_for
    from werkzeug.datastructures import MultiDict

    pairs = list(query.items(multi=True)) if isinstance(query, MultiDict) else list(query.items())
    return url_for(endpoint, **view_args) + ("?" + urlencode(pairs) if pairs else "")
