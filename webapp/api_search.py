"""GET /api/search: full-text search as JSON, and the one parameter set that /search (its HTML twin) reads too."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, jsonify, request

from kb.search import SearchError, search
from webapp.render import error_response

bp = Blueprint("api_search", __name__)
# Everything the search filters on, for the page and the API alike (the page pages by `page`, the API by
# limit/offset; both accept either).
FILTERS = ("domain", "kind", "dept", "role", "plan", "has_indicator")
OPTIONS = ("sort", "spell")
PARAMS = ("q", "limit", "offset", "page", *FILTERS, *OPTIONS)
DEFAULT_LIMIT = 10


def unknown_params(args) -> list[str]:
    """Query-string keys the search does not take."""
    return sorted(set(args) - set(PARAMS))


def page_number(args) -> int | None:
    """The 1-based page asked for, None when absent (raises SearchError for a page that is no positive integer)."""
    raw = (args.get("page") or "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdecimal()) or not 1 <= int(raw) <= 10_000:
        raise SearchError("参数 page 必须是 1 到 10000 之间的整数")
    return int(raw)


def search_kwargs(args, limit: int | None = None) -> dict[str, Any]:
    """The kb.search.search arguments of a query string (limit fixed by a page, else taken from the args)."""
    kw: dict[str, Any] = {k: (args.get(k) or "").strip() or None for k in (*FILTERS, *OPTIONS)}
    kw["q"] = args.get("q", "")
    kw["limit"] = limit if limit is not None else args.get("limit", DEFAULT_LIMIT)
    page = page_number(args)
    if page is not None:
        try:
            per = int(kw["limit"])
        except (TypeError, ValueError):
            raise SearchError("参数 limit 必须是整数") from None
        kw["offset"] = (page - 1) * per
    else:
        kw["offset"] = args.get("offset", 0)
    return kw


def run(args, limit: int | None = None) -> dict[str, Any]:
    """The search payload of a query string: what /api/search answers and /search decorates."""
    return search(**search_kwargs(args, limit))


def api_url(args, limit: int | None = None) -> str:
    """/api/search with the same parameters as args (the page's `page` stays; its fixed limit is spelled out)."""
    params = {k: args.get(k, "").strip() for k in PARAMS if args.get(k, "").strip()}
    if limit is not None and "page" in params:
        params["limit"] = str(limit)
    return "/api/search" + ("?" + urlencode(params) if params else "")


@bp.get("/api/search")
def api_search():
    unknown = unknown_params(request.args)
    if unknown:
        return error_response(400, f"未知的参数:{', '.join(unknown)}(可用:{', '.join(PARAMS)})")
    try:
        payload = run(request.args)
    except SearchError as exc:
        return error_response(exc.status, exc.message)
    return jsonify(payload)
