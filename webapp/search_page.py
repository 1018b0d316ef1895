"""Search results page (HTML) over kb.search.search, with facets, badges, served goals, paging and help."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import nh3
from flask import Blueprint, render_template, request, url_for

from kb.labels import KIND, ROLE, SOURCE
from kb.search import SearchError
from webapp.api_search import FILTERS, OPTIONS, api_url, page_number, run
from webapp.lookup import item_url, snapshot
from webapp.render import error_response

bp = Blueprint("search", __name__)
PAGE_SIZE = 10
SORT_LABELS = {"relevance": "按相关度", "plan": "按规划顺序"}


def _url(params: dict[str, Any], **change) -> str:
    merged = {k: v for k, v in {**params, **change}.items() if v not in (None, "", 0)}
    return url_for("search.search_page") + ("?" + urlencode(merged) if merged else "")


def _help(snap) -> dict[str, Any]:
    """What an empty result page offers instead: domains to browse and the busiest departments."""
    domains = list(dict.fromkeys(it["domain"] for it in snap.items if it["domain"]))
    from webapp.departments import department_counts

    return {
        "domains": [{"label": d, "url": _url({}, domain=d)} for d in domains],
        "departments": [{"label": d["name"], "url": d["url"]} for d in department_counts(snap)[:8]],
    }


def search_context(args) -> dict[str, Any]:
    """Run the search for the query string (the API's parameter set and payload) and decorate it for the page."""
    params = {k: args.get(k, "").strip() for k in ("q", *FILTERS, *OPTIONS)}
    page = page_number(args) or 1
    res = run(args, limit=PAGE_SIZE)
    snap = snapshot()
    for r in res["results"]:
        r["url"] = item_url(r["id"])
        r["kind_label"] = KIND.get(r["kind"], r["kind"])
        r["snippet_html"] = nh3.clean(r.get("snippet") or "", tags={"mark"}, attributes={})
        for d in r["departments"]:
            d["role_label"] = ROLE.get(d["role"], d["role"])
            d["url"] = url_for("departments.department_page", name=d["name"])
        r["url"] = _match_url(r)
        r["serves_links"] = [
            {
                "id": g["id"],
                "title": g["title"],
                "url": item_url(g["id"]),
                "label": f"{g.get('domain') or ''} · 目标{g.get('number') or ''}",
            }
            for g in r.get("serves_detail") or []
        ]
    facets = []
    titles = {p["id"]: p["title"] for p in snap.plans}
    keys = (("domain", "领域", "domain"), ("kind", "类型", "kind"), ("department", "部门", "dept"))
    for key, name, param in ((("plan", "规划", "plan"),) if len(titles) > 1 else ()) + keys:
        values = res["facets"].get(key) or {}
        facets.append(
            {
                "key": param,
                "label": name,
                "values": [
                    {
                        "value": v,
                        "label": _chip(param, v, titles, res),
                        "count": n,
                        "active": params[param] == v,
                        "url": _url(params, **{param: "" if params[param] == v else v}),
                    }
                    for v, n in values.items()
                ],
            }
        )
    if params["dept"]:
        facets.append(
            {
                "key": "role",
                "label": "角色",
                "values": [
                    {
                        "value": k,
                        "label": _chip("role", k, titles, res),
                        "count": None,
                        "active": params["role"] == k,
                        "url": _url(params, role="" if params["role"] == k else k),
                    }
                    for k in ROLE
                ],
            }
        )
    pages = max(1, -(-res["total"] // PAGE_SIZE))
    return {
        **res,
        "params": params,
        "page": page,
        "pages": pages,
        "facet_list": facets,
        "prev_url": _url(params, page=page - 1) if page > 1 else "",
        "next_url": _url(params, page=page + 1) if page < pages else "",
        "active_filters": [
            {
                "key": k,
                "value": params[k],
                "label": _chip(k, params[k], titles, res),
                "clear_url": _url(params, **{k: ""}),
            }
            for k in FILTERS
            if params[k]
        ],
        "did_you_mean_links": [{"q": q, "url": _url({**params, "q": q})} for q in res.get("did_you_mean") or []],
        "as_typed_url": _url({**params, "q": res["corrected"]["original"], "spell": "0"})
        if res.get("corrected")
        else "",
        "answer_card": _answer_card(res.get("answer")),
        "sort_links": [
            {"label": label, "active": res["sort"] == key, "url": _url(params, sort="" if key == "relevance" else key)}
            for key, label in SORT_LABELS.items()
        ],
        "role_links": _role_links(params, res),
        "help": _help(snap) if not res["results"] else None,
        "title": f"搜索:{params['q']}" if params["q"] else "搜索",
    }


def _chip(key: str, value: str, titles: dict[str, str], res: dict[str, Any]) -> str:
    """The words a filter value shows, on its facet link and on the active filter's chip alike (政策措施, 牵头, the
    plan's title), not the code the link carries (measure, lead, the plan's slug)."""
    if key == "kind":
        return KIND.get(value, value)
    if key == "role":
        return ROLE.get(value, value)
    if key == "plan":
        return titles.get(value, value)
    if key == "has_indicator":
        return "含量化指标" if (res.get("filters") or {}).get("has_indicator") else "不含量化指标"
    return value


def api_link(args) -> str:
    """The JSON twin of a results page: /api/search with the same parameters."""
    return api_url(args, limit=PAGE_SIZE)


def _match_url(r: dict[str, Any]) -> str:
    """The item page opened at the matched sentence, the matched words highlighted there."""
    m = r.get("match") or {}
    query = "?" + urlencode({"hl": "|".join(m["terms"])}) if m.get("terms") else ""
    anchor = "#" + m["clause"].split(":")[-1] if m.get("clause") else ""
    return item_url(r["id"]) + query + anchor


def _answer_card(answer: dict[str, Any] | None) -> dict[str, Any] | None:
    """The "who" answer card with links and the 明确/推断 mark of each department."""
    if not answer:
        return None
    rows = []
    for it in answer["items"]:
        rows.append(
            {
                **it,
                "url": item_url(it["id"]),
                "kind_label": KIND.get(it["kind"], it["kind"]),
                **{
                    role: [
                        {
                            **d,
                            "url": url_for("departments.department_page", name=d["name"]),
                            "mark": "明确" if d.get("source") == "explicit" else "推断",
                            "source_label": SOURCE.get(d.get("source") or "", d.get("source") or ""),
                        }
                        for d in it[role]
                    ]
                    for role in ("lead", "co")
                },
            }
        )
    return {**answer, "items": rows}


def _role_links(params: dict[str, Any], res: dict[str, Any]) -> list[dict[str, Any]]:
    """牵头 / 配合 filters for a department the query names (a department filter has its own role facet)."""
    names = [d["name"] for d in res["understood"]["departments"]]
    if params["dept"] or not names:
        return []
    rest = {**params, "dept": names[0]}
    return [{"label": f"只看{names[0]}{label}的", "url": _url(rest, role=key)} for key, label in ROLE.items()]


@bp.get("/search")
def search_page():
    try:
        ctx = search_context(request.args)
    except SearchError as exc:
        return error_response(exc.status, exc.message, [{"label": "返回搜索", "url": url_for("search.search_page")}])
    return render_template("search.html", **ctx)
