"""Measure → goal link reviews: confirm an inferred link, add a missed one, remove a wrong one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kb.reviews.anchoring import item_anchor
from kb.reviews.audit import ReviewError, read
from kb.reviews.core import _current, _item, _kb, _record


def _link(measure: str, goal: str) -> tuple[dict, dict, bool]:
    conn = _kb()
    m, g = _item(conn, measure), _item(conn, goal)
    linked = conn.execute("SELECT 1 FROM links WHERE measure = ? AND goal = ?", (m["id"], g["id"])).fetchone()
    if g["kind"] != "goal":
        raise ReviewError(f"“{g['title'] or g['id']}”不是主要目标，措施只能关联到主要目标。", "not_a_goal")
    if m["plan"] != g["plan"]:
        raise ReviewError("措施与目标必须属于同一规划")
    return m, g, linked is not None


def _decide(m: dict, g: dict, change: str, by: str, reason: str, decision: Callable[[Any], dict]) -> int:
    """Record one link decision on the pair (its anchor remembers both items)."""
    anchor = {**item_anchor(m), "goal": item_anchor(g)}
    return _record("link", m["plan"], m["id"], g["id"], change, by, reason, decision, anchor)


def confirm_link(measure: str, goal: str, by: str, reason: str = "") -> int:
    """Confirm an inferred measure → goal link."""
    m, g, linked = _link(measure, goal)
    if not linked:
        row = read(lambda c: _current(c, "link", m["plan"], m["id"], g["id"]))
        if not row or row["decision"] == "remove":
            raise ReviewError("该措施与此目标之间没有关联，请使用“添加关联”。", "no_link")
    # a link a reviewer added stays "add" when confirmed: it is still not the analysis's own
    return _decide(
        m,
        g,
        "link.confirm",
        by,
        reason,
        lambda row: {"decision": "add" if row and row["decision"] == "add" else "confirm"},
    )


def add_link(measure: str, goal: str, by: str, reason: str = "") -> int:
    """Add a goal the measure serves."""
    m, g, linked = _link(measure, goal)
    return _decide(m, g, "link.add", by, reason, lambda row: {"decision": "confirm" if linked else "add"})


def remove_link(measure: str, goal: str, by: str, reason: str = "") -> int:
    """Remove a goal from what the measure serves."""
    m, g, linked = _link(measure, goal)
    row = read(lambda c: _current(c, "link", m["plan"], m["id"], g["id"]))
    if not linked and (row is None or row["decision"] == "remove"):
        raise ReviewError("该措施未关联此目标，无需删除。", "no_link")
    return _decide(m, g, "link.remove", by, reason, lambda row: {"decision": "remove"})
