"""Download routes of the 任务分解责任清单: whole plan, one department, indicators — in any export format."""

from __future__ import annotations

from html import escape
from typing import Any

from flask import Blueprint, Response, jsonify, request, send_file, url_for

from kb.errors import NoKnowledgeBase
from kb.exports import FORMATS, ExportError, Filters
from kb.exports.cache import cached_export
from kb.store import KB
from webapp.render import url_with_query

bp = Blueprint("downloads", __name__)

FILTER_ARGS = ("plan", "domain", "kind", "dept", "role")
TRUE = {"1", "true", "yes", "on", "是"}
FALSE = {"", "0", "false", "no", "off", "否"}
FORMAT_LABELS = {"xlsx": "Excel 表格", "docx": "Word 文档", "csv": "CSV", "md": "Markdown", "json": "JSON"}


def download_url(layout: str, fmt: str, name: str | None = None, **filters: Any) -> str:
    """URL of a download for templates: layout plan|dept|indicators, filters as in the query string."""
    query = {k: v for k, v in filters.items() if v not in (None, "", False)}
    if layout == "dept":
        return url_for("downloads.department", name=name, fmt=fmt, **query)
    return url_for("downloads.plan" if layout == "plan" else "downloads.indicators", fmt=fmt, **query)


def _filters(dept: str | None = None) -> Filters:
    """Filters from the query string (the page's current filters travel with the link)."""
    args = {k: (request.args.get(k) or "").strip() or None for k in FILTER_ARGS}
    reviewed = _flag("reviewed_only") or _flag("reviewed")
    if dept is not None:
        args["dept"] = dept
    ids = _flag("ids")  # the 编号 column (internal ids) only when asked
    return Filters(reviewed_only=reviewed, ids=ids, **args)


def _flag(name: str) -> bool:
    """A yes/no parameter; any other value is an ExportError (?reviewed_only=maybe exported everything, unsaid)."""
    raw = (request.args.get(name) or "").strip().lower()
    if raw in TRUE or raw in FALSE:
        return raw in TRUE
    raise ExportError(f"无法理解的参数 {name}“{raw}”。可用:{name}=1 或 0")


def _wants_json(fmt: str) -> bool:
    """API-style callers (json format, ?api=1, Accept: application/json) get errors as JSON."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return fmt == "json" or (request.args.get("api") or "").lower() in TRUE or best == "application/json"


def _error(status: int, message: str, fmt: str, suggestions: list[dict[str, str]] | None = None):
    """{"ok": false, "error", "status", "suggestions"} or a short Chinese page, never an empty file."""
    if _wants_json(fmt):
        body: dict[str, Any] = {"ok": False, "error": message, "status": status}
        if suggestions:
            body["suggestions"] = suggestions
        return jsonify(body), status
    try:  # the site's own error page when the web UI provides one
        from webapp.render import error_response

        return error_response(status, message, suggestions)
    except Exception:
        items = "".join(f'<li><a href="{escape(s["url"])}">{escape(s["label"])}</a></li>' for s in suggestions or [])
        html = (
            f"<!doctype html><html lang=zh-CN><meta charset=utf-8><title>无法导出</title>"
            f"<h1>无法导出</h1><p>{escape(message)}</p>"
            + (f"<ul>{items}</ul>" if items else "")
            + '<p><a href="/">返回首页</a></p></html>'
        )
        return Response(html, status=status, mimetype="text/html")


def _send(layout: str, fmt: str, dept: str | None = None):
    if fmt not in FORMATS:
        return _error(
            404,
            f"不支持的格式“{fmt}”,可选:{'、'.join(FORMATS)}",
            fmt,
            [{"label": FORMAT_LABELS[f], "url": _same_with(f)} for f in FORMATS],
        )
    try:
        per_dept = _flag("per_dept_sheets")
        with KB() as kb:
            result = cached_export(kb, layout, fmt, _filters(dept), per_dept_sheets=per_dept)
    except NoKnowledgeBase as exc:
        return _error(503, str(exc), fmt)
    except ExportError as exc:
        hints = [{"label": s, "url": _suggestion_url(layout, fmt, s, dept)} for s in exc.suggestions]
        return _error(exc.status, exc.message, fmt, [h for h in hints if h["url"]])
    data = result.small()
    if data is None:  # a large file is streamed from the cache (made once per build and review version)
        resp = send_file(result.path, mimetype=result.mimetype, conditional=False, etag=False, max_age=0)
    else:
        resp = Response(data, content_type=result.mimetype)
    resp.headers["Content-Disposition"] = result.content_disposition
    resp.headers["Content-Length"] = str(result.size)
    resp.headers["Cache-Control"] = "no-store"  # the list follows live reviews
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["X-Export-Rows"] = str(result.rows)
    return resp


def _same_with(fmt: str) -> str:
    """This download in another format, same filters."""
    args = dict(request.view_args or {}, fmt=fmt)
    return url_with_query(request.endpoint or "downloads.plan", args, request.args)


def _suggestion_url(layout: str, fmt: str, suggestion: str, dept: str | None) -> str:
    """A link that retries with the suggested department (other suggestions are shown as plain names)."""
    if dept is not None:
        return url_with_query("downloads.department", {"name": suggestion, "fmt": fmt}, request.args.to_dict())
    if request.args.get("dept"):
        return url_with_query(request.endpoint, {"fmt": fmt}, request.args.to_dict() | {"dept": suggestion})
    return ""


@bp.get("/download/plan.<fmt>")
def plan(fmt: str):
    """The whole plan's list (filters: plan, domain, kind, dept, role, reviewed_only, per_dept_sheets)."""
    return _send("plan", fmt)


@bp.get("/download/department/<name>.<fmt>")
def department(name: str, fmt: str):
    """One department's list (any alias): the items it leads, then those it supports."""
    return _send("dept", fmt, dept=name)


@bp.get("/download/indicators.<fmt>")
def indicators(fmt: str):
    """The indicator list: target value, owners and the measures that serve each indicator."""
    return _send("indicators", fmt)
