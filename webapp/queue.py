"""The review queue page (/review/queue) and its JSON twin: uncertain tags first, one-click decisions, bulk accept."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, jsonify, redirect, request, url_for

from kb import reviews
from kb.labels import ROLE
from kb.reviews import queue, queue_actions, statecache
from kb.reviews.audit import ReviewError as AuditError
from kb.reviews.overlay import list_reviews
from nlp.scoring import certainty
from webapp.lookup import dept_url, item_url, label, resolve_department, snapshot
from webapp.params import choice, page_number
from webapp.render import NotFoundWithHints, error_response, twin, wants_json
from webapp.review import need, review_fields, unknown_action
from webapp.security import login_required, safe_next

SHOW = {"open": "待审核", "all": "全部", "reviewed": "已审核"}  # the queue's ?show= views
bp = Blueprint("queue", __name__)
PAGE = 40  # entries per page


@bp.app_template_filter("certainty")
def certainty_filter(d: dict[str, Any], needs_review: bool = False) -> str:
    """明确 / 推断(高) / 推断(低) / 待确认 code of a tag, for the marks every page shows."""
    return certainty(d.get("source", ""), d.get("confidence"), needs_review)


@bp.app_template_filter("certainty_label")
def certainty_label(code: str) -> str:
    return queue.CERTAINTY_LABELS.get(code, code)


def _view(e: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> dict[str, Any]:
    it = by_id.get(e["item"], {})
    return {
        **e,
        "label": label(it) if it else e["item"],
        "url": item_url(e["item"]),
        "dept_url": dept_url(e["department"]) if e["department"] else None,
        "role_label": ROLE.get(e["role"] or "", ""),
        "certainty_label": queue.CERTAINTY_LABELS[e["certainty"]],
        "phrases": list(dict.fromkeys(x["text"] for x in e["evidence"]))[:6],
        "candidates": [{**c, "url": dept_url(c["name"])} for c in e["candidates"]],
    }


@twin(bp, "/review/queue", "queue.html")
def queue_page() -> dict[str, Any]:
    snap = snapshot()
    state = queue_state(snap)
    rows = state["rows"]
    asked = (request.args.get("department") or "").strip()
    show = choice(request.args, "show", SHOW, "open", "显示范围")

    def filtered(name: str) -> str:  # the closest names of an unknown one open this queue, not their pages
        return url_for("queue.queue_page", department=name, show=show)

    dept = resolve_department(snap, asked, filtered) if asked else None  # any alias; 404 with the closest names
    page = page_number(request.args)  # the same rule and 400 as /api/search
    mine = [e for e in rows if not dept or e["department"] == dept]
    picked = [e for e in mine if show == "all" or e["reviewed"] == (show == "reviewed")]
    pages = max(1, -(-len(picked) // PAGE))
    start = (page - 1) * PAGE

    def link(n: int) -> str:
        return url_for("queue.queue_page", department=dept, show=show, page=n) if 1 <= n <= pages else ""

    return {
        "title": "审核队列",
        "counter": queue.counter(mine) if dept else state["counter"],  # the filtered department's own progress
        "counter_title": queue.COUNTER_TITLE,  # what x and y count, the page's tooltip
        "entries": [_view(e, snap.by_id) for e in picked[start : start + PAGE]],
        "matching": len(picked),
        "page": page,
        "pages": pages,
        "beyond": bool(picked) and page > pages,  # past the last page: said so, with a link back
        # the pages' one pager (_macros.html): a link per page overflowed a phone's width at 17 pages
        "pager": {
            "page": page,
            "pages": pages,
            "total": len(picked),
            "prev_url": link(page - 1),
            "next_url": link(page + 1),
        },
        "department": dept,
        "asked": asked,
        "show": show,
        "departments": state["departments"],
        "known": state["known"],
    }


def queue_state(snap: Any) -> dict[str, Any]:
    """The queue's state for this snapshot (_queue_state): made once per build, then updated per review."""
    return statecache.cached(
        snap,
        "review_queue",
        lambda: _queue_state(snap, queue.build(snap.items, list_reviews(kind="assignment"), snap.build.base)),
        scope="tags",
        update=lambda old, changed: _queue_state(
            snap, queue.updated(old["queue"], snap.by_id, changed, list_reviews(kind="assignment"), snap.build.base)
        ),
    )


def _queue_state(snap: Any, q: queue.Queue) -> dict[str, Any]:
    """The queue's entries, counts and department lists, once per department state (department reviews decide
    what is open; notes and values entered leave it). After a review the queue is updated from the items it
    changed (queue.updated), not made again: at 100 plans that took 2.4 CPU-s, on the page right after each
    decision."""
    rows = q.rows
    return {
        "queue": q,
        "rows": rows,
        "counter": queue.counter(rows),
        "departments": queue.departments(rows),
        "known": sorted({d["name"] for it in snap.items for d in it.get("departments", [])}),
    }


def _act(f: dict[str, str], by: str) -> tuple[int, str]:
    """Make one queue decision: (audit id, what was decided in words, for the flash and the JSON's message)."""
    item, dept, action = f.get("item", ""), f.get("department", ""), f.get("action", "")
    need(f, "item", "action")
    if action in ("accept", "reject", "lead", "co", "reassign"):  # a tag's decision: which body's tag
        need(f, "department")
    reason = f.get("reason", "")
    if action == "accept":
        audit_id = reviews.accept_assignment(item, dept, by, reason)
        name, role = reviews.held(item, dept)
        return audit_id, f"已确认 {name} 为{ROLE[role]}单位"
    if action == "reject":
        name = reviews.canonical_department(dept)
        return reviews.reject_assignment(item, dept, by, reason), f"已删除 {name} 在该条目的职责"
    if action in ("lead", "co"):
        audit_id = reviews.set_role(item, dept, action, by, reason)
        return audit_id, f"已将 {reviews.canonical_department(dept)} 改为{ROLE[action]}单位"
    if action == "reassign":
        need(f, "to")
        audit_id = queue_actions.reassign(item, dept, f["to"], by, reason)
        name, role = reviews.held(item, f["to"])
        return audit_id, f"已将 {reviews.canonical_department(dept)} 改派给 {name}({ROLE[role]}单位)"
    if action == "take":  # an item nobody leads: a candidate (or any body) becomes its lead
        to = f.get("to") or dept
        audit_id = reviews.add_assignment(item, to, by, reason or "审核队列:指定牵头", role="lead")
        return audit_id, f"已指定 {reviews.canonical_department(to)} 为牵头单位"
    raise unknown_action(action, ["accept", "reject", "lead", "co", "reassign", "take"])


def _back(f: dict[str, str]) -> str:
    return safe_next(f.get("next"), url_for("queue.queue_page"))


@bp.post("/api/review/queue/act", endpoint="act_api")
@bp.post("/review/queue/act")
@login_required
def act():
    f = review_fields()
    try:
        audit_id, decided = _act(f, g.user["name"])
    except (reviews.ReviewError, AuditError) as exc:
        if wants_json():
            return error_response(422, str(exc), extra=exc.fields())
        flash(str(exc), "error")
        return redirect(_back(f))
    message = f"{decided}(记录 #{audit_id})"  # what was decided: 已保存 alone left the reviewer to guess
    if wants_json():
        return jsonify({"ok": True, "audit_id": audit_id, "message": message})
    flash(message, "ok")
    return redirect(_back(f))


@bp.post("/api/review/queue/bulk", endpoint="bulk_api")
@bp.post("/review/queue/bulk")
@login_required
def bulk():
    f = review_fields()
    asked = f.get("department", "")
    try:
        if not asked:
            raise reviews.ReviewError("请选择要批量确认的部门。", "missing_fields", {"missing": ["department"]})
        dept = resolve_department(snapshot(), asked, lambda n: url_for("queue.queue_page", department=n))
        ids = queue_actions.bulk_accept(dept, g.user["name"], f.get("reason", ""))
    except NotFoundWithHints as exc:
        if wants_json():
            return error_response(404, str(exc.description), exc.suggestions)
        flash(str(exc.description), "error")
        return redirect(_back(f))
    except (reviews.ReviewError, AuditError) as exc:
        if wants_json():
            return error_response(422, str(exc), extra=exc.fields())
        flash(str(exc), "error")
        return redirect(_back(f))
    if wants_json():
        return jsonify({"ok": True, "department": dept, "accepted": len(ids), "audit_ids": ids})
    flash(f"已批量确认 {dept} 的 {len(ids)} 条高置信度标注", "ok")
    return redirect(_back(f))
