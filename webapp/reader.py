"""Plan reader: the whole plan as one readable document (Markdown → sanitised HTML) with an anchor per item."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any

import nh3
from flask import Blueprint, abort, redirect, url_for

from kb.store import KB
from webapp.lookup import brief, dept_url, label, owners, snapshot
from webapp.render import NotFoundWithHints, twin

bp = Blueprint("reader", __name__)
HEADING_LEVEL = {1: "##", 2: "###", 3: "####"}
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|>~])")
ALLOWED_TAGS = {
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "p",
    "a",
    "strong",
    "em",
    "ul",
    "ol",
    "li",
    "span",
    "br",
    "hr",
    "blockquote",
    "small",
}
ALLOWED_ATTRS = {
    "a": {"href", "title"},
    "h1": {"id"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "p": {"id", "class"},
    "span": {"class"},
}


def md_escape(text: str) -> str:
    """Plan text as literal Markdown: special characters backslash-escaped, HTML characters as entities."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def anchor(item_id: str) -> str:
    """The in-page anchor of an item: its id without the plan slug (health-m9)."""
    return item_id.split(":", 1)[-1]


def plan_markdown(
    plan: dict[str, Any], headings: list[dict[str, Any]], items: list[dict[str, Any]], by_id: dict[str, dict[str, Any]]
) -> str:
    """Headings and items merged in text order; each item a paragraph with its anchor, owners and goals."""
    events = [(h["line"], 0, "h", h) for h in headings] + [(it["line"], 1, "i", it) for it in items]
    lines = [f"# {md_escape(plan['title'])}", ""]
    toc_seen = set()
    for _line, _order, kind, obj in sorted(events, key=lambda e: (e[0], e[1])):
        if kind == "h":
            hid = f"h{obj['position']}"
            toc_seen.add(hid)
            lines += [f"{HEADING_LEVEL.get(obj['level'], '####')} {md_escape(obj['text'])} {{: #{hid} }}", ""]
            continue
        it = obj
        num = f"**{it['number']}\\.** " if it.get("number") else ""
        lines += [f"{num}{md_escape(it['text'])} [详情]({brief(it)['url']})", f"{{: #{anchor(it['id'])} .item }}", ""]
        who = owners(it)
        meta = []
        if who["lead"]:
            meta.append("牵头:" + "、".join(f"[{md_escape(n)}]({dept_url(n)})" for n in who["lead"]))
        if who["co"]:
            meta.append("配合:" + "、".join(f"[{md_escape(n)}]({dept_url(n)})" for n in who["co"]))
        goals = [by_id[g] for g in it["serves"] if g in by_id]
        if goals:
            meta.append("服务目标:" + "、".join(f"[{md_escape(label(g))}](#{anchor(g['id'])})" for g in goals))
        if meta:
            lines += [";".join(meta), "{: .owners }", ""]
    return "\n".join(lines)


@lru_cache(maxsize=8)
def _render(md: str) -> str:
    import markdown

    html = markdown.markdown(md, extensions=["attr_list", "sane_lists"], output_format="html")
    return nh3.clean(html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRS, url_schemes={"http", "https"}, link_rel=None)


@bp.get("/plan")
def first_plan():
    plans = snapshot().plans
    if not plans:
        abort(404)
    return redirect(url_for("reader.plan_page", plan_id=plans[0]["id"]))


@twin(bp, "/plans/<plan_id>", "plan.html")
def plan_page(plan_id: str) -> dict[str, Any]:
    snap = snapshot()
    with KB() as kb:
        plan = kb.plan(plan_id, texts=False)
        if plan is None:
            raise NotFoundWithHints(
                f"找不到规划“{plan_id}”。",
                [{"label": p["title"], "url": url_for("reader.plan_page", plan_id=p["id"])} for p in snap.plans],
            )
        headings = kb.headings(plan_id)
    items = [it for it in snap.items if it["plan"] == plan_id]
    md = plan_markdown(plan, headings, items, snap.by_id)
    toc = [{"level": h["level"], "text": h["text"], "anchor": f"h{h['position']}"} for h in headings if h["level"] <= 2]
    layout = Counter(f["rule"] for f in plan["meta"].get("layout", []))
    return {
        "plan": {"id": plan["id"], "title": plan["title"], "meta": plan["meta"]},
        "warnings": plan["warnings"],
        "source": {
            "form": plan["meta"].get("form", "txt"),
            "reader_notes": plan["meta"].get("reader_notes", []),
            "layout": dict(layout),
        },
        "toc": toc,
        "markdown": md,
        "html": _render(md),
        "title": plan["title"],
    }
