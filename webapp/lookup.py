"""Shared look-ups for the pages: Chinese labels, one snapshot of the reviewed items, id and name resolution."""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Any

from flask import g, redirect, request, url_for
from werkzeug.wrappers import Response

from kb import departments
from kb.errors import Ambiguous, NotFound
from kb.labels import KIND, KIND_SHORT
from kb.lookup import resolve_id
from kb.reviews import dutyindex, statecache
from kb.reviews.snapshot import Snapshot
from kb.reviews.snapshot import current as current_snapshot
from webapp.render import NotFoundWithHints


def snapshot() -> Snapshot:
    """The reviewed items of the live build (kb.reviews.snapshot: one cache rule, kept up to date
    incrementally), fixed for the length of one request. Pages only read it."""
    if "kb_snapshot" not in g:
        g.kb_snapshot = current_snapshot()
    return g.kb_snapshot


def item_url(item_id: str) -> str:
    return url_for("items.item_page", item_id=item_id)


def dept_url(name: str) -> str:
    return url_for("departments.department_page", name=name)


def brief(it: dict[str, Any]) -> dict[str, Any]:
    """What a list or a link needs to show an item."""
    return {
        "id": it["id"],
        "kind": it["kind"],
        "kind_label": KIND.get(it["kind"], it["kind"]),
        "domain": it["domain"],
        "domain_code": it["domain_code"],
        "number": it["number"],
        "title": it["title"],
        "label": label(it),
        "url": item_url(it["id"]),
    }


def label(it: dict[str, Any]) -> str:
    """A short human label: 儿童与健康 · 措施4."""
    kind = KIND_SHORT.get(it["kind"], KIND.get(it["kind"], it["kind"]))
    num = f"{kind}{it['number']}" if it.get("number") else kind
    return f"{it['domain']} · {num}" if it.get("domain") else num


def owners(it: dict[str, Any]) -> dict[str, list[str]]:
    """Item-level lead and supporting departments (names, in rank order)."""
    return {
        "lead": [d["name"] for d in it["departments"] if d["role"] == "lead"],
        "co": [d["name"] for d in it["departments"] if d["role"] == "co"],
    }


def resolve_item(snap: Snapshot, item_id: str) -> dict[str, Any]:
    """The item with this full or short id (kb.lookup); 404 with close ids, or with the full ids it could be."""
    try:
        return snap.by_id[resolve_id(snap.by_id, item_id)]
    except NotFound as exc:
        hints = [
            {"label": f"{label(snap.by_id[i])} {snap.by_id[i]['title']}", "url": item_url(i)} for i in exc.suggestions
        ]
        raise NotFoundWithHints(f"找不到条目“{item_id}”。", hints) from None
    except Ambiguous as exc:  # every plan's item with this short id
        hints = [{"label": f"{i} {snap.by_id[i]['title']}", "url": item_url(i)} for i in exc.suggestions]
        raise NotFoundWithHints(str(exc), hints) from None


def department_names(snap: Snapshot) -> frozenset[str]:
    """Every department named on some item or clause (one with a duty somewhere): the duty index's names."""
    return _duty_index(snap).names


def resolve_department(snap: Snapshot, name: str, link: Callable[[str], str] | None = None) -> str:
    """The canonical name for any alias (市卫健委, 卫健委, 益阳市卫生健康委员会…); 404 with the closest names, each
    linked by `link` (a page filtered to that body; its department page by default)."""
    known = department_names(snap)
    if name in known:
        return name
    dep = departments.resolve(name)
    if dep is not None:
        return dep.canonical
    close = [n for n in departments.suggest(name) if n in known] or departments.suggest(name)
    close += [n for n in difflib.get_close_matches(name, sorted(known), n=3, cutoff=0.4) if n not in close]
    hints = [{"label": n, "url": (link or dept_url)(n)} for n in close[:5]]
    raise NotFoundWithHints(departments.unknown_message(name), hints)


def canonical_redirect(endpoint: str, name: str) -> Response:
    """A 302 to the same page under the department's canonical name (an alias such as 教育局 or 卫健委 was typed),
    the query kept as it was written: passed to url_for as keywords, ?name= or ?_external= would be its own."""
    query = request.query_string.decode("latin-1")
    return redirect(url_for(endpoint, name=name) + (f"?{query}" if query else ""), code=302)


def _duty_index(snap: Snapshot) -> dutyindex.DutyIndex:
    """kb.reviews.dutyindex over the snapshot, once per department state (kb.reviews.statecache): one pass per
    build, then updated from the items a department or link review changed."""
    return statecache.cached(
        snap,
        "duty_index",
        lambda: dutyindex.build(snap.items),
        scope="tags",
        update=lambda old, changed: dutyindex.updated(old, snap.by_id, changed, snap.build.position),
    )


def duty_index(snap: Snapshot) -> dict[str, list[dutyindex.Duty]]:
    """Department → (item id, role, clause indexes, item-level tag) of every duty (kb.duties), in document order."""
    return _duty_index(snap).by_name


def involvement_of(snap: Snapshot, name: str, plan: str | None = None) -> list[dict[str, Any]]:
    """{"item", "role", "tag", "clauses"} for every item where the department has a duty (kb.duties), optionally
    in one plan only."""
    return [
        {"item": snap.by_id[iid], "role": role, "tag": tag, "clauses": list(clauses)}
        for iid, role, clauses, tag in duty_index(snap).get(name, [])
        if plan is None or snap.by_id[iid]["plan"] == plan
    ]
