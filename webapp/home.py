"""Home page (placeholder until the web UI lands)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from kb.db import NoKnowledgeBase
from kb.store import KB

bp = Blueprint("home", __name__)


@bp.get("/")
def index():
    try:
        with KB() as kb:
            plans = kb.plans()
            n = len(kb.item_rows())
    except NoKnowledgeBase as exc:
        return f"<!doctype html><meta charset=utf-8><title>Plan KB</title><p>{exc}</p>", 503
    titles = "".join(f"<li>{p['title']}</li>" for p in plans)
    return (f"<!doctype html><html lang=zh-CN><meta charset=utf-8><title>规划措施知识库</title>"
            f"<h1>规划措施知识库</h1><ul>{titles}</ul><p>共 {n} 个条目</p></html>")


@bp.get("/api/plans")
def api_plans():
    with KB() as kb:
        return jsonify({"ok": True, "plans": kb.plans()})
