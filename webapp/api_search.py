"""GET /api/search: full-text search as JSON (errors in the one API error shape)."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from kb.search import SearchError, search
from kb.store.db import NoKnowledgeBase

bp = Blueprint("api_search", __name__)
PARAMS = ("q", "limit", "offset", "domain", "kind", "dept", "role", "plan", "has_indicator")


def error(message: str, status: int):
    """The API error shape: {"ok": false, "error", "status"}."""
    return jsonify({"ok": False, "error": message, "status": status}), status


@bp.get("/api/search")
def api_search():
    args = request.args
    unknown = sorted(set(args) - set(PARAMS))
    if unknown:
        return error(f"未知的参数:{', '.join(unknown)}(可用:{', '.join(PARAMS)})", 400)
    try:
        payload = search(
            args.get("q", ""),
            limit=args.get("limit", 10),
            offset=args.get("offset", 0),
            domain=args.get("domain"),
            kind=args.get("kind"),
            dept=args.get("dept"),
            role=args.get("role"),
            plan=args.get("plan"),
            has_indicator=args.get("has_indicator"),
        )
    except SearchError as exc:
        return error(exc.message, exc.status)
    except NoKnowledgeBase as exc:
        return error(str(exc), 503)
    return jsonify(payload)
