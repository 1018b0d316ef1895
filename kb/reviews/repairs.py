"""Repair reviews: accept or reject a text repair of the plan (applied from the next build on)."""

from __future__ import annotations

from typing import Any

from kb.reviews.anchoring import repair_context
from kb.reviews.audit import ReviewError
from kb.reviews.core import _kb, _record


def _repair(repair_id: str, plan: str | None) -> dict[str, Any]:
    conn = _kb()
    sql, args = 'SELECT id, plan, start, "end", before, after, rule, applied FROM repairs WHERE id = ?', [repair_id]
    if plan:
        sql, args = sql + " AND plan = ?", [*args, plan]
    rows = [dict(r) for r in conn.execute(sql, args)]
    if len(rows) != 1:
        raise ReviewError(f"找不到修复 {repair_id}" if not rows else f"修复 {repair_id} 不唯一, 请指定 --plan")
    raw = conn.execute("SELECT raw_text FROM plans WHERE id = ?", (rows[0]["plan"],)).fetchone()[0]
    r = rows[0]
    r["anchor"] = {
        "plan": r["plan"],
        "rule": r["rule"],
        "before": r["before"],
        "after": r["after"],
        "context": repair_context(raw, r["start"], r["end"]),
    }
    return r


def accept_repair(repair_id: str, by: str, reason: str = "", plan: str | None = None) -> int:
    """Accept a repair: applied in the repaired text from the next build on."""
    r = _repair(repair_id, plan)
    return _record(
        "repair", r["plan"], "", r["id"], "repair.accept", by, reason, lambda row: {"decision": "accept"}, r["anchor"]
    )


def reject_repair(repair_id: str, by: str, reason: str = "", plan: str | None = None) -> int:
    """Reject a repair: left out of the repaired text from the next build on."""
    r = _repair(repair_id, plan)
    return _record(
        "repair", r["plan"], "", r["id"], "repair.reject", by, reason, lambda row: {"decision": "reject"}, r["anchor"]
    )
